import Synchronization

/// Removes a hook when asked (`remove()`), as PyTorch's `RemovableHandle`.
public struct HookHandle: Sendable {
    let id: Int
    let remover: @Sendable (Int) -> Void
    public func remove() { remover(id) }
}

private let nextHookID = Atomic<Int>(1)

extension Tensor {
    /// Calls `hook` with this leaf once during every `backward()`, as soon as its gradient for
    /// that pass is final and accumulated into `.grad` (PyTorch's
    /// `register_post_accumulate_grad_hook`). Hooks run in registration order, on the thread
    /// running backward, while the rest of the graph is still being differentiated: what
    /// overlapping a gradient all-reduce with backward needs. Not called by `gradients(of:wrt:)`,
    /// which leaves `.grad` alone.
    @discardableResult
    public func onGradientReady(_ hook: @escaping (Tensor) -> Void) -> HookHandle {
        precondition(isLeaf, "onGradientReady: the tensor of shape \(shape) is not a leaf (it was computed by a recorded op)")
        let id = nextHookID.wrappingAdd(1, ordering: .relaxed).oldValue
        gradientReadyHooks.append((id, hook))
        nonisolated(unsafe) let tensor = self
        return HookHandle(id: id) { [weak tensor] id in tensor?.gradientReadyHooks.removeAll { $0.id == id } }
    }
}
