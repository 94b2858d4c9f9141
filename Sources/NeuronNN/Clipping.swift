import Glibc
import Neuron

/// Scales all gradients together so their joint norm is at most `maxNorm` and returns the
/// norm before clipping (PyTorch's `clip_grad_norm_`). Parameters without gradients are skipped.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) -> Double {
    let grads = parameters.compactMap { $0.grad }
    if grads.isEmpty { return 0 }
    let total: Double = noGrad {
        if normType.isInfinite { return grads.map { $0.abs().max().item() }.max() ?? 0 }
        let sum = grads.map { $0.abs().pow(normType).sum().to(.float64).item() }.reduce(0, +)
        return pow(sum, 1 / normType)
    }
    let scale = maxNorm / (total + 1e-6)
    if scale < 1 {
        noGrad { for g in grads { g.assign(g * scale) } }
    }
    return total
}

/// Limits every gradient element to [−clipValue, clipValue].
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
    noGrad {
        for g in parameters.compactMap({ $0.grad }) { g.assign(g.clamped(min: -clipValue, max: clipValue)) }
    }
}
