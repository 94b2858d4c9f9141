import Neuron

/// Zeroes each element with probability `p` during training and scales the rest by
/// 1/(1−p); the identity in evaluation mode.
public class Dropout: Module, Layer {
    public let p: Double
    let generator: RandomGenerator

    public init(_ p: Double = 0.5, generator: RandomGenerator = Random.generator) {
        precondition(p >= 0 && p < 1, "\(type(of: self)): probability \(p) must be in [0, 1)")
        self.p = p
        self.generator = generator
        super.init()
    }

    /// The shape of the random mask: one draw per element here, per channel in `Dropout2d`.
    func maskShape(_ input: Tensor) -> [Int] { input.shape }

    public func forward(_ input: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return input }
        let mask = Tensor.bernoulli(maskShape(input), p: 1 - p, dtype: input.dtype, device: input.device, generator: generator)
        return input * (mask * (1 / (1 - p)))
    }
}

/// Zeroes whole channels of [N, C, …] with probability `p` during training (scaling the rest
/// by 1/(1−p)).
public final class Dropout2d: Dropout {
    override func maskShape(_ input: Tensor) -> [Int] {
        precondition(input.rank >= 3, "Dropout2d: expects [N, C, …], got \(input.shape)")
        return [input.shape[0], input.shape[1]] + [Int](repeating: 1, count: input.rank - 2)
    }
}
