extension Tensor {
    /// Batch normalisation of x [N, C, …] with the batch's own statistics over every axis but 1:
    /// (x − mean) / √(variance + eps) · weight + bias, with optional per-channel `weight` and
    /// `bias` [C]. Also returns the batch mean and biased variance (without gradient), from
    /// which callers update running statistics.
    ///
    /// Forward and first-order backward are fused kernels (three and four passes over x); when
    /// the backward pass itself is recorded (`createGraph`), the gradient is built from
    /// differentiable ops instead, so higher orders work too.
    public func batchNormalized(weight: Tensor?, bias: Tensor?, eps: Double) -> (output: Tensor, mean: Tensor, variance: Tensor) {
        if dtype == .bfloat16 {
            let wide = to(.float32).batchNormalized(weight: weight?.to(.float32), bias: bias?.to(.float32), eps: eps)
            return (wide.output.to(.bfloat16), wide.mean, wide.variance)
        }
        precondition(rank >= 2 && dtype.isFloatingPoint, "batchNormalized: expects a floating-point input [N, C, …], got \(dtype) \(shape)")
        let (n, c) = (shape[0], shape[1]), inner = count / Swift.max(n * c, 1)
        precondition(n * inner > 1, "batchNormalized: needs more than one value per channel, got input \(shape)")
        for parameter in [weight, bias].compactMap({ $0 }) {
            precondition(
                parameter.shape == [c] && parameter.dtype == dtype,
                "batchNormalized: weight and bias must be \(dtype) [\(c)] for input \(shape), got \(parameter.dtype) \(parameter.shape)")
        }
        Tensor.checkDevices([self] + [weight, bias].compactMap { $0 }, "batchNormalized")
        let x = contiguous(), backend = device.backend
        // Per-channel arithmetic in float64 on [C] tensors, never recorded.
        let (mean, variance, invstd, scale, shift) = noGrad {
            let (mean, variance) = backend.channelStats(x, n: n, c: c, inner: inner)
            let invstd = (variance + eps).rsqrt()
            let scale = weight.map { $0.to(.float64) * invstd } ?? invstd
            let shift = bias.map { $0.to(.float64) - mean * scale } ?? -(mean * scale)
            return (mean, variance, invstd, scale, shift)
        }
        let y = backend.channelAffine(x, nil, a: scale, b: nil, d: shift, n: n, c: c, inner: inner)
        let inputs = [self] + [weight, bias].compactMap { $0 }
        if Tensor.recording(inputs) {
            let dtype = self.dtype
            y.record("batchNorm", inputs) { grad, _ in
                if GradMode.isEnabled { return self.composedBatchNormGradients(grad, weight: weight, hasBias: bias != nil, eps: eps) }
                let g = grad.contiguous(), m = Double(n * inner)
                let (sum, dot) = backend.channelGradSums(g, x, mean: mean, n: n, c: c, inner: inner)
                // dx = γ·σ⁻¹·(dy − Σdy/m − x̂·Σ(dy·x̂)/m), as a·dy + b·x + d per channel.
                let b = -(scale * invstd * invstd * dot) / m
                let d = -(scale * sum) / m - b * mean
                var grads: [Tensor?] = [self._requiresGrad ? backend.channelAffine(g, x, a: scale, b: b, d: d, n: n, c: c, inner: inner) : nil]
                if weight != nil { grads.append((dot * invstd).to(dtype)) }
                if bias != nil { grads.append(sum.to(dtype)) }
                return grads
            }
        }
        return (y, mean.to(dtype), variance.to(dtype))
    }

    /// x · scale + shift per channel for x [N, C, …] and `scale`, `shift` [C]: batch
    /// normalisation with fixed statistics (inference, a frozen layer). One pass forward over
    /// x, which keeps the layout a convolution stored it in; differentiable in all three.
    public func channelScaled(scale: Tensor, shift: Tensor) -> Tensor {
        precondition(rank >= 2, "channelScaled: expects an input [N, C, …], got \(shape)")
        let (n, c) = (shape[0], shape[1]), inner = count / Swift.max(n * c, 1)
        precondition(
            scale.shape == [c] && shift.shape == [c],
            "channelScaled: scale and shift must be [\(c)] for input \(shape), got \(scale.shape) and \(shift.shape)")
        Tensor.checkDevices([self, scale, shift], "channelScaled")
        var statShape = [Int](repeating: 1, count: rank)
        statShape[1] = c
        guard dtype == .float32 || dtype == .float64, scale.dtype == dtype, shift.dtype == dtype, count > 0 else {
            return self * scale.reshaped(statShape) + shift.reshaped(statShape)
        }
        let x = contiguous(), backend = device.backend
        let (a, d) = noGrad { (scale.to(.float64), shift.to(.float64)) }
        let y = backend.channelAffine(x, nil, a: a, b: nil, d: d, n: n, c: c, inner: inner)
        if Tensor.recording([self, scale, shift]) {
            let dtype = self.dtype
            y.record("channelScaled", [self, scale, shift]) { grad, _ in
                if GradMode.isEnabled {
                    let axes = [0] + Array(2..<self.rank)
                    return [grad * scale.reshaped(statShape), (grad * self).sum(axes: axes), grad.sum(axes: axes)]
                }
                let g = grad.contiguous(), zeros = Tensor.zeros([c], dtype: .float64, device: self.device)
                let dx = self._requiresGrad ? backend.channelAffine(g, nil, a: a, b: nil, d: zeros, n: n, c: c, inner: inner) : nil
                guard scale._requiresGrad || shift._requiresGrad else { return [dx, nil, nil] }
                let (sum, dot) = backend.channelGradSums(g, x, mean: zeros, n: n, c: c, inner: inner)
                return [dx, dot.to(dtype), sum.to(dtype)]
            }
        }
        return y
    }

    /// The gradients of `batchNormalized` in x, weight and bias from differentiable ops.
    func composedBatchNormGradients(_ grad: Tensor, weight: Tensor?, hasBias: Bool, eps: Double) -> [Tensor?] {
        let axes = [0] + Array(2..<rank)
        var statShape = [Int](repeating: 1, count: rank)
        statShape[1] = shape[1]
        let centred = self - mean(axes: axes, keepDims: true)
        let invstd = (centred.square().mean(axes: axes, keepDims: true) + eps).rsqrt()
        let normalized = centred * invstd
        let gNormalized = weight.map { grad * $0.reshaped(statShape) } ?? grad
        let gx =
            invstd
            * (gNormalized - gNormalized.mean(axes: axes, keepDims: true)
                - normalized * (gNormalized * normalized).mean(axes: axes, keepDims: true))
        var grads: [Tensor?] = [gx]
        if weight != nil { grads.append((grad * normalized).sum(axes: axes)) }
        if hasBias { grads.append(grad.sum(axes: axes)) }
        return grads
    }
}

extension Tensor {
    /// Layer normalisation over the last `lastDimensions` dimensions (PyTorch's `layer_norm`):
    /// (x − mean) / √(var + eps) · weight + bias, the variance biased; weight and bias have those
    /// dimensions' shape. One pass forward and backward where the backend fuses it (CUDA), else
    /// composed; a recorded backward (`createGraph`) is composed, so it differentiates again.
    public func layerNormalized(lastDimensions: Int, weight: Tensor?, bias: Tensor?, eps: Double) -> Tensor {
        precondition(
            lastDimensions >= 1 && lastDimensions <= rank, "layerNormalized: \(lastDimensions) dimensions of an input \(shape)")
        let axes = Array((rank - lastDimensions)..<rank)
        let width = axes.reduce(1) { $0 * shape[$1] }
        if dtype == .float32 || dtype == .float64, width > 0, weight.map({ $0.dtype == dtype }) ?? true,
            bias.map({ $0.dtype == dtype }) ?? true,
            let (output, mean, rstd) = device.backend.fusedLayerNorm(
                self, weight: weight, bias: bias, rows: count / width, width: width, eps: eps)
        {
            let inputs = [self] + [weight, bias].compactMap { $0 }
            if Tensor.recording(inputs) {
                let x = self
                output.record("layerNorm", inputs) { g, _ in
                    if GradMode.isEnabled || (weight == nil && bias != nil) {
                        return x.composedLayerNormGradients(g, axes: axes, weight: weight, hasBias: bias != nil, eps: eps)
                    }
                    let grads = x.device.backend.fusedLayerNormBackward(
                        g, x, weight: weight, mean: mean, rstd: rstd, rows: x.count / width, width: width)
                    return [grads.dx] + (weight == nil ? [] : [grads.dweight]) + (bias == nil ? [] : [grads.dbias])
                }
            }
            return output
        }
        let centred = self - mean(axes: axes, keepDims: true)
        var out = centred * (centred.square().mean(axes: axes, keepDims: true) + eps).rsqrt()
        if let weight { out = out * weight }
        if let bias { out = out + bias }
        return out
    }

    /// The gradients of layer norm as differentiable ops (for `createGraph`).
    func composedLayerNormGradients(_ g: Tensor, axes: [Int], weight: Tensor?, hasBias: Bool, eps: Double) -> [Tensor?] {
        let centred = self - mean(axes: axes, keepDims: true)
        let rstd = (centred.square().mean(axes: axes, keepDims: true) + eps).rsqrt()
        let normed = centred * rstd
        let gw = weight.map { g * $0 } ?? g
        let dx = rstd * (gw - gw.mean(axes: axes, keepDims: true) - normed * (gw * normed).mean(axes: axes, keepDims: true))
        let batchAxes = Array(0..<(rank - axes.count))
        var grads: [Tensor?] = [dx]
        let total = { (t: Tensor) in batchAxes.isEmpty ? t : t.sum(axes: batchAxes) }
        if weight != nil { grads.append(total(g * normed)) }
        if hasBias { grads.append(total(g)) }
        return grads
    }
}
