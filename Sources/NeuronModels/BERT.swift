import Neuron
import NeuronData
import NeuronNN

/// The hyper-parameters of a BERT encoder, as a Hugging Face `config.json` gives them.
public struct BertConfig: Sendable, Equatable {
    public var vocabularySize = 30522, hiddenSize = 768, layers = 12, heads = 12, intermediateSize = 3072
    public var maxPositions = 512, typeVocabularySize = 2, padTokenId = 0
    public var layerNormEps = 1e-12
    /// "gelu" (erf) or "gelu_new" / "gelu_pytorch_tanh" (tanh approximation).
    public var hiddenActivation = "gelu"

    public init() {}

    /// Reads `config.json`; a missing or malformed field is an error naming it.
    public init(path: String) throws {
        let json = try JSON.read(path)
        func integer(_ key: String) throws -> Int {
            guard case .number(let value)? = json[key], value == value.rounded(), value > 0 else {
                throw DataError("\(path): '\(key)' must be a positive integer")
            }
            return Int(value)
        }
        if let type = json["model_type"], type != .string("bert") {
            throw DataError("\(path): model_type \(type.serialized) is not bert")
        }
        vocabularySize = try integer("vocab_size")
        hiddenSize = try integer("hidden_size")
        layers = try integer("num_hidden_layers")
        heads = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        maxPositions = try integer("max_position_embeddings")
        typeVocabularySize = try integer("type_vocab_size")
        if case .number(let pad)? = json["pad_token_id"] { padTokenId = Int(pad) }
        if case .number(let eps)? = json["layer_norm_eps"] { layerNormEps = eps }
        if case .string(let activation)? = json["hidden_act"] {
            guard ["gelu", "gelu_new", "gelu_pytorch_tanh"].contains(activation) else {
                throw DataError("\(path): hidden_act '\(activation)' is not supported (gelu, gelu_new)")
            }
            hiddenActivation = activation
        }
        guard hiddenSize % heads == 0 else {
            throw DataError("\(path): hidden_size \(hiddenSize) is not divisible by num_attention_heads \(heads)")
        }
    }
}

/// Word, position and token-type embeddings, summed and layer-normalised.
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding, positionEmbeddings: Embedding, tokenTypeEmbeddings: Embedding
    @ModuleInfo public var layerNorm: LayerNorm
    @Buffer public var positionIds: Tensor

    init(_ config: BertConfig, generator: RandomGenerator) {
        wordEmbeddings = Embedding(config.vocabularySize, config.hiddenSize, paddingIndex: config.padTokenId, generator: generator)
        positionEmbeddings = Embedding(config.maxPositions, config.hiddenSize, generator: generator)
        tokenTypeEmbeddings = Embedding(config.typeVocabularySize, config.hiddenSize, generator: generator)
        _layerNorm = ModuleInfo(wrappedValue: LayerNorm([config.hiddenSize], eps: config.layerNormEps), key: "LayerNorm")
        _positionIds = Buffer(wrappedValue: Tensor(Array(0..<config.maxPositions), shape: [1, config.maxPositions]), key: "position_ids")
        super.init()
    }

    func callAsFunction(_ ids: Tensor, tokenTypes: Tensor?) -> Tensor {
        let length = ids.shape[1]
        precondition(
            length <= positionEmbeddings.weight.shape[0],
            "BertModel: \(length) tokens exceed the \(positionEmbeddings.weight.shape[0]) positions")
        let positions = positionEmbeddings.weight.narrowed(axis: 0, start: 0, length: length)
        let types = tokenTypes.map { tokenTypeEmbeddings($0) } ?? tokenTypeEmbeddings.weight[0]
        return layerNorm(wordEmbeddings(ids) + positions + types)
    }
}

/// Query, key and value projections of one layer (Hugging Face's `attention.self`).
public final class BertSelfAttention: Module {
    public let query: Linear, key: Linear, value: Linear
    init(_ config: BertConfig, generator: RandomGenerator) {
        (query, key, value) = (
            Linear(config.hiddenSize, config.hiddenSize, generator: generator),
            Linear(config.hiddenSize, config.hiddenSize, generator: generator),
            Linear(config.hiddenSize, config.hiddenSize, generator: generator)
        )
        super.init()
    }
}

/// A dense layer, then layer norm of the residual sum (`attention.output`, `output`).
public final class BertResidualOutput: Module {
    public let dense: Linear
    @ModuleInfo public var layerNorm: LayerNorm
    init(_ inputs: Int, _ config: BertConfig, generator: RandomGenerator) {
        dense = Linear(inputs, config.hiddenSize, generator: generator)
        _layerNorm = ModuleInfo(wrappedValue: LayerNorm([config.hiddenSize], eps: config.layerNormEps), key: "LayerNorm")
        super.init()
    }
    func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor { layerNorm(dense(x) + residual) }
}

public final class BertAttention: Module {
    @ModuleInfo public var selfAttention: BertSelfAttention
    public let output: BertResidualOutput
    init(_ config: BertConfig, generator: RandomGenerator) {
        _selfAttention = ModuleInfo(wrappedValue: BertSelfAttention(config, generator: generator), key: "self")
        output = BertResidualOutput(config.hiddenSize, config, generator: generator)
        super.init()
    }
}

public final class BertIntermediate: Module {
    public let dense: Linear
    init(_ config: BertConfig, generator: RandomGenerator) {
        dense = Linear(config.hiddenSize, config.intermediateSize, generator: generator)
        super.init()
    }
}

/// One Transformer block, post-norm: self-attention and a GELU feed-forward layer.
public final class BertLayer: Module {
    public let attention: BertAttention, intermediate: BertIntermediate, output: BertResidualOutput
    let heads: Int, tanhGELU: Bool

    init(_ config: BertConfig, generator: RandomGenerator) {
        attention = BertAttention(config, generator: generator)
        intermediate = BertIntermediate(config, generator: generator)
        output = BertResidualOutput(config.intermediateSize, config, generator: generator)
        heads = config.heads
        tanhGELU = config.hiddenActivation != "gelu"
        super.init()
    }

    /// `x` [N, T, H]; `allowed` bool [N, 1, 1, T], true at real tokens.
    func callAsFunction(_ x: Tensor, allowed: Tensor?) -> Tensor {
        let (n, t, h) = (x.shape[0], x.shape[1], x.shape[2])
        func split(_ y: Tensor) -> Tensor { y.reshaped([n, t, heads, h / heads]).transposed(1, 2) }
        let projections = attention.selfAttention
        let context = scaledDotProductAttention(
            query: split(projections.query(x)), key: split(projections.key(x)),
            value: split(projections.value(x)), mask: allowed
        ).output
        let attended = attention.output(context.transposed(1, 2).reshaped([n, t, h]), residual: x)
        let hidden = intermediate.dense(attended).gelu(approximate: tanhGELU ? .tanh : .none)
        return output(hidden, residual: attended)
    }
}

public final class BertEncoder: Module {
    public let layer: [BertLayer]
    init(_ config: BertConfig, generator: RandomGenerator) {
        layer = (0..<config.layers).map { _ in BertLayer(config, generator: generator) }
        super.init()
    }
}

/// The tanh-dense layer over the first token (Hugging Face's `pooler`).
public final class BertPooler: Module {
    public let dense: Linear
    init(_ config: BertConfig, generator: RandomGenerator) {
        dense = Linear(config.hiddenSize, config.hiddenSize, generator: generator)
        super.init()
    }
}

/// The mean of hidden states [N, T, H] over the real tokens of `mask` [N, T] (1 or true at
/// real tokens): sentence-transformers' mean pooling.
public func meanPooled(_ hidden: Tensor, mask: Tensor) -> Tensor {
    let weights = mask.to(hidden.dtype).unsqueezed(axis: 2)
    return (hidden * weights).sum(axis: 1) / weights.sum(axis: 1).maximum(1e-9)
}

/// A BERT encoder with Hugging Face's parameter names (`embeddings.word_embeddings.weight`,
/// `encoder.layer.0.attention.self.query.weight`, `encoder.layer.0.attention.output.LayerNorm.weight`,
/// `pooler.dense.weight`, …), so a `BertModel`'s `model.safetensors` loads strictly. Inference
/// runs without dropout.
public final class BertModel: Module {
    public let embeddings: BertEmbeddings, encoder: BertEncoder, pooler: BertPooler
    public let config: BertConfig

    public init(_ config: BertConfig, generator: RandomGenerator = Random.generator) {
        self.config = config
        embeddings = BertEmbeddings(config, generator: generator)
        encoder = BertEncoder(config, generator: generator)
        pooler = BertPooler(config, generator: generator)
        super.init()
    }

    /// The last hidden states [N, T, H] for int64 token ids [N, T]; `attentionMask` [N, T]
    /// (1 or true at real tokens, 0 at padding) keeps padding out of attention.
    public func callAsFunction(_ ids: Tensor, attentionMask: Tensor? = nil, tokenTypes: Tensor? = nil) -> Tensor {
        precondition(ids.rank == 2 && ids.dtype == .int64, "BertModel: token ids must be int64 [N, T], got \(ids.dtype) \(ids.shape)")
        let allowed = attentionMask.map { mask -> Tensor in
            precondition(mask.shape == ids.shape, "BertModel: attention mask \(mask.shape) differs from the ids' \(ids.shape)")
            return (mask.to(.float32) .> 0.5).reshaped([ids.shape[0], 1, 1, ids.shape[1]])
        }
        var x = embeddings(ids, tokenTypes: tokenTypes)
        for layer in encoder.layer { x = layer(x, allowed: allowed) }
        return x
    }

    /// Reads `config.json` and `model.safetensors` from a Hugging Face model folder and loads
    /// the weights strictly.
    public static func load(directory: String) throws -> BertModel {
        let config = try BertConfig(path: "\(directory)/config.json")
        let (tensors, _) = try SafeTensors.read("\(directory)/model.safetensors")
        let model = BertModel(config)
        do {
            try model.load(stateDict: tensors)
        } catch {
            throw DataError("\(directory)/model.safetensors: \(error)")
        }
        model.eval()
        return model
    }
}
