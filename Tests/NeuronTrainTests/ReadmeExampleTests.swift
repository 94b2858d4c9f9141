import Testing
import Neuron
import NeuronData
import NeuronNN
import NeuronTrain

/// The README's example, on a slice of the data, so that it keeps compiling and working.
@Suite struct ReadmeExampleTests {
    @Test func readmeExampleTrains() throws {
        let train = try FashionMNIST.load(.train, normalized: true).slice(0..<1024)
        let test = try FashionMNIST.load(.test, normalized: true).slice(0..<256)
        let model = Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 10))
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3),
                              loss: { crossEntropy($0, $1) }, callbacks: [ProgressBar(interactive: false)])
        _ = try trainer.fit(train: DataLoader(train, batchSize: 64, shuffle: true),
                            validation: DataLoader(test, batchSize: 1000), epochs: 1)
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        for batch in DataLoader(train, batchSize: 64, shuffle: true).batches(epoch: 0) {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(batch.inputs), batch.targets)
            loss.backward()
            clipGradNorm(model.parameters(), maxNorm: 5)
            optimizer.step()
        }
        #expect(try trainer.evaluate(DataLoader(test, batchSize: 256))["accuracy"]! > 0.6)
    }

    @Test func readmeRecurrentExampleRuns() {
        let lstm = LSTM(inputSize: 28, hiddenSize: 128, numLayers: 2, batchFirst: true, bidirectional: true,
                        generator: RandomGenerator(seed: 1))
        let classifier = Linear(256, 10, generator: RandomGenerator(seed: 2))
        let x = Tensor.normal([32, 28, 28], generator: RandomGenerator(seed: 3))
        let (output, h, c) = lstm(x, lengths: (0..<32).map { 28 - $0 % 8 })
        let logits = classifier(output[.all, 20])
        #expect(output.shape == [32, 28, 256] && h.shape == [4, 32, 128] && c.shape == [4, 32, 128])
        #expect(logits.shape == [32, 10])
    }
}
