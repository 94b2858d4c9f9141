/// Optimiser updates fused into one pass over memory, for optimisers in other modules.
public enum FusedUpdates {
    /// One Adam (or, with `decoupled`, AdamW) step in place on float32 tensors of one shape.
    /// Returns false, changing nothing, when the tensors are not dense float32 of one size;
    /// the caller then falls back to tensor operations.
    public static func adam(
        parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double,
        decoupled: Bool, step: Int
    ) -> Bool {
        adam(
            [AdamTensors(parameter: parameter, grad: grad, expAvg: expAvg, expAvgSq: expAvgSq, maxExpAvgSq: maxExpAvgSq, step: step)],
            lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: decoupled)
    }

    /// The tensors of one parameter in a many-tensor Adam step, and its step count.
    public struct AdamTensors {
        public let parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?
        public let step: Int
        public init(parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?, step: Int) {
            self.parameter = parameter
            self.grad = grad
            self.expAvg = expAvg
            self.expAvgSq = expAvgSq
            self.maxExpAvgSq = maxExpAvgSq
            self.step = step
        }
    }

    /// `adam` for many parameters at once, with shared hyperparameters: one pass over all of
    /// them where the backend has one. Returns false, changing nothing, unless every tensor is
    /// dense float32 of its parameter's size and all are on one device.
    public static func adam(
        _ tensors: [AdamTensors], lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double,
        decoupled: Bool
    ) -> Bool {
        guard let device = tensors.first?.parameter.device else { return true }
        for t in tensors {
            let all = [t.parameter, t.grad, t.expAvg, t.expAvgSq] + (t.maxExpAvgSq.map { [$0] } ?? [])
            guard all.allSatisfy({ $0.dtype == .float32 && $0.isContiguous && $0.count == t.parameter.count && $0.device == device })
            else { return false }
        }
        for t in tensors { t.parameter.checkInPlace("adam") }
        device.backend.adam(tensors, lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: decoupled)
        return true
    }

    /// One SGD step in place (PyTorch's `torch.optim.SGD` arithmetic) on dense float tensors
    /// of one type and size; `momentumBuffer` is nil without momentum. Returns false, changing
    /// nothing, when the tensors do not qualify.
    public static func sgd(
        parameter: Tensor, grad: Tensor, momentumBuffer: Tensor?, lr: Double, momentum: Double,
        dampening: Double, weightDecay: Double, nesterov: Bool, firstStep: Bool
    ) -> Bool {
        let tensors = [parameter, grad] + (momentumBuffer.map { [$0] } ?? [])
        guard parameter.dtype.isFloatingPoint, momentum == 0 || momentumBuffer != nil,
            tensors.allSatisfy({
                $0.dtype == parameter.dtype && $0.isContiguous && $0.count == parameter.count && $0.device == parameter.device
            })
        else { return false }
        parameter.checkInPlace("sgd")
        parameter.device.backend.sgd(
            parameter, grad: grad, momentumBuffer: momentumBuffer, lr: lr, momentum: momentum, dampening: dampening,
            weightDecay: weightDecay, nesterov: nesterov, firstStep: firstStep)
        return true
    }
}
