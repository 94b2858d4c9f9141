import Neuron

/// y = x Wᵀ + b, with PyTorch's layout (`weight` is out × in) and default initialisation
/// (uniform in ±1/√in for weight and bias).
public final class Linear: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(
        _ inputSize: Int, _ outputSize: Int, bias: Bool = true, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize) → \(outputSize)")
        weight = Tensor.zeros([outputSize, inputSize], dtype: dtype)
        Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
        let bound = 1 / Double(inputSize).squareRoot()
        self.bias = bias ? Tensor.uniform([outputSize], low: -bound, high: bound, dtype: dtype, generator: generator) : nil
        super.init()
        weight.requiresGrad = true
        self.bias?.requiresGrad = true
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            input.shape.last == weight.shape[1],
            "Linear: input of shape \(input.shape) does not end in \(weight.shape[1]) features")
        return input.linear(weight: weight, bias: bias)
    }
}
