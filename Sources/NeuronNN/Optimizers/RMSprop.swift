import Neuron

/// RMSprop with optional momentum and centring, as PyTorch's `torch.optim.RMSprop`.
public final class RMSprop: Optimizer {
    public init(
        _ groups: [ParameterGroup], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
        weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
    ) {
        super.init(
            groups,
            defaults: [
                .lr: lr, .alpha: alpha, .eps: eps, .weightDecay: weightDecay,
                .momentum: momentum, .centered: centered ? 1 : 0,
            ])
    }

    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
        weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
    ) {
        self.init(
            [ParameterGroup(parameters)], lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay,
            momentum: momentum, centered: centered)
    }

    public override func update(
        _ parameter: Tensor, grad: Tensor, group: ParameterGroup,
        state: inout [String: Tensor], step: Int
    ) {
        let alpha = group[.alpha], decay = group.weightDecay, momentum = group.momentum
        var g = grad
        if decay != 0 { g = g + parameter * decay }
        let square = (state["square_avg"] ?? g.zerosLike()) * alpha + g.square() * (1 - alpha)
        state["square_avg"] = square
        var average: Tensor
        if group[.centered] != 0 {
            let gradAverage = (state["grad_avg"] ?? g.zerosLike()) * alpha + g * (1 - alpha)
            state["grad_avg"] = gradAverage
            average = (square - gradAverage.square()).sqrt() + group[.eps]
        } else {
            average = square.sqrt() + group[.eps]
        }
        if momentum > 0 {
            let buffer = (state["momentum_buffer"] ?? g.zerosLike()) * momentum + g / average
            state["momentum_buffer"] = buffer
            parameter.assign(parameter - buffer * group.learningRate)
        } else {
            parameter.assign(parameter - g / average * group.learningRate)
        }
    }
}
