import Neuron

/// The WGAN-GP gradient penalty (Gulrajani et al., 2017): the mean over the batch of
/// (‖∇ₓ critic(x̂)‖₂ − 1)², at points x̂ = α·real + (1 − α)·fake on the lines between real and
/// generated samples, one α ∈ [0, 1] per sample (`alpha` [N]). The gradient is taken with
/// `createGraph: true`, so the penalty itself back-propagates into the critic's parameters
/// (a second-order gradient), as `torch.autograd.grad(..., create_graph=True)` does.
public func gradientPenalty(critic: (Tensor) -> Tensor, real: Tensor, fake: Tensor, alpha: Tensor) -> Tensor {
    precondition(real.shape == fake.shape, "gradientPenalty: real \(real.shape) and fake \(fake.shape) differ in shape")
    precondition(
        alpha.rank == 1 && alpha.shape[0] == real.shape[0],
        "gradientPenalty: alpha must be [\(real.shape[0])], got \(alpha.shape)")
    let weights = alpha.detach().reshaped([real.shape[0]] + Array(repeating: 1, count: real.rank - 1))
    let points = (real.detach() * weights + fake.detach() * (1 - weights)).detach()
    points.requiresGrad = true
    // Inside `noGrad` (an evaluation) the value is still computed, without a graph to the weights.
    let recording = GradMode.isEnabled
    return enableGrad {
        let gradient = gradients(of: critic(points).sum(), wrt: [points], createGraph: recording)[0]
        let norms = (gradient.reshaped([real.shape[0], -1]).square().sum(axis: 1) + 1e-12).sqrt()
        return (norms - 1).square().mean()
    }
}
