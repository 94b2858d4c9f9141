import Neuron

/// Adagrad with learning-rate decay, as PyTorch's `torch.optim.Adagrad`.
public final class Adagrad: Optimizer {
    public init(
        _ groups: [ParameterGroup], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
        initialAccumulatorValue: Double = 0, eps: Double = 1e-10
    ) {
        super.init(
            groups,
            defaults: [
                .lr: lr, .lrDecay: lrDecay, .weightDecay: weightDecay,
                .initialAccumulatorValue: initialAccumulatorValue, .eps: eps,
            ])
    }

    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
        initialAccumulatorValue: Double = 0, eps: Double = 1e-10
    ) {
        self.init(
            [ParameterGroup(parameters)], lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
            initialAccumulatorValue: initialAccumulatorValue, eps: eps)
    }

    public override func update(
        _ parameter: Tensor, grad: Tensor, group: ParameterGroup,
        state: inout [String: Tensor], step: Int
    ) {
        var g = grad
        if group.weightDecay != 0 { g = g + parameter * group.weightDecay }
        let rate = group.learningRate / (1 + Double(step - 1) * group[.lrDecay])
        let initial = Tensor.full(parameter.shape, group[.initialAccumulatorValue], dtype: parameter.dtype, device: parameter.device)
        let sum = (state["sum"] ?? initial) + g.square()
        state["sum"] = sum
        parameter.assign(parameter - g / (sum.sqrt() + group[.eps]) * rate)
    }
}
