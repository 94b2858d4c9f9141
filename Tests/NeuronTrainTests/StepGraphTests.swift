import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import Testing

/// Training steps replayed as recorded graphs give the same training as op-by-op steps, on the
/// default device: `make test` runs these on the CPU (CPU graphs) and on the emulated GPU (CUDA
/// graphs).
@Suite struct StepGraphTests {
    func run(graphs: Bool) throws -> (losses: [Double], weights: [Float], replayed: [Bool]) {
        let initialiser = RandomGenerator(seed: 11)
        let model = Sequential(
            Linear(6, 8, generator: initialiser), BatchNorm1d(8), ReLU(), Linear(8, 3, generator: initialiser))
        let step = SupervisedStep(model: model, optimizer: Adam(model.parameters(), lr: 0.01), loss: { crossEntropy($0, $1) })
        step.graphs.enabled = graphs
        let trainer = Trainer(step: step)
        let data = RandomGenerator(seed: 12)
        var losses: [Double] = [], replayed: [Bool] = []
        // Five batches of 10, a short one of 4 (op by op), then two more of 10 (replayed again).
        for size in [10, 10, 10, 10, 10, 4, 10, 10] {
            let batch = Batch(
                inputs: Tensor.normal([size, 6], generator: data),
                targets: Tensor((0..<size).map { $0 % 3 }))
            losses.append(try step.train(batch, trainer: trainer)["loss"]!)
            replayed.append(step.graphs.lastReplayed)
        }
        let weights = model.parameters().flatMap { $0.toArray(Float.self) } + model.buffers().flatMap { $0.to(.float32).toArray(Float.self) }
        return (losses, weights, replayed)
    }

    @Test func replayedStepsTrainExactlyAsOpByOpSteps() throws {
        let eager = try run(graphs: false), graphed = try run(graphs: true)
        #expect(eager.replayed.allSatisfy { !$0 })
        #expect(graphed.replayed == [false, false, true, true, true, false, true, true])
        #expect(graphed.losses == eager.losses)
        #expect(graphed.weights == eager.weights)
    }

    /// A transformer without dropout (padding masks, attention) replays too: nothing in its step
    /// reads values on the host.
    @Test func attentionModelsReplay() throws {
        func run(graphs: Bool) throws -> ([Double], [Bool]) {
            let model = TransformerClassifier(
                vocabularySize: 20, classes: 3, dimension: 8, heads: 2, layers: 1, feedForward: 16, maxLength: 6, dropout: 0,
                generator: RandomGenerator(seed: 21))
            let step = SupervisedStep(model: model, optimizer: Adam(model.parameters(), lr: 0.01), loss: { crossEntropy($0, $1) })
            step.graphs.enabled = graphs
            let trainer = Trainer(step: step)
            var losses: [Double] = [], replayed: [Bool] = []
            for k in 0..<4 {
                let ids = Tensor((0..<24).map { ($0 * 7 + k) % 20 }, shape: [4, 6])
                losses.append(try step.train(Batch(inputs: ids, targets: Tensor([0, 1, 2, 1])), trainer: trainer)["loss"]!)
                replayed.append(step.graphs.lastReplayed)
            }
            return (losses, replayed)
        }
        let (eager, _) = try run(graphs: false), (graphed, replayed) = try run(graphs: true)
        #expect(replayed == [false, false, true, true])
        #expect(graphed == eager)
    }

    @Test func stepsWithDropoutAreNotCaptured() throws {
        let model = Sequential(Linear(4, 4), Dropout(0.5), Linear(4, 2))
        let step = SupervisedStep(model: model, optimizer: SGD(model.parameters(), lr: 0.1), loss: { crossEntropy($0, $1) })
        let trainer = Trainer(step: step)
        for _ in 0..<4 {
            _ = try step.train(Batch(inputs: Tensor.normal([6, 4]), targets: Tensor([0, 1, 0, 1, 0, 1])), trainer: trainer)
            #expect(!step.graphs.lastReplayed)
        }
        #expect(step.graphs.refused)
    }

    /// Convolutions, batch norm, both poolings, an LSTM, gathers and losses: a replayed step
    /// runs the very kernels of the recorded one on new inputs, so the training is the same to
    /// the last bit.
    @Test func convolutionalAndRecurrentStepsReplayExactly() throws {
        func run(graphs: Bool) throws -> (losses: [Double], weights: [Float], replayed: [Bool]) {
            let initialiser = RandomGenerator(seed: 31)
            let cnn = Sequential(
                Conv2d(1, 4, kernelSize: (3, 3), padding: .explicit(1, 1), generator: initialiser), BatchNorm2d(4), ReLU(),
                MaxPool2d(2), AvgPool2d(2), Flatten(), Linear(4 * 2 * 2, 3, generator: initialiser))
            let lstm = RowLSTM(features: 8, hiddenSize: 6, classes: 3, generator: initialiser)
            var results: [(losses: [Double], weights: [Float], replayed: [Bool])] = []
            for (model, shape) in [(cnn as any Layer, [5, 1, 8, 8]), (lstm, [5, 8, 8])] {
                let step = SupervisedStep(model: model, optimizer: Adam(model.parameters(), lr: 0.01), loss: { crossEntropy($0, $1) })
                step.graphs.enabled = graphs
                let trainer = Trainer(step: step)
                let data = RandomGenerator(seed: 32)
                var losses: [Double] = [], replayed: [Bool] = []
                for _ in 0..<5 {
                    let batch = Batch(inputs: Tensor.normal(shape, generator: data), targets: Tensor([0, 1, 2, 1, 0]))
                    losses.append(try step.train(batch, trainer: trainer)["loss"]!)
                    replayed.append(step.graphs.lastReplayed)
                }
                let weights = model.parameters().flatMap { $0.toArray(Float.self) } + model.buffers().flatMap { $0.to(.float32).toArray(Float.self) }
                results.append((losses, weights, replayed))
            }
            return (results.flatMap(\.losses), results.flatMap(\.weights), results.flatMap(\.replayed))
        }
        let eager = try run(graphs: false), graphed = try run(graphs: true)
        #expect(graphed.replayed == [false, false, true, true, true, false, false, true, true, true])
        #expect(graphed.losses == eager.losses)
        #expect(graphed.weights == eager.weights)
    }
}
