import Foundation
import Neuron
import NeuronModels
import NeuronNN
import Testing

/// The networks the experiments are built on.
@Suite struct ExperimentModelsTests {
    @Test func deepMLPCountsItsWeightsAndFitsABudget() {
        for depth in [1, 2, 8] {
            let width = DeepMLP.width(forParameters: 200_000, depth: depth)
            let model = DeepMLP(width: width, depth: depth, generator: RandomGenerator(seed: 1))
            let count = model.parameters().reduce(0) { $0 + $1.count }
            #expect(count == DeepMLP.parameterCount(width: width, depth: depth))
            #expect(count <= 200_000 && DeepMLP.parameterCount(width: width + 1, depth: depth) > 200_000)
            #expect(model(Tensor.zeros([3, 1, 28, 28])).shape == [3, 10])
        }
    }

    /// Each initialisation gives its weights the spread it promises (biases zero).
    @Test func deepMLPInitialisations() {
        func std(_ tensor: Tensor) -> Double { ((tensor - tensor.mean()).square().mean().item()).squareRoot() }
        let width = 256
        let cases: [(DeepMLP.Initialization, DeepMLP.Activation, Double)] = [
            (.standardNormal, .sigmoid, 1), (.tiny, .relu, 0.01),
            (.xavier, .tanh, 5.0 / 3 * (2.0 / Double(width + width)).squareRoot()),
            (.kaiming, .relu, (2.0 / Double(width)).squareRoot()),
        ]
        for (initialization, activation, expected) in cases {
            let model = DeepMLP(
                inputs: width, width: width, depth: 2, activation: activation, initialization: initialization, generator: RandomGenerator(seed: 2))
            let weight = model.hidden[1].weight
            #expect(abs(std(weight) / expected - 1) < 0.03, "\(initialization): std \(std(weight)), expected \(expected)")
            #expect(model.hidden[1].bias!.abs().max().item() == 0)
        }
    }

    /// With skip connections every hidden layer after the first adds its input back.
    @Test func deepMLPSkipConnectionsAndBatchNorm() {
        let model = DeepMLP(inputs: 4, width: 3, depth: 3, outputs: 2, activation: .tanh, skipConnections: true, generator: RandomGenerator(seed: 3))
        let input = Tensor.uniform([5, 4], low: -1, high: 1, generator: RandomGenerator(seed: 4))
        var x = model.hidden[0](input).tanh()
        x = x + model.hidden[1](x).tanh()
        x = x + model.hidden[2](x).tanh()
        #expect((model(input) - model.classifier(x)).abs().max().item() < 1e-6)
        let normed = DeepMLP(inputs: 4, width: 3, depth: 2, batchNorm: true, generator: RandomGenerator(seed: 5))
        #expect(normed.norms.count == 2 && normed.stateDict().keys.contains("norms.1.running_mean"))
    }

    /// `forgetBias` sets the second quarter of the LSTM's input bias (PyTorch's gate order i, f, g, o).
    @Test func sequenceModelOpensTheForgetGate() {
        let model = SequenceModel(cell: .lstm, inputs: 2, hidden: 4, outputs: 1, forgetBias: 1, generator: RandomGenerator(seed: 8))
        let bias = model.recurrent.parameter("bias_ih_l0")!.toArray(Float.self)
        #expect(bias[4..<8].allSatisfy { $0 == 1 } && bias[0..<4].allSatisfy { abs($0) < 1 } && bias[8..<16].allSatisfy { abs($0) < 1 })
    }

    @Test func sequenceModelReadsTheLastStepOrEveryStep() {
        for cell in SequenceModel.Cell.allCases {
            let regressor = SequenceModel(cell: cell, inputs: 2, hidden: 8, outputs: 1, generator: RandomGenerator(seed: 6))
            #expect(regressor(Tensor.zeros([4, 7, 2])).shape == [4, 1])
        }
        let language = SequenceModel(
            cell: .rnn, inputs: 5, hidden: 8, outputs: 11, vocabulary: 11, everyStep: true, generator: RandomGenerator(seed: 7))
        #expect(language(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])).shape == [2, 3, 11])
    }
}
