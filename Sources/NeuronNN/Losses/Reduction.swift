import Neuron

/// How a loss combines its per-element values (PyTorch's `reduction`).
public enum Reduction: Sendable {
    /// Per-element losses, unreduced.
    case none
    case mean
    case sum
    /// The sum divided by the batch size (the first dimension); for `klDivergence`.
    case batchMean

    func apply(_ losses: Tensor, _ op: String) -> Tensor {
        switch self {
        case .none: return losses
        case .mean: return losses.mean()
        case .sum: return losses.sum()
        case .batchMean: return losses.sum() / Double(losses.rank == 0 ? 1 : losses.shape[0])
        }
    }
}

func checkSameShape(_ input: Tensor, _ target: Tensor, _ op: String) {
    precondition(
        input.shape == target.shape,
        "\(op): input of shape \(input.shape) and target of shape \(target.shape) differ")
}

/// Mean squared error.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "mseLoss")
    return reduction.apply((input - target).square(), "mseLoss")
}

/// Mean absolute error.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "l1Loss")
    return reduction.apply((input - target).abs(), "l1Loss")
}

/// 0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere.
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Double = 1, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "smoothL1Loss")
    let d = (input - target).abs()
    if beta == 0 { return reduction.apply(d, "smoothL1Loss") }
    return reduction.apply(Tensor.where(d .< beta, d.square() * (0.5 / beta), d - 0.5 * beta), "smoothL1Loss")
}

/// 0.5·d² where |d| ≤ delta, delta·(|d| − 0.5·delta) elsewhere.
public func huberLoss(_ input: Tensor, _ target: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "huberLoss")
    let d = (input - target).abs()
    return reduction.apply(Tensor.where(d .<= delta, d.square() * 0.5, (d - 0.5 * delta) * delta), "huberLoss")
}

/// Binary cross-entropy on probabilities; each log is clamped at −100 as in PyTorch.
public func binaryCrossEntropy(
    _ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
    reduction: Reduction = .mean
) -> Tensor {
    checkSameShape(input, target, "binaryCrossEntropy")
    let logP = input.log().maximum(-100), logNotP = (1 - input).log().maximum(-100)
    var losses = -(target * logP + (1 - target) * logNotP)
    if let weight { losses = losses * weight }
    return reduction.apply(losses, "binaryCrossEntropy")
}

/// Binary cross-entropy on logits, computed stably; `positiveWeight` scales the positive
/// term per class (broadcast over the last dimension).
public func binaryCrossEntropyWithLogits(
    _ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
    positiveWeight: Tensor? = nil, reduction: Reduction = .mean
) -> Tensor {
    checkSameShape(input, target, "binaryCrossEntropyWithLogits")
    // log(1 + exp(−x)) = log1p(exp(−|x|)) + max(−x, 0)
    let softplusNegative = (-input.abs()).exp().log1p() + (-input).relu()
    let logWeight = positiveWeight.map { (($0 - 1) * target) + 1 }
    var losses = (1 - target) * input + (logWeight.map { $0 * softplusNegative } ?? softplusNegative)
    if let weight { losses = losses * weight }
    return reduction.apply(losses, "binaryCrossEntropyWithLogits")
}

/// Kullback–Leibler divergence KL(target ‖ input) with `input` given as log-probabilities
/// (and `target` too when `logTarget`). Use `.batchMean` for the mathematical definition.
public func klDivergence(
    _ input: Tensor, _ target: Tensor, reduction: Reduction = .mean,
    logTarget: Bool = false
) -> Tensor {
    checkSameShape(input, target, "klDivergence")
    let pointwise: Tensor
    if logTarget {
        pointwise = target.exp() * (target - input)
    } else {
        // target · log(target) taken as 0 where target is 0.
        let positive = target .> 0
        let safeLog = Tensor.where(positive, target, target.onesLike()).log()
        pointwise = Tensor.where(positive, target * (safeLog - input), (target * input).zerosLike())
    }
    return reduction.apply(pointwise, "klDivergence")
}
