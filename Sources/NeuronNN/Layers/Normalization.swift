import Neuron

/// Batch normalisation over channels (axis 1) of [N, C] or [N, C, …]: batch statistics in
/// training (running statistics updated with `momentum`, the variance unbiased), running
/// statistics in evaluation. PyTorch's defaults and state-dict names.
public class BatchNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVar: Tensor
    @Buffer public var numBatchesTracked: Tensor
    public let eps: Double, momentum: Double
    /// When true the layer normalises with its running statistics and leaves them unchanged,
    /// even in training mode: a frozen backbone keeps the statistics it was pretrained with.
    public var statisticsFrozen = false
    /// When set, training statistics are computed over every replica of the layer: the
    /// function sums a tensor of per-channel sums over them, differentiably (synchronised batch
    /// norm across the processes of a data-parallel job, PyTorch's `SyncBatchNorm`).
    public var replicaSum: ((Tensor) -> Tensor)?

    public init(_ channels: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true, dtype: DType = .float32) {
        weight = affine ? Tensor.ones([channels], dtype: dtype).requiringGrad() : nil
        bias = affine ? Tensor.zeros([channels], dtype: dtype).requiringGrad() : nil
        runningMean = Tensor.zeros([channels], dtype: dtype)
        runningVar = Tensor.ones([channels], dtype: dtype)
        numBatchesTracked = Tensor.zeros([], dtype: .int64)
        (self.eps, self.momentum) = (eps, momentum)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            input.rank >= 2 && input.shape[1] == runningMean.count,
            "BatchNorm: input \(input.shape) does not have \(runningMean.count) channels on axis 1")
        if isTraining && !statisticsFrozen, let replicaSum { return synchronizedForward(input, replicaSum) }
        if isTraining && !statisticsFrozen {
            let count = input.count / input.shape[1]
            precondition(count > 1, "BatchNorm: training needs more than one value per channel, got input \(input.shape)")
            let (output, mean, variance) = input.batchNormalized(weight: weight, bias: bias, eps: eps)
            noGrad {
                runningMean.assign(runningMean * (1 - momentum) + mean * momentum)
                runningVar.assign(runningVar * (1 - momentum) + variance * (momentum * Double(count) / Double(count - 1)))
                numBatchesTracked.assign(numBatchesTracked + 1)
            }
            return output
        }
        // y = x · scale + shift with the running statistics: one pass over the input.
        var scale = (runningVar + eps).rsqrt()
        if let weight { scale = scale * weight }
        var shift = -runningMean * scale
        if let bias { shift = shift + bias }
        return input.channelScaled(scale: scale, shift: shift)
    }
}

extension BatchNorm {
    /// Training-mode normalisation with the mean and variance of the examples of every
    /// replica: two sums over the replicas (of the values with their count, then of the squared
    /// deviations), each differentiable, so backward sums the statistics' gradients as well.
    func synchronizedForward(_ input: Tensor, _ replicaSum: (Tensor) -> Tensor) -> Tensor {
        // Float64 inside: backward subtracts nearly equal sums over every replica's values.
        let x = input.dtype == .float32 ? input.to(.float64) : input
        let channels = x.shape[1]
        let axes = [0] + Array(2..<x.rank)
        var statShape = [Int](repeating: 1, count: x.rank)
        statShape[1] = channels
        let localCount = Tensor([Double(x.count / channels)], dtype: x.dtype).to(x.device)
        let totals = replicaSum(Tensor.concat([x.sum(axes: axes), localCount], axis: 0))
        let count = totals[channels].item()
        precondition(count > 1, "BatchNorm: training needs more than one value per channel over all replicas, got \(count)")
        let mean = totals[..<channels] / count
        let centred = x - mean.reshaped(statShape)
        let variance = replicaSum(centred.square().sum(axes: axes)) / count
        var output = centred * (variance + eps).rsqrt().reshaped(statShape)
        if let weight { output = output * weight.to(x.dtype).reshaped(statShape) }
        if let bias { output = output + bias.to(x.dtype).reshaped(statShape) }
        noGrad {
            runningMean.assign(runningMean * (1 - momentum) + mean.detach().to(runningMean.dtype) * momentum)
            runningVar.assign(
                runningVar * (1 - momentum) + variance.detach().to(runningVar.dtype) * (momentum * count / (count - 1)))
            numBatchesTracked.assign(numBatchesTracked + 1)
        }
        return output.to(input.dtype)
    }
}

/// Batch normalisation of [N, C] or [N, C, L].
public final class BatchNorm1d: BatchNorm {}

/// Batch normalisation of [N, C, H, W].
public final class BatchNorm2d: BatchNorm {}

/// Normalises over the last dimensions (`normalizedShape`), with per-element affine parameters.
public final class LayerNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let normalizedShape: [Int], eps: Double

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, dtype: DType = .float32) {
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, dtype: dtype).requiringGrad() : nil
        bias = elementwiseAffine ? Tensor.zeros(normalizedShape, dtype: dtype).requiringGrad() : nil
        (self.normalizedShape, self.eps) = (normalizedShape, eps)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            Array(input.shape.suffix(normalizedShape.count)) == normalizedShape,
            "LayerNorm: input \(input.shape) does not end in \(normalizedShape)")
        return input.layerNormalized(lastDimensions: normalizedShape.count, weight: weight, bias: bias, eps: eps)
    }
}

/// Normalises groups of channels of [N, C, …] per sample, with per-channel affine parameters.
public final class GroupNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let groups: Int, channels: Int, eps: Double

    public init(groups: Int, channels: Int, eps: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        weight = affine ? Tensor.ones([channels], dtype: dtype).requiringGrad() : nil
        bias = affine ? Tensor.zeros([channels], dtype: dtype).requiringGrad() : nil
        (self.groups, self.channels, self.eps) = (groups, channels, eps)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 2 && input.shape[1] == channels, "GroupNorm: input \(input.shape) does not have \(channels) channels")
        let grouped = input.reshaped([input.shape[0], groups, -1])
        let centred = grouped - grouped.mean(axis: 2, keepDims: true)
        var out = (centred * (centred.square().mean(axis: 2, keepDims: true) + eps).rsqrt()).reshaped(input.shape)
        var affineShape = [Int](repeating: 1, count: input.rank)
        affineShape[1] = channels
        if let weight { out = out * weight.reshaped(affineShape) }
        if let bias { out = out + bias.reshaped(affineShape) }
        return out
    }
}
