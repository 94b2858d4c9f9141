import Neuron

/// Zeroes each element with probability `p` during training and scales the rest by
/// 1/(1−p); the identity in evaluation mode.
public final class Dropout: Module, Layer {
    public let p: Double
    let generator: RandomGenerator

    public init(_ p: Double = 0.5, generator: RandomGenerator = Random.generator) {
        precondition(p >= 0 && p < 1, "Dropout: probability \(p) must be in [0, 1)")
        self.p = p
        self.generator = generator
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return input }
        let mask = Tensor.bernoulli(input.shape, p: 1 - p, dtype: input.dtype, generator: generator)
        return input * (mask * (1 / (1 - p)))
    }
}
