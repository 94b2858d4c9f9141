import Neuron

/// Weight and bias of a convolution, initialised as PyTorch does: Kaiming-uniform with
/// a = √5 for the weight (±1/√fan-in), uniform ±1/√fan-in for the bias.
func convolutionParameters(_ weightShape: [Int], biasSize: Int?, dtype: DType, generator: RandomGenerator) -> (Tensor, Tensor?) {
    let weight = Tensor.zeros(weightShape, dtype: dtype)
    Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
    weight.requiresGrad = true
    guard let biasSize else { return (weight, nil) }
    let bound = 1 / Double(Init.fans(weight).fanIn).squareRoot()
    return (weight, Tensor.uniform([biasSize], low: -bound, high: bound, dtype: dtype, generator: generator).requiringGrad())
}

/// 2-D convolution over [N, C, H, W] (PyTorch's `nn.Conv2d`; weight [out, in / groups, kh, kw]).
public final class Conv2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int), padding: ConvPadding, dilation: (Int, Int), groups: Int

    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: ConvPadding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
        dtype: DType = .float32, generator: RandomGenerator = Random.generator
    ) {
        precondition(
            groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
            "Conv2d: channels \(inputChannels) → \(outputChannels) are not divisible by groups = \(groups)")
        (weight, self.bias) = convolutionParameters(
            [outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1],
            biasSize: bias ? outputChannels : nil, dtype: dtype, generator: generator)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
    }

    /// A square kernel, stride, padding and dilation.
    public convenience init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        self.init(
            inputChannels, outputChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
            padding: .explicit(padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias,
            dtype: dtype, generator: generator)
    }

    public func forward(_ input: Tensor) -> Tensor {
        input.conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 1-D convolution over [N, C, L] (PyTorch's `nn.Conv1d`; weight [out, in / groups, k]).
public final class Conv1d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: ConvPadding, dilation: Int, groups: Int

    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding = .valid,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(
            groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
            "Conv1d: channels \(inputChannels) → \(outputChannels) are not divisible by groups = \(groups)")
        (weight, self.bias) = convolutionParameters(
            [outputChannels, inputChannels / groups, kernelSize],
            biasSize: bias ? outputChannels : nil, dtype: dtype, generator: generator)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        input.conv1d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Transposed 2-D convolution (PyTorch's `nn.ConvTranspose2d`; weight [in, out / groups, kh, kw]).
public final class ConvTranspose2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int), dilation: (Int, Int), groups: Int

    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
        groups: Int = 1, bias: Bool = true, dtype: DType = .float32, generator: RandomGenerator = Random.generator
    ) {
        precondition(
            groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
            "ConvTranspose2d: channels \(inputChannels) → \(outputChannels) are not divisible by groups = \(groups)")
        (weight, self.bias) = convolutionParameters(
            [inputChannels, outputChannels / groups, kernelSize.0, kernelSize.1],
            biasSize: bias ? outputChannels : nil, dtype: dtype, generator: generator)
        (self.stride, self.padding, self.outputPadding, self.dilation, self.groups) = (stride, padding, outputPadding, dilation, groups)
        super.init()
    }

    public convenience init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        self.init(
            inputChannels, outputChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
            padding: (padding, padding), outputPadding: (outputPadding, outputPadding), groups: groups, bias: bias,
            dtype: dtype, generator: generator)
    }

    public func forward(_ input: Tensor) -> Tensor {
        input.convTranspose2d(
            weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
            dilation: dilation, groups: groups)
    }
}

extension Conv2d {
    /// `clamp(norm(self(input)) + residual)`: this convolution, the batch norm after it, a
    /// residual (when given) and a clamp (ReLU6 as `0...6`). When `norm` normalises with its
    /// running statistics and nothing is recorded for gradients (inference), the norm is folded
    /// into the weights and bias (w·γ/√(σ² + ε), β + (b − μ)·γ/√(σ² + ε)) and everything runs
    /// as one fused convolution; otherwise it is the plain composition, so training is unchanged.
    public func callAsFunction(_ input: Tensor, normalizedBy norm: BatchNorm, residual: Tensor? = nil, clamp: ClosedRange<Double>? = nil)
        -> Tensor
    {
        guard !GradMode.isEnabled, !norm.isTraining || norm.statisticsFrozen, norm.runningMean.count == weight.shape[0] else {
            var output = norm(self(input))
            if let residual { output = output + residual }
            return clamp.map { output.clamped(min: $0.lowerBound, max: $0.upperBound) } ?? output
        }
        var scale = (norm.runningVar + norm.eps).rsqrt()
        if let gamma = norm.weight { scale = scale * gamma }
        var shift = ((bias ?? Tensor.zeros([weight.shape[0]], dtype: weight.dtype, device: weight.device)) - norm.runningMean) * scale
        if let beta = norm.bias { shift = shift + beta }
        let folded = weight * scale.to(weight.dtype).reshaped([-1, 1, 1, 1])
        return input.conv2d(
            folded, bias: shift.to(weight.dtype), stride: stride, padding: padding, dilation: dilation, groups: groups, residual: residual,
            clamp: clamp)
    }
}
