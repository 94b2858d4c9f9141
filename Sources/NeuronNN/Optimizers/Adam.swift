import Glibc
import Neuron

/// Adam (and, with `decoupledWeightDecay`, AdamW), as PyTorch's `torch.optim.Adam`/`AdamW`.
public class Adam: Optimizer {
    let decoupled: Bool

    public init(
        _ groups: [ParameterGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, decoupledWeightDecay: Bool = false
    ) {
        decoupled = decoupledWeightDecay
        super.init(
            groups,
            defaults: [
                .lr: lr, .beta1: betas.0, .beta2: betas.1, .eps: eps,
                .weightDecay: weightDecay, .amsgrad: amsgrad ? 1 : 0,
            ])
    }

    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false
    ) {
        self.init([ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// Float32 parameters on one device take one fused pass over all of them (one parallel
    /// region on the CPU, not one per tensor); anything else is updated one at a time.
    public override func update(_ updates: [ParameterUpdate], group: ParameterGroup) {
        let amsgrad = group[.amsgrad] != 0
        var tensors: [FusedUpdates.AdamTensors] = []
        for item in updates {
            let slots = state[item.index] ?? [:]
            let p = item.parameter
            tensors.append(
                FusedUpdates.AdamTensors(
                    parameter: p, grad: item.grad, expAvg: slots["exp_avg"] ?? p.zerosLike(),
                    expAvgSq: slots["exp_avg_sq"] ?? p.zerosLike(),
                    maxExpAvgSq: amsgrad ? (slots["max_exp_avg_sq"] ?? p.zerosLike()) : nil, step: item.step))
        }
        guard updates.count > 1,
            FusedUpdates.adam(
                tensors, lr: group.learningRate, beta1: group[.beta1], beta2: group[.beta2], eps: group[.eps],
                weightDecay: group.weightDecay, decoupled: decoupled)
        else { return super.update(updates, group: group) }
        for (item, t) in zip(updates, tensors) {
            var slots = ["exp_avg": t.expAvg, "exp_avg_sq": t.expAvgSq]
            if let maximum = t.maxExpAvgSq { slots["max_exp_avg_sq"] = maximum }
            state[item.index] = slots
        }
    }

    public override func update(
        _ parameter: Tensor, grad: Tensor, group: ParameterGroup,
        state: inout [String: Tensor], step: Int
    ) {
        let lr = group.learningRate, beta1 = group[.beta1], beta2 = group[.beta2], decay = group.weightDecay
        if parameter.dtype == .float32 {
            let mean = state["exp_avg"] ?? parameter.zerosLike(), square = state["exp_avg_sq"] ?? parameter.zerosLike()
            let maximum = group[.amsgrad] != 0 ? (state["max_exp_avg_sq"] ?? parameter.zerosLike()) : nil
            if FusedUpdates.adam(
                parameter: parameter, grad: grad, expAvg: mean, expAvgSq: square, maxExpAvgSq: maximum,
                lr: lr, beta1: beta1, beta2: beta2, eps: group[.eps], weightDecay: decay,
                decoupled: decoupled, step: step)
            {
                state["exp_avg"] = mean
                state["exp_avg_sq"] = square
                if let maximum { state["max_exp_avg_sq"] = maximum }
                return
            }
        }
        var g = grad
        var current = parameter
        if decay != 0 {
            if decoupled { current = parameter * (1 - lr * decay) } else { g = g + parameter * decay }
        }
        let mean = (state["exp_avg"] ?? g.zerosLike()) * beta1 + g * (1 - beta1)
        let square = (state["exp_avg_sq"] ?? g.zerosLike()) * beta2 + g.square() * (1 - beta2)
        state["exp_avg"] = mean
        state["exp_avg_sq"] = square
        var second = square
        if group[.amsgrad] != 0 {
            second = state["max_exp_avg_sq"].map { Tensor.maximum($0, square) } ?? square
            state["max_exp_avg_sq"] = second
        }
        let correction1 = 1 - pow(beta1, Double(step)), correction2 = 1 - pow(beta2, Double(step))
        let denominator = second.sqrt() / correction2.squareRoot() + group[.eps]
        parameter.assign(current - mean / denominator * (lr / correction1))
    }
}

/// AdamW: Adam with weight decay applied to the weights directly (default 0.01).
public final class AdamW: Adam {
    public init(
        _ groups: [ParameterGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
    ) {
        super.init(
            groups, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
            decoupledWeightDecay: true)
    }

    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
    ) {
        self.init([ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad)
    }
}
