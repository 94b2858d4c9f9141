// Batch normalisation's per-channel kernels on the CUDA backend (norm.cu): statistics and
// gradient sums reduced in double by one block per channel, and the per-channel affine map.
extension CUDABackend {
    private func channelBlocks(_ c: Int) -> Int { Swift.min(c, 65535) * 256 }

    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: Tensor, variance: Tensor) {
        let mean = Tensor(uninitialized: [c], dtype: .float64, device: device)
        let variance = Tensor(uninitialized: [c], dtype: .float64, device: device)
        var args = KernelArguments()
        args.add(tensors: [dense(x), mean, variance], sizes: [n, c, inner])
        launch("channel_stats_\(Self.suffix(x.dtype))", in: .norm, elements: channelBlocks(c), blocks: Swift.min(c, 65535), args)
        return (mean, variance)
    }

    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: Tensor, n: Int, c: Int, inner: Int) -> (sum: Tensor, dot: Tensor) {
        let sum = Tensor(uninitialized: [c], dtype: .float64, device: device)
        let dot = Tensor(uninitialized: [c], dtype: .float64, device: device)
        var args = KernelArguments()
        args.add(tensors: [dense(gy), dense(x), mean, sum, dot], sizes: [n, c, inner])
        launch(
            "channel_grad_sums_\(Self.suffix(gy.dtype))", in: .norm, elements: channelBlocks(c), blocks: Swift.min(c, 65535), args)
        return (sum, dot)
    }

    func channelAffine(_ u: Tensor, _ v: Tensor?, a: Tensor, b: Tensor?, d: Tensor, n: Int, c: Int, inner: Int) -> Tensor {
        let out = Tensor(uninitialized: u.shape, dtype: u.dtype, device: device)
        var args = KernelArguments()
        args.add(tensors: [dense(u), v.map(dense), a, b, d, out], sizes: [n, c, inner])
        launch("channel_affine_\(Self.suffix(u.dtype))", in: .norm, elements: out.count, args)
        return out
    }
}

// Layer norm in one pass each way (norm.cu), one warp per row.
extension CUDABackend {
    func fusedLayerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, rows: Int, width: Int, eps: Double)
        -> (output: Tensor, mean: Tensor, rstd: Tensor)?
    {
        let out = Tensor(uninitialized: x.shape, dtype: x.dtype, device: device)
        let mean = Tensor(uninitialized: [rows], dtype: x.dtype, device: device)
        let rstd = Tensor(uninitialized: [rows], dtype: x.dtype, device: device)
        var args = KernelArguments()
        args.add(tensors: [dense(x), weight.map(dense), bias.map(dense), out, mean, rstd], sizes: [rows, width])
        args.add(eps)
        launch("layer_norm_forward_\(Self.suffix(x.dtype))", in: .norm, elements: rows * 32, args)
        return (out, mean, rstd)
    }

    func fusedLayerNormBackward(_ g: Tensor, _ x: Tensor, weight: Tensor?, mean: Tensor, rstd: Tensor, rows: Int, width: Int)
        -> (dx: Tensor, dweight: Tensor?, dbias: Tensor?)
    {
        let (gradient, input) = (dense(g), dense(x))
        let dx = Tensor(uninitialized: x.shape, dtype: x.dtype, device: device)
        var args = KernelArguments()
        args.add(tensors: [gradient, input, weight.map(dense), mean, rstd, dx], sizes: [rows, width])
        launch("layer_norm_backward_\(Self.suffix(x.dtype))", in: .norm, elements: rows * 32, args)
        guard let weight else { return (dx, nil, nil) }
        let dweight = Tensor(uninitialized: weight.shape, dtype: x.dtype, device: device)
        let dbias = Tensor(uninitialized: weight.shape, dtype: x.dtype, device: device)
        var sums = KernelArguments()
        sums.add(tensors: [gradient, input, mean, rstd, dweight, dbias], sizes: [rows, width])
        launch("layer_norm_parameter_grads_\(Self.suffix(x.dtype))", in: .norm, elements: width, sums)
        return (dx, dweight, dbias)
    }
}
