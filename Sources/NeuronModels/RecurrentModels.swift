import Neuron
import NeuronNN

/// Classifies images row by row: each of the H rows of a [N, 1, H, W] (or [N, H, W]) batch
/// is one step of W features for an LSTM, whose last hidden state feeds a linear layer.
/// State-dict names `lstm.*` and `fc.*`, as the same model written in PyTorch. The forget
/// gate's input bias starts 1 higher than PyTorch's default (Jozefowicz et al. 2015), so the
/// cell keeps what it read in the first rows while training starts.
public final class RowLSTM: Module, Layer {
    public let lstm: LSTM
    public let fc: Linear

    public init(features: Int = 28, hiddenSize: Int = 128, classes: Int = 10, generator: RandomGenerator = Random.generator) {
        lstm = LSTM(inputSize: features, hiddenSize: hiddenSize, batchFirst: true, generator: generator)
        fc = Linear(hiddenSize, classes, generator: generator)
        super.init()
        noGrad {
            let forget = lstm.parameter("bias_ih_l0")![hiddenSize..<(2 * hiddenSize)]
            forget.assign(forget + 1)
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        let rows = input.rank == 4 ? input.reshaped([input.shape[0], input.shape[2], input.shape[3]]) : input
        return fc(lstm(rows).h[0])
    }
}

/// Character-level language model: Embedding → LSTM → Linear, logits [N, T, V] for inputs
/// of character indices [N, T]. Stateful for truncated backpropagation through time: in
/// training, consecutive batches continue the same N streams, so the final (h, c) of one batch
/// (detached) starts the next; `resetState()` forgets it, as does switching between training
/// and evaluation or a change of batch size.
public final class CharLSTM: Module, Layer {
    public let embedding: Embedding
    public let lstm: LSTM
    public let fc: Linear
    public let vocabularySize: Int
    var state: (h: Tensor, c: Tensor)?
    var stateIsTraining = true

    public init(
        vocabularySize: Int, embeddingSize: Int = 64, hiddenSize: Int = 256, layers: Int = 2, dropout: Double = 0.1,
        generator: RandomGenerator = Random.generator
    ) {
        self.vocabularySize = vocabularySize
        embedding = Embedding(vocabularySize, embeddingSize, generator: generator)
        lstm = LSTM(
            inputSize: embeddingSize, hiddenSize: hiddenSize, numLayers: layers, batchFirst: true,
            dropout: layers > 1 ? dropout : 0, generator: generator)
        fc = Linear(hiddenSize, vocabularySize, generator: generator)
        super.init()
    }

    /// Forgets the carried state: the next batch starts from zeros.
    public func resetState() { state = nil }

    public func forward(_ input: Tensor) -> Tensor {
        if stateIsTraining != isTraining || state?.h.shape[1] != input.shape[0] { state = nil }
        stateIsTraining = isTraining
        let result = lstm(embedding(input), state: state)
        state = (result.h.detach(), result.c.detach())
        return fc(result.output)
    }

    /// Logits for the next character after feeding `indices` [1, T] from `state`, and the
    /// state after them: the step of sampling loops.
    public func step(_ indices: Tensor, state: (h: Tensor, c: Tensor)?) -> (logits: Tensor, state: (h: Tensor, c: Tensor)) {
        let result = lstm(embedding(indices), state: state)
        let last = result.output[.all, indices.shape[1] - 1]
        return (fc(last), (result.h, result.c))
    }
}

/// One-step-ahead forecaster for a univariate series: an LSTM reads a window of past values
/// [N, W] (or [N, W, 1]) and a linear layer predicts the next value [N, 1].
public final class Forecaster: Module, Layer {
    public let lstm: LSTM
    public let fc: Linear

    public init(hiddenSize: Int = 32, layers: Int = 1, generator: RandomGenerator = Random.generator) {
        lstm = LSTM(inputSize: 1, hiddenSize: hiddenSize, numLayers: layers, batchFirst: true, generator: generator)
        fc = Linear(hiddenSize, 1, generator: generator)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        let window = input.rank == 2 ? input.unsqueezed(axis: 2) : input
        let result = lstm(window)
        return fc(result.h[lstm.numLayers - 1])
    }
}
