import CNeuronKernels

/// Mixed precision, as PyTorch's `torch.autocast`: inside `autocast { … }` matrix products and
/// convolutions of float32 tensors on a CUDA device read bfloat16 copies of their operands and
/// accumulate and write float32 (tensor cores at twice float32's operand bandwidth), and their
/// backward passes run the same way. Parameters, gradients and optimiser state stay float32
/// (the master weights); bfloat16 keeps float32's exponent range, so no loss scale is needed.
/// On the CPU it changes nothing: its GEMMs stay float32.
///
/// ```swift
/// let loss = autocast { crossEntropy(model(x), labels) }
/// loss.backward()
/// ```
@discardableResult
public func autocast<R>(_ dtype: DType = .bfloat16, enabled: Bool = true, _ body: () throws -> R) rethrows -> R {
    precondition(dtype == .bfloat16, "autocast: only bfloat16 is supported (float16 would need a loss scale), got \(dtype)")
    return try Autocast.with(enabled ? dtype : nil, body)
}

/// The state `autocast` sets, per thread (as PyTorch's); a backward pass runs each GEMM under
/// the state its forward op saw.
public enum Autocast {
    /// The reduced type GEMMs and convolutions run in now on this thread, or nil.
    public static var dtype: DType? { DType(rawValue: nk_autocast_dtype()) }

    /// Runs `body` with `dtype` as the state (nil: full precision), restoring it after.
    static func with<R>(_ dtype: DType?, _ body: () throws -> R) rethrows -> R {
        let saved = nk_set_autocast_dtype(dtype?.rawValue ?? -1)
        defer { _ = nk_set_autocast_dtype(saved) }
        return try body()
    }

    /// Whether a GEMM producing `dtype` reads bfloat16 operands now.
    static func reducesGEMM(_ dtype: DType) -> Bool { dtype == .float32 && nk_autocast_dtype() == DType.bfloat16.rawValue }
}
