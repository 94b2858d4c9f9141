import Neuron
import NeuronData
import NeuronNN
import NeuronTrain
import Testing

/// The README's custom step, verbatim.
final class GANStep: TrainingStep {
    let generator = Sequential(Linear(64, 256), LeakyReLU(negativeSlope: 0.2), Linear(256, 784), Tanh())
    let discriminator = Sequential(Linear(784, 256), LeakyReLU(negativeSlope: 0.2), Linear(256, 1))
    lazy var gOptimizer = Adam(generator.parameters(), lr: 2e-4, betas: (0.5, 0.999))
    lazy var dOptimizer = Adam(discriminator.parameters(), lr: 2e-4, betas: (0.5, 0.999))
    let noise = RandomGenerator(seed: 0)

    // Everything named here is saved in checkpoint.safetensors and restored by --resume.
    var models: [(name: String, module: Module)] { [("generator", generator), ("discriminator", discriminator)] }
    var optimizers: [(name: String, optimizer: Optimizer)] { [("g_optimizer", gOptimizer), ("d_optimizer", dOptimizer)] }
    var generators: [(name: String, generator: RandomGenerator)] { [("noise", noise)] }

    func train(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        let real = batch.inputs.flattened(from: 1) * 2 - 1, n = real.shape[0]
        let fake = generator(Tensor.normal([n, 64], generator: noise))
        dOptimizer.zeroGrad()
        let dLoss =
            binaryCrossEntropyWithLogits(discriminator(real), Tensor.ones([n, 1]))
            + binaryCrossEntropyWithLogits(discriminator(fake.detach()), Tensor.zeros([n, 1]))
        trainer.backward(dLoss)  // after-backward hooks; a NaN loss stops the run
        trainer.update(dOptimizer)  // before-step hooks (clipping), then the update
        gOptimizer.zeroGrad()
        let gLoss = binaryCrossEntropyWithLogits(discriminator(fake), Tensor.ones([n, 1]))
        trainer.backward(gLoss)
        trainer.update(gOptimizer)
        return ["d_loss": dLoss.item(), "g_loss": gLoss.item()]  // progress bar, CSV, TensorBoard
    }
}

/// The README's example, on a slice of the data, so that it keeps compiling and working.
@Suite struct ReadmeExampleTests {
    @Test func readmeExampleTrains() throws {
        let train = try FashionMNIST.load(.train, normalized: true).slice(0..<1024)
        let test = try FashionMNIST.load(.test, normalized: true).slice(0..<256)
        let model = Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 10))
        let trainer = Trainer(
            model: model, optimizer: Adam(model.parameters(), lr: 1e-3),
            loss: { crossEntropy($0, $1) }, callbacks: [ProgressBar(interactive: false)])
        _ = try trainer.fit(
            train: DataLoader(train, batchSize: 64, shuffle: true),
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

    @Test func readmeCustomStepTrains() throws {
        let folder = temporaryFolder("readme-gan")
        let trainer = Trainer(step: GANStep(), callbacks: [ProgressBar(interactive: false), CSVLogger(path: folder + "/metrics.csv")])
        trainer.checkpointPath = folder + "/checkpoint.safetensors"
        _ = try trainer.fit(train: DataLoader(FashionMNIST.load(.train).slice(0..<512), batchSize: 64, shuffle: true), epochs: 1)
        try trainer.saveModels(to: folder)
        #expect(trainer.history[0]["d_loss"]!.isFinite && trainer.history[0]["g_loss"]!.isFinite)
        #expect(try SafeTensors.read(folder + "/generator.safetensors").tensors["2.weight"]?.shape == [784, 256])
    }

    @Test func readmeRecurrentExampleRuns() {
        let lstm = LSTM(
            inputSize: 28, hiddenSize: 128, numLayers: 2, batchFirst: true, bidirectional: true,
            generator: RandomGenerator(seed: 1))
        let classifier = Linear(256, 10, generator: RandomGenerator(seed: 2))
        let x = Tensor.normal([32, 28, 28], generator: RandomGenerator(seed: 3))
        let (output, h, c) = lstm(x, lengths: (0..<32).map { 28 - $0 % 8 })
        let logits = classifier(output[.all, 20])
        #expect(output.shape == [32, 28, 256] && h.shape == [4, 32, 128] && c.shape == [4, 32, 128])
        #expect(logits.shape == [32, 10])
    }
}
