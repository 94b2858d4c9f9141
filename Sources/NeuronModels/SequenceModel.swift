import Neuron
import NeuronNN

/// A one-layer recurrent network, plain RNN (tanh), GRU or LSTM, over batch-first sequences
/// [N, T, inputs] (or token ids [N, T] with `vocabulary`, through an embedding of `inputs`
/// dimensions), with a linear head on the last step's hidden state, or on every step's
/// (`everyStep`, for language models: [N, T, outputs]). The networks of the experiments on
/// recurrent memory and exploding gradients.
public final class SequenceModel: Module, Layer {
    /// The recurrent layer's kind.
    public enum Cell: String, CaseIterable, Sendable {
        /// A plain tanh RNN.
        case rnn
        /// A gated recurrent unit.
        case gru
        /// A long short-term memory.
        case lstm
    }

    /// The token embedding, when the input is token ids.
    public let embedding: Embedding?
    /// The RNN, GRU or LSTM layer.
    public let recurrent: RecurrentLayer
    /// The linear layer on the hidden states.
    public let head: Linear
    /// Whether the head reads every step (else only the last).
    public let everyStep: Bool

    /// `forgetBias` (LSTM only) sets the forget gate's input bias, so that the cell starts by
    /// keeping its memory (1 is Jozefowicz et al.'s advice; PyTorch starts it near 0).
    public init(
        cell: Cell, inputs: Int, hidden: Int, outputs: Int, vocabulary: Int? = nil, everyStep: Bool = false,
        forgetBias: Double? = nil, generator: RandomGenerator = Random.generator
    ) {
        embedding = vocabulary.map { Embedding($0, inputs, generator: generator) }
        switch cell {
        case .rnn: recurrent = RNN(inputSize: inputs, hiddenSize: hidden, batchFirst: true, generator: generator)
        case .gru: recurrent = GRU(inputSize: inputs, hiddenSize: hidden, batchFirst: true, generator: generator)
        case .lstm: recurrent = LSTM(inputSize: inputs, hiddenSize: hidden, batchFirst: true, generator: generator)
        }
        head = Linear(hidden, outputs, generator: generator)
        self.everyStep = everyStep
        super.init()
        if let forgetBias, cell == .lstm, let bias = recurrent.parameter("bias_ih_l0") {
            // PyTorch's gate order: input, forget, cell, output.
            noGrad { bias.narrowed(axis: 0, start: hidden, length: hidden).fill(forgetBias) }
        }
    }

    /// [N, outputs] from the last step, or [N, T, outputs] with `everyStep`.
    public func forward(_ input: Tensor) -> Tensor {
        let sequence = embedding.map { $0(input) } ?? input
        let result = recurrent.run(sequence)
        return everyStep ? head(result.output) : head(result.h[0])
    }
}
