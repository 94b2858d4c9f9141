import Neuron

/// KL(q ‖ p) of a diagonal Gaussian q = N(mean, exp(logVariance)) from the standard normal
/// prior, summed over the last dimension: ½ Σ (μ² + σ² − 1 − log σ²), one value per example
/// ([N, Z] → [N]).
public func gaussianKLDivergence(mean: Tensor, logVariance: Tensor) -> Tensor {
    precondition(
        mean.shape == logVariance.shape && mean.rank >= 1,
        "gaussianKLDivergence: mean \(mean.shape) and log-variance \(logVariance.shape) must share a shape")
    return ((mean.square() + logVariance.exp() - logVariance - 1) * 0.5).sum(axis: -1)
}

/// The reparameterisation trick: μ + σ·ε with σ = exp(½ log σ²), differentiable in μ and
/// log σ² for a fixed draw `noise` ~ N(0, 1) of the same shape.
public func reparameterize(mean: Tensor, logVariance: Tensor, noise: Tensor) -> Tensor {
    precondition(
        mean.shape == logVariance.shape && noise.shape == mean.shape,
        "reparameterize: mean \(mean.shape), log-variance \(logVariance.shape) and noise \(noise.shape) must share a shape")
    return mean + (logVariance * 0.5).exp() * noise
}

/// log N(x; mean, exp(logVariance)) of a diagonal Gaussian, summed over the last dimension.
public func gaussianLogDensity(_ x: Tensor, mean: Tensor, logVariance: Tensor) -> Tensor {
    let log2π = 1.8378770664093453
    return ((x - mean).square() / logVariance.exp() + logVariance + log2π).sum(axis: -1) * -0.5
}
