import CNeuronKernels

// Batch- and layer-normalisation kernels of the CPU backend.
extension CPUBackend {
    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: Tensor, variance: Tensor) {
        let mean = Tensor(uninitialized: [c], dtype: .float64), variance = Tensor(uninitialized: [c], dtype: .float64)
        if x.dtype == .float32, case let block = elementwiseBlock(x.shape, x), block > 0 {
            nk_blocked_channel_stats_f32(
                x.storedPointer, Int64(n), Int64(c), Int64(inner), Int64(block), mean.pointer(as: Double.self),
                variance.pointer(as: Double.self))
            return (mean, variance)
        }
        launch {
            let m = mean.pointer(as: Double.self), v = variance.pointer(as: Double.self)
            if x.dtype == .float32 {
                nk_channel_stats_f32(x.pointer(as: Float.self), Int64(n), Int64(c), Int64(inner), m, v)
            } else {
                nk_channel_stats_f64(x.pointer(as: Double.self), Int64(n), Int64(c), Int64(inner), m, v)
            }
        }
        return (mean, variance)
    }

    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: Tensor, n: Int, c: Int, inner: Int) -> (sum: Tensor, dot: Tensor) {
        let sum = Tensor(uninitialized: [c], dtype: .float64), dot = Tensor(uninitialized: [c], dtype: .float64)
        if x.dtype == .float32, case let block = elementwiseBlock(x.shape, gy, x), block > 0 {
            let (gy, x) = (blocked(gy, block), blocked(x, block))
            nk_blocked_channel_grad_sums_f32(
                gy.storedPointer, x.storedPointer, mean.pointer(as: Double.self), Int64(n), Int64(c), Int64(inner), Int64(block),
                sum.pointer(as: Double.self), dot.pointer(as: Double.self))
            return (sum, dot)
        }
        launch {
            let m = mean.pointer(as: Double.self), s = sum.pointer(as: Double.self), d = dot.pointer(as: Double.self)
            if x.dtype == .float32 {
                nk_channel_grad_sums_f32(gy.pointer(as: Float.self), x.pointer(as: Float.self), m, Int64(n), Int64(c), Int64(inner), s, d)
            } else {
                nk_channel_grad_sums_f64(gy.pointer(as: Double.self), x.pointer(as: Double.self), m, Int64(n), Int64(c), Int64(inner), s, d)
            }
        }
        return (sum, dot)
    }

    func channelAffine(_ u: Tensor, _ v: Tensor?, a: Tensor, b: Tensor?, d: Tensor, n: Int, c: Int, inner: Int) -> Tensor {
        let out = Tensor(uninitialized: u.shape, dtype: u.dtype)
        if u.dtype == .float32, case let block = elementwiseBlock(u.shape, u, v), block > 0 {
            let (u, v) = (blocked(u, block), v.map { blocked($0, block) })
            out.markBlocked(block)
            nk_blocked_channel_affine_f32(
                u.storedPointer, v?.storedPointer, out.storedPointer, a.pointer(as: Double.self), (b ?? a).pointer(as: Double.self),
                d.pointer(as: Double.self), Int64(n), Int64(c), Int64(inner), Int64(block))
            return out
        }
        launch {
            let bp = (b ?? a).pointer(as: Double.self), ap = a.pointer(as: Double.self), dp = d.pointer(as: Double.self)
            if u.dtype == .float32 {
                nk_channel_affine_f32(
                    u.pointer(as: Float.self), v?.pointer(as: Float.self), out.pointer(as: Float.self), ap, bp, dp,
                    Int64(n), Int64(c), Int64(inner))
            } else {
                nk_channel_affine_f64(
                    u.pointer(as: Double.self), v?.pointer(as: Double.self), out.pointer(as: Double.self), ap, bp, dp,
                    Int64(n), Int64(c), Int64(inner))
            }
        }
        return out
    }

    func fusedLayerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, rows: Int, width: Int, eps: Double)
        -> (output: Tensor, mean: Tensor, rstd: Tensor)?
    {
        let x = x.isContiguous ? x : contiguousCopy(x)
        let weight = weight.map { $0.isContiguous ? $0 : contiguousCopy($0) }, bias = bias.map { $0.isContiguous ? $0 : contiguousCopy($0) }
        let out = Tensor(uninitialized: x.shape, dtype: x.dtype)
        let mean = Tensor(uninitialized: [rows], dtype: x.dtype), rstd = Tensor(uninitialized: [rows], dtype: x.dtype)
        launch {
            if x.dtype == .float32 {
                nk_layer_norm_f32(
                    x.pointer(as: Float.self), weight?.pointer(as: Float.self), bias?.pointer(as: Float.self), out.pointer(as: Float.self),
                    mean.pointer(as: Float.self), rstd.pointer(as: Float.self), Int64(rows), Int64(width), eps)
            } else {
                nk_layer_norm_f64(
                    x.pointer(as: Double.self), weight?.pointer(as: Double.self), bias?.pointer(as: Double.self), out.pointer(as: Double.self),
                    mean.pointer(as: Double.self), rstd.pointer(as: Double.self), Int64(rows), Int64(width), eps)
            }
        }
        return (out, mean, rstd)
    }

    func fusedLayerNormBackward(_ g: Tensor, _ x: Tensor, weight: Tensor?, mean: Tensor, rstd: Tensor, rows: Int, width: Int)
        -> (dx: Tensor, dweight: Tensor?, dbias: Tensor?)
    {
        let g = g.isContiguous ? g : contiguousCopy(g), x = x.isContiguous ? x : contiguousCopy(x)
        let weight = weight.map { $0.isContiguous ? $0 : contiguousCopy($0) }
        let dx = Tensor(uninitialized: x.shape, dtype: x.dtype)
        let dweight = weight.map { Tensor(uninitialized: $0.shape, dtype: x.dtype) }
        let dbias = weight.map { Tensor(uninitialized: $0.shape, dtype: x.dtype) }
        launch {
            if x.dtype == .float32 {
                nk_layer_norm_backward_f32(
                    g.pointer(as: Float.self), x.pointer(as: Float.self), weight?.pointer(as: Float.self), mean.pointer(as: Float.self),
                    rstd.pointer(as: Float.self), dx.pointer(as: Float.self), dweight?.pointer(as: Float.self), dbias?.pointer(as: Float.self),
                    Int64(rows), Int64(width))
            } else {
                nk_layer_norm_backward_f64(
                    g.pointer(as: Double.self), x.pointer(as: Double.self), weight?.pointer(as: Double.self), mean.pointer(as: Double.self),
                    rstd.pointer(as: Double.self), dx.pointer(as: Double.self), dweight?.pointer(as: Double.self),
                    dbias?.pointer(as: Double.self), Int64(rows), Int64(width))
            }
        }
        return (dx, dweight, dbias)
    }
}
