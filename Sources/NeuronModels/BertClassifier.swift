import Neuron
import NeuronNN

/// A BERT encoder with a linear head on the mean of its last hidden states over the real
/// tokens (sentence-transformers' pooling): input int64 ids [N, T] with `padId` as padding,
/// output logits [N, classes]. The encoder keeps Hugging Face's names under `bert.`, the head
/// is `head.weight` and `head.bias`.
public final class BertClassifier: Module, Layer {
    public let bert: BertModel
    public let head: Linear
    public let padId: Int

    public init(bert: BertModel, classes: Int, padId: Int = 0, generator: RandomGenerator = Random.generator) {
        self.bert = bert
        head = Linear(bert.config.hiddenSize, classes, generator: generator)
        self.padId = padId
        super.init()
    }

    /// The pooled sentence features [N, hidden] (before the head).
    public func features(_ ids: Tensor) -> Tensor {
        let mask = (ids .!= Double(padId))
        return meanPooled(bert(ids, attentionMask: mask), mask: mask)
    }

    public func forward(_ ids: Tensor) -> Tensor { head(features(ids)) }
}

extension BertClassifier {
    /// AdamW for fine-tuning: the encoder's trainable parameters at `learningRate` with
    /// layer-wise decay (depth 0 the embeddings, 1…L the layers, L + 1 the pooler, each depth
    /// `layerDecay` times the next), the head at `headMultiplier` times the rate, weight decay
    /// `weightDecay` everywhere.
    public func fineTuningOptimizer(
        learningRate: Double, layerDecay: Double = 1, headMultiplier: Double = 20,
        weightDecay: Double = 0.01
    ) -> AdamW {
        let layers = bert.config.layers
        var groups = ParameterGroup.layerwise(
            bert.namedParameters(), learningRate: learningRate, decay: layerDecay, maxDepth: layers + 1,
            depth: { name in
                if name.hasPrefix("embeddings.") { return 0 }
                if name.hasPrefix("encoder.layer."), let layer = Int(name.split(separator: ".")[2]) { return layer + 1 }
                return layers + 1
            }, options: [.weightDecay: weightDecay])
        groups.append(ParameterGroup(head.parameters(), options: [.lr: learningRate * headMultiplier, .weightDecay: weightDecay]))
        return AdamW(groups, lr: learningRate)
    }
}

/// Drops the trailing columns of a padded id batch [N, T] that hold padding in every row, so a
/// batch of short texts costs what its longest text costs.
public func trimPadding(_ ids: Tensor, padId: Int = 0) -> Tensor {
    let real = (ids .!= Double(padId)).to(.int64).sum(axis: 0).toArray(Int.self)
    let length = max((real.lastIndex { $0 > 0 } ?? 0) + 1, 1)
    return length == ids.shape[1] ? ids : ids.narrowed(axis: 1, start: 0, length: length).contiguous()
}
