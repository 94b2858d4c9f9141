import Neuron
import NeuronNN

/// A small Transformer encoder that classifies token sequences: token embeddings plus learned
/// positions, `layers` pre-norm encoder layers (GELU), mean pooling over the non-padding tokens
/// (`paddingId`, default 0), then a linear head. Input: int64 ids [N, T]; output: logits [N, classes].
public final class TransformerClassifier: Module, Layer {
    public let embedding: Embedding
    public let positions: LearnedPositionalEmbedding
    public let encoder: TransformerEncoder
    public let head: Linear
    public let paddingId: Int?

    public init(
        vocabularySize: Int, classes: Int, dimension: Int = 32, heads: Int = 4, layers: Int = 2, feedForward: Int = 64,
        maxLength: Int = 128, dropout: Double = 0.1, paddingId: Int? = 0, generator: RandomGenerator = Random.generator
    ) {
        embedding = Embedding(vocabularySize, dimension, paddingIndex: paddingId, generator: generator)
        let positions = LearnedPositionalEmbedding(maxLength: maxLength, dimension: dimension, generator: generator)
        noGrad { positions.weight.assign(positions.weight * 0.02) }
        self.positions = positions
        encoder = TransformerEncoder(layers: layers, norm: LayerNorm([dimension])) { _ in
            TransformerEncoderLayer(
                dModel: dimension, heads: heads, feedForward: feedForward, dropout: dropout, activation: .gelu,
                batchFirst: true, normFirst: true, generator: generator)
        }
        head = Linear(dimension, classes, generator: generator)
        self.paddingId = paddingId
        super.init()
    }

    public func forward(_ ids: Tensor) -> Tensor {
        precondition(ids.rank == 2 && ids.dtype == .int64, "TransformerClassifier: expects int64 ids [N, T], got \(ids.dtype) \(ids.shape)")
        let padding = paddingId.map { ids .== Double($0) }
        let hidden = encoder(positions(embedding(ids)), keyPaddingMask: padding)
        let keep = (padding.map { ($0 .== 0).to(hidden.dtype) } ?? Tensor.ones(ids.shape, dtype: hidden.dtype, device: hidden.device)).unsqueezed(
            axis: 2)
        return head((hidden * keep).sum(axis: 1) / keep.sum(axis: 1).maximum(1))
    }
}
