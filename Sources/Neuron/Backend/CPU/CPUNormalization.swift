import CNeuronKernels

// Batch-normalisation kernels of the CPU backend.
extension CPUBackend {
    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: Tensor, variance: Tensor) {
        let mean = Tensor(uninitialized: [c], dtype: .float64), variance = Tensor(uninitialized: [c], dtype: .float64)
        let m = mean.pointer(as: Double.self), v = variance.pointer(as: Double.self)
        if x.dtype == .float32 {
            nk_channel_stats_f32(x.pointer(as: Float.self), Int64(n), Int64(c), Int64(inner), m, v)
        } else {
            nk_channel_stats_f64(x.pointer(as: Double.self), Int64(n), Int64(c), Int64(inner), m, v)
        }
        return (mean, variance)
    }

    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: Tensor, n: Int, c: Int, inner: Int) -> (sum: Tensor, dot: Tensor) {
        let sum = Tensor(uninitialized: [c], dtype: .float64), dot = Tensor(uninitialized: [c], dtype: .float64)
        let m = mean.pointer(as: Double.self), s = sum.pointer(as: Double.self), d = dot.pointer(as: Double.self)
        if x.dtype == .float32 {
            nk_channel_grad_sums_f32(gy.pointer(as: Float.self), x.pointer(as: Float.self), m, Int64(n), Int64(c), Int64(inner), s, d)
        } else {
            nk_channel_grad_sums_f64(gy.pointer(as: Double.self), x.pointer(as: Double.self), m, Int64(n), Int64(c), Int64(inner), s, d)
        }
        return (sum, dot)
    }

    func channelAffine(_ u: Tensor, _ v: Tensor?, a: Tensor, b: Tensor?, d: Tensor, n: Int, c: Int, inner: Int) -> Tensor {
        let out = Tensor(uninitialized: u.shape, dtype: u.dtype)
        let b = (b ?? a).pointer(as: Double.self), a = a.pointer(as: Double.self), d = d.pointer(as: Double.self)
        if u.dtype == .float32 {
            nk_channel_affine_f32(
                u.pointer(as: Float.self), v?.pointer(as: Float.self), out.pointer(as: Float.self), a, b, d,
                Int64(n), Int64(c), Int64(inner))
        } else {
            nk_channel_affine_f64(
                u.pointer(as: Double.self), v?.pointer(as: Double.self), out.pointer(as: Double.self), a, b, d,
                Int64(n), Int64(c), Int64(inner))
        }
        return out
    }
}
