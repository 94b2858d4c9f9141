import Neuron

/// Cross-entropy between logits (classes on axis 1: [N, C] or [N, C, d1, …]) and either
/// int64 class indices ([N] or [N, d1, …]) or class probabilities (the logits' shape),
/// with PyTorch's class weights, ignore index and label smoothing.
public func crossEntropy(
    _ logits: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
    labelSmoothing: Double = 0, reduction: Reduction = .mean
) -> Tensor {
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropy: label smoothing \(labelSmoothing) is outside [0, 1]")
    let (logProbabilities, classes) = classesLast(logits.logSoftmax(axis: logits.rank == 1 ? 0 : 1), "crossEntropy")
    if target.dtype.isFloatingPoint {
        precondition(
            target.shape == logits.shape,
            "crossEntropy: probability target of shape \(target.shape) does not match logits \(logits.shape)")
        var probabilities = classesLast(target, "crossEntropy").0
        if labelSmoothing > 0 { probabilities = probabilities * (1 - labelSmoothing) + labelSmoothing / Double(classes) }
        var terms = logProbabilities * probabilities
        if let weight { terms = terms * weight }
        let losses = -terms.sum(axis: 1)
        switch reduction {
        case .mean, .batchMean: return losses.sum() / Double(losses.shape[0])
        case .sum: return losses.sum()
        case .none: return losses.reshaped(Array(logits.shape.enumerated().filter { $0.offset != 1 }.map { $0.element }))
        }
    }
    let flatTarget = checkedTarget(target, logits, "crossEntropy")
    let nll = negativeLogLikelihood(
        logProbabilities, flatTarget, weight: weight, ignoreIndex: ignoreIndex,
        reduction: reduction, outputShape: target.shape)
    guard labelSmoothing > 0 else { return nll }
    let valid = (flatTarget .!= Double(ignoreIndex)).to(logits.dtype)
    var smooth = weight.map { -(logProbabilities * $0).sum(axis: 1) } ?? -logProbabilities.sum(axis: 1)
    smooth = smooth * valid
    let reduced: Tensor
    switch reduction {
    case .mean, .batchMean:
        let denominator = weight.map { targetWeights($0, flatTarget, valid).sum() } ?? valid.sum()
        reduced = smooth.sum() / denominator
    case .sum: reduced = smooth.sum()
    case .none: reduced = smooth.reshaped(target.shape)
    }
    return nll * (1 - labelSmoothing) + reduced * (labelSmoothing / Double(classes))
}

/// Negative log-likelihood of int64 class indices under log-probabilities (classes on axis 1).
public func nllLoss(
    _ logProbabilities: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
    reduction: Reduction = .mean
) -> Tensor {
    let (flat, _) = classesLast(logProbabilities, "nllLoss")
    return negativeLogLikelihood(
        flat, checkedTarget(target, logProbabilities, "nllLoss"), weight: weight,
        ignoreIndex: ignoreIndex, reduction: reduction, outputShape: target.shape)
}

/// [N, C, d…] → ([N·d…, C], C); a 1-D input is one sample.
func classesLast(_ x: Tensor, _ op: String) -> (Tensor, Int) {
    precondition(x.rank >= 1, "\(op): input needs a class dimension, got shape \(x.shape)")
    if x.rank == 1 { return (x.unsqueezed(axis: 0), x.shape[0]) }
    if x.rank == 2 { return (x, x.shape[1]) }
    let classes = x.shape[1]
    var order = [0] + Array(2..<x.rank)
    order.append(1)
    return (x.permuted(order).reshaped([-1, classes]), classes)
}

func checkedTarget(_ target: Tensor, _ input: Tensor, _ op: String) -> Tensor {
    precondition(target.dtype == .int64, "\(op): class targets must be int64, got \(target.dtype) of shape \(target.shape)")
    let expected = input.rank == 1 ? [] : Array(input.shape.enumerated().filter { $0.offset != 1 }.map { $0.element })
    precondition(
        target.shape == expected,
        "\(op): target of shape \(target.shape) does not match input \(input.shape) (expected \(expected))")
    return target.reshaped([-1])
}

/// Weight of each sample's target class, zero where ignored.
func targetWeights(_ weight: Tensor, _ target: Tensor, _ valid: Tensor) -> Tensor {
    let safe = Tensor.where(valid .> 0, target, target.zerosLike())
    return weight.indexSelect(axis: 0, index: safe) * valid
}

func negativeLogLikelihood(
    _ logProbabilities: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int,
    reduction: Reduction, outputShape: [Int]
) -> Tensor {
    let validMask = target .!= Double(ignoreIndex)
    let valid = validMask.to(logProbabilities.dtype)
    let safeTarget = Tensor.where(validMask, target, target.zerosLike())
    let picked = logProbabilities.gather(axis: 1, index: safeTarget.unsqueezed(axis: 1)).squeezed(axis: 1)
    let sampleWeights = weight.map { targetWeights($0, target, valid) } ?? valid
    let losses = -picked * sampleWeights
    switch reduction {
    case .mean, .batchMean: return losses.sum() / sampleWeights.sum()
    case .sum: return losses.sum()
    case .none: return losses.reshaped(outputShape)
    }
}
