import Neuron

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight
/// decay, exactly as PyTorch's `torch.optim.SGD`.
public final class SGD: Optimizer {
    public init(
        _ groups: [ParameterGroup], lr: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
        super.init(
            groups,
            defaults: [
                .lr: lr, .momentum: momentum, .dampening: dampening,
                .weightDecay: weightDecay, .nesterov: nesterov ? 1 : 0,
            ])
    }

    public convenience init(
        _ parameters: [Tensor], lr: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        self.init(
            [ParameterGroup(parameters)], lr: lr, momentum: momentum, dampening: dampening,
            weightDecay: weightDecay, nesterov: nesterov)
    }

    public override func update(
        _ parameter: Tensor, grad: Tensor, group: ParameterGroup,
        state: inout [String: Tensor], step: Int
    ) {
        let decay = group.weightDecay, momentum = group.momentum
        let previous = state["momentum_buffer"]
        let buffer = momentum != 0 ? (previous ?? parameter.zerosLike()) : nil
        if FusedUpdates.sgd(
            parameter: parameter, grad: grad, momentumBuffer: buffer, lr: group.learningRate, momentum: momentum,
            dampening: group[.dampening], weightDecay: decay, nesterov: group[.nesterov] != 0, firstStep: previous == nil)
        {
            if let buffer { state["momentum_buffer"] = buffer }
            return
        }
        var g = grad
        if decay != 0 { g = g + parameter * decay }
        if momentum != 0 {
            let buffer: Tensor
            if let previous = state["momentum_buffer"] {
                buffer = previous * momentum + g * (1 - group[.dampening])
            } else {
                buffer = g.copy()
            }
            state["momentum_buffer"] = buffer
            g = group[.nesterov] != 0 ? g + buffer * momentum : buffer
        }
        parameter.assign(parameter - g * group.learningRate)
    }
}
