import Neuron
import NeuronNN

/// A multi-layer perceptron whose depth, activation, initialisation, batch norm and skip
/// connections are all choices: the network of the experiments on depth, activations and the
/// training of deep networks. Images are flattened; each of the `depth` hidden layers is
/// Linear → (BatchNorm1d) → activation, and with `skipConnections` every hidden layer after the
/// first adds its input back (x + f(x)); a linear classifier follows.
public final class DeepMLP: Module, Layer {
    /// The hidden layers' nonlinearity.
    public enum Activation: String, CaseIterable, Sendable {
        /// The logistic function, 1 / (1 + e⁻ˣ).
        case sigmoid
        /// The hyperbolic tangent.
        case tanh
        /// max(0, x).
        case relu
        /// x·Φ(x), exact.
        case gelu

        func apply(_ x: Tensor) -> Tensor {
            switch self {
            case .sigmoid: x.sigmoid()
            case .tanh: x.tanh()
            case .relu: x.relu()
            case .gelu: x.gelu()
            }
        }

        var nonlinearity: Init.Nonlinearity {
            switch self {
            case .sigmoid: .sigmoid
            case .tanh: .tanh
            case .relu, .gelu: .relu
            }
        }
    }

    /// How the weights start (biases start at zero, except for `.pytorch`).
    public enum Initialization: String, CaseIterable, Sendable {
        /// N(0, 1): far too large for wide layers.
        case standardNormal = "normal"
        /// N(0, 0.01²): far too small for deep stacks.
        case tiny
        /// Glorot normal with the activation's gain: variance kept forward and backward.
        case xavier
        /// He normal (fan in, the activation's gain): variance kept through ReLUs.
        case kaiming
        /// PyTorch's default for `nn.Linear` (uniform ±1/√fan-in), as `Linear` starts.
        case pytorch
    }

    /// The hidden linear layers, input side first.
    public let hidden: [Linear]
    /// One batch norm per hidden layer (empty without `batchNorm`).
    public let norms: [BatchNorm1d]
    /// The output layer.
    public let classifier: Linear
    /// The hidden layers' nonlinearity.
    public let activation: Activation
    /// Whether hidden layers after the first add their input back.
    public let skipConnections: Bool

    /// `depth` hidden layers of `width` units between `inputs` and `outputs`.
    public init(
        inputs: Int = 784, width: Int, depth: Int, outputs: Int = 10, activation: Activation = .relu,
        initialization: Initialization = .pytorch, batchNorm: Bool = false, skipConnections: Bool = false,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(depth >= 1 && width >= 1, "DeepMLP: needs depth ≥ 1 and width ≥ 1, got depth \(depth) and width \(width)")
        hidden = (0..<depth).map { Linear($0 == 0 ? inputs : width, width, generator: generator) }
        norms = batchNorm ? (0..<depth).map { _ in BatchNorm1d(width) } : []
        classifier = Linear(width, outputs, generator: generator)
        self.activation = activation
        self.skipConnections = skipConnections
        super.init()
        guard initialization != .pytorch else { return }
        for layer in hidden + [classifier] {
            switch initialization {
            case .standardNormal: Init.normal(layer.weight, std: 1, generator: generator)
            case .tiny: Init.normal(layer.weight, std: 0.01, generator: generator)
            case .xavier: Init.xavierNormal(layer.weight, gain: Init.gain(activation.nonlinearity), generator: generator)
            case .kaiming: Init.kaimingNormal(layer.weight, nonlinearity: activation.nonlinearity, generator: generator)
            case .pytorch: break
            }
            if let bias = layer.bias { Init.zeros(bias) }
        }
    }

    /// The number of trainable weights of a network of that shape.
    public static func parameterCount(inputs: Int = 784, width: Int, depth: Int, outputs: Int = 10) -> Int {
        (inputs + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * outputs
    }

    /// The widest network of `depth` hidden layers with at most `parameters` weights.
    public static func width(forParameters parameters: Int, depth: Int, inputs: Int = 784, outputs: Int = 10) -> Int {
        var width = 1
        while parameterCount(inputs: inputs, width: width + 1, depth: depth, outputs: outputs) <= parameters { width += 1 }
        return width
    }

    /// Each hidden layer's activation output f(x) (before a skip connection adds its input),
    /// then the classifier's logits.
    public func activations(_ input: Tensor) -> (hidden: [Tensor], logits: Tensor) {
        var x = input.flattened(from: 1, to: -1), outputs: [Tensor] = []
        for (index, layer) in hidden.enumerated() {
            var h = layer(x)
            if !norms.isEmpty { h = norms[index](h) }
            h = activation.apply(h)
            outputs.append(h)
            x = skipConnections && index > 0 ? x + h : h
        }
        return (outputs, classifier(x))
    }

    /// The logits of images or feature vectors [N, …].
    public func forward(_ input: Tensor) -> Tensor { activations(input).logits }
}
