import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import Testing

/// The model added through the registry in docs/extending.md.
@Suite struct ConvNetTests {
    @Test func hasPyTorchsNamesAndShapes() {
        let model = ConvNet(generator: RandomGenerator(seed: 1))
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.shape) })
        #expect(
            shapes == [
                "0.weight": [32, 1, 3, 3], "0.bias": [32], "3.weight": [64, 32, 3, 3], "3.bias": [64],
                "8.weight": [10, 1600], "8.bias": [10],
            ])
        #expect(model.parameters().reduce(0) { $0 + $1.count } == 34_826)
        #expect(model(Tensor.normal([2, 1, 28, 28])).shape == [2, 10])
    }

    @Test func isRegisteredAsAClassifier() throws {
        let entry = try ModelRegistry.lookup("convnet")
        #expect(entry.family == .classifier)
        #expect(entry.defaults.learningRate == 1e-3)
        // A saved five-class convnet rebuilds from its metadata.
        let rebuilt = try SavedModel.make(metadata: ["model": "convnet", "classes": "5"], generator: RandomGenerator(seed: 1))
        #expect(rebuilt.stateDict()["8.weight"]?.shape == [5, 1600])
    }

    /// Two epochs on 2,000 Fashion-MNIST images through the library's loop.
    @Test func learnsFashionMNIST() throws {
        let train = try FashionMNIST.load(.train, normalized: true), test = try FashionMNIST.load(.test, normalized: true)
        // Its own generator, for the weights and the dropout masks: tests run in parallel.
        let model = try ModelRegistry.network("convnet", generator: RandomGenerator(seed: 0))
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3), loss: { crossEntropy($0, $1) })
        let subset = TensorDataset(inputs: train.inputs[..<2000], targets: train.targets[..<2000])
        _ = try trainer.fit(train: DataLoader(subset, batchSize: 64, shuffle: true, seed: 0), epochs: 2)
        let held = TensorDataset(inputs: test.inputs[..<1000], targets: test.targets[..<1000])
        let accuracy = try trainer.evaluate(DataLoader(held, batchSize: 500))["accuracy"] ?? 0
        #expect(accuracy > 0.7, "accuracy \(accuracy)")
    }

    @Test func cliSummarisesIt() throws {
        let result = try runNeuron(["summary", "--model", "convnet"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("34,826"), "\(result.stdout)")
    }
}
