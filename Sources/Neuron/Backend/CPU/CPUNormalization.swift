import CNeuronKernels

// Batch-normalisation kernels of the CPU backend.
extension CPUBackend {
    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: [Double], variance: [Double]) {
        var mean = [Double](repeating: 0, count: c), variance = mean
        if x.dtype == .float32 {
            nk_channel_stats_f32(x.pointer(as: Float.self), Int64(n), Int64(c), Int64(inner), &mean, &variance)
        } else {
            nk_channel_stats_f64(x.pointer(as: Double.self), Int64(n), Int64(c), Int64(inner), &mean, &variance)
        }
        return (mean, variance)
    }

    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: [Double], n: Int, c: Int, inner: Int) -> (sum: [Double], dot: [Double]) {
        var sum = [Double](repeating: 0, count: c), dot = sum
        if x.dtype == .float32 {
            nk_channel_grad_sums_f32(
                gy.pointer(as: Float.self), x.pointer(as: Float.self), mean, Int64(n), Int64(c),
                Int64(inner), &sum, &dot)
        } else {
            nk_channel_grad_sums_f64(
                gy.pointer(as: Double.self), x.pointer(as: Double.self), mean, Int64(n), Int64(c),
                Int64(inner), &sum, &dot)
        }
        return (sum, dot)
    }

    func channelAffine(_ u: Tensor, _ v: Tensor?, a: [Double], b: [Double]?, d: [Double], n: Int, c: Int, inner: Int) -> Tensor {
        let out = Tensor(uninitialized: u.shape, dtype: u.dtype)
        let b = b ?? a
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
