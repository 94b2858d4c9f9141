import Glibc
import Neuron

/// PyTorch's `nn.TransformerEncoderLayer`: self-attention then a feed-forward block
/// (Linear → activation → dropout → Linear), each with dropout and a residual connection, and
/// layer norm after each (post-norm, the default) or before each (`normFirst`). Names:
/// `self_attn.*`, `linear1`, `linear2`, `norm1`, `norm2`.
public final class TransformerEncoderLayer: Module {
    public enum Activation: Sendable { case relu, gelu }

    @ModuleInfo public var selfAttention: MultiheadAttention
    public let linear1: Linear, linear2: Linear, norm1: LayerNorm, norm2: LayerNorm
    public let dropout: Dropout, dropout1: Dropout, dropout2: Dropout
    public let activation: Activation, normFirst: Bool, batchFirst: Bool

    public init(
        dModel: Int, heads: Int, feedForward: Int = 2048, dropout: Double = 0.1, activation: Activation = .relu,
        layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        _selfAttention = ModuleInfo(
            wrappedValue: MultiheadAttention(
                embedDim: dModel, heads: heads, dropout: dropout, batchFirst: batchFirst,
                dtype: dtype, generator: generator), key: "self_attn")
        linear1 = Linear(dModel, feedForward, dtype: dtype, generator: generator)
        linear2 = Linear(feedForward, dModel, dtype: dtype, generator: generator)
        norm1 = LayerNorm([dModel], eps: layerNormEps, dtype: dtype)
        norm2 = LayerNorm([dModel], eps: layerNormEps, dtype: dtype)
        (self.dropout, dropout1, dropout2) = (
            Dropout(dropout, generator: generator), Dropout(dropout, generator: generator),
            Dropout(dropout, generator: generator)
        )
        (self.activation, self.normFirst, self.batchFirst) = (activation, normFirst, batchFirst)
        super.init()
    }

    /// `source` [L, N, E] (or [N, L, E] with `batchFirst`); masks as `MultiheadAttention`'s.
    public func callAsFunction(_ source: Tensor, mask: Tensor? = nil, keyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        func attend(_ x: Tensor) -> Tensor {
            dropout1(selfAttention(x, x, x, keyPaddingMask: keyPaddingMask, attentionMask: mask, isCausal: isCausal, needWeights: false).output)
        }
        func feedForward(_ x: Tensor) -> Tensor {
            let hidden = linear1(x)
            return dropout2(linear2(dropout(activation == .relu ? hidden.relu() : hidden.gelu())))
        }
        if normFirst {
            let x = source + attend(norm1(source))
            return x + feedForward(norm2(x))
        }
        let x = norm1(source + attend(source))
        return norm2(x + feedForward(x))
    }
}

/// PyTorch's `nn.TransformerEncoder`: a stack of encoder layers (`layers.0`, `layers.1`, …)
/// and an optional final layer norm (`norm`).
public final class TransformerEncoder: Module {
    public let layers: [TransformerEncoderLayer]
    public let norm: LayerNorm?

    /// `makeLayer(i)` builds layer i (PyTorch deep-copies one layer; here each is built afresh).
    public init(layers count: Int, norm: LayerNorm? = nil, makeLayer: (Int) -> TransformerEncoderLayer) {
        layers = (0..<count).map(makeLayer)
        self.norm = norm
        super.init()
    }

    public func callAsFunction(_ source: Tensor, mask: Tensor? = nil, keyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        var x = source
        for layer in layers { x = layer(x, mask: mask, keyPaddingMask: keyPaddingMask, isCausal: isCausal) }
        return norm.map { $0(x) } ?? x
    }
}

/// Adds the fixed sinusoidal position encoding of "Attention Is All You Need" to [N, L, E]
/// inputs: PE[p, 2i] = sin(p / 10000^(2i/E)), PE[p, 2i+1] = cos(p / 10000^(2i/E)).
public final class SinusoidalPositionalEncoding: Module, Layer {
    @Buffer public var encoding: Tensor
    public let maxLength: Int

    public init(dimension: Int, maxLength: Int = 5000, dtype: DType = .float32) {
        var values = [Double](repeating: 0, count: maxLength * dimension)
        for position in 0..<maxLength {
            for i in stride(from: 0, to: dimension, by: 2) {
                let angle = Double(position) / pow(10000, Double(i) / Double(dimension))
                values[position * dimension + i] = sin(angle)
                if i + 1 < dimension { values[position * dimension + i + 1] = cos(angle) }
            }
        }
        encoding = Tensor(values, shape: [maxLength, dimension], dtype: dtype)
        self.maxLength = maxLength
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            input.rank == 3 && input.shape[1] <= maxLength && input.shape[2] == encoding.shape[1],
            "SinusoidalPositionalEncoding: expects [N, L ≤ \(maxLength), \(encoding.shape[1])], got \(input.shape)")
        return input + encoding.narrowed(axis: 0, start: 0, length: input.shape[1])
    }
}

/// Adds a learned embedding of each position (`weight` [maxLength, E]) to [N, L, E] inputs.
public final class LearnedPositionalEmbedding: Module, Layer {
    public let weight: Tensor

    public init(maxLength: Int, dimension: Int, dtype: DType = .float32, generator: RandomGenerator = Random.generator) {
        weight = Tensor.normal([maxLength, dimension], dtype: dtype, generator: generator)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            input.rank == 3 && input.shape[1] <= weight.shape[0] && input.shape[2] == weight.shape[1],
            "LearnedPositionalEmbedding: expects [N, L ≤ \(weight.shape[0]), \(weight.shape[1])], got \(input.shape)")
        return input + weight.narrowed(axis: 0, start: 0, length: input.shape[1])
    }
}
