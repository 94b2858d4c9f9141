import CNeuronKernels

/// Whether operations on this thread are recorded for autograd.
public enum GradMode {
    /// True unless inside `noGrad { }`.
    public static var isEnabled: Bool { nk_grad_enabled() != 0 }

    /// Sets recording on or off for this thread and returns the previous setting.
    @discardableResult
    public static func set(_ enabled: Bool) -> Bool { nk_set_grad_enabled(enabled ? 1 : 0) != 0 }
}

/// Runs `body` without recording operations for autograd (PyTorch's `torch.no_grad()`).
@discardableResult
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.set(false)
    defer { GradMode.set(previous) }
    return try body()
}

/// Runs `body` with recording switched on, even inside `noGrad`.
@discardableResult
public func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.set(true)
    defer { GradMode.set(previous) }
    return try body()
}
