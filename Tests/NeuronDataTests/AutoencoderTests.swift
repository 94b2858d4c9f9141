import Testing
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

@Suite struct AutoencoderTests {
    /// PyTorch's outputs and codes for the same weights (make_autoencoder_fixtures.py).
    @Test func forwardMatchesPyTorch() throws {
        let fixtures = try SafeTensors.read(DataFixtures.path("autoencoders.safetensors")).tensors
        func section(_ prefix: String) -> StateDict {
            var state: StateDict = [:]
            for (key, tensor) in fixtures where key.hasPrefix(prefix + ".state.") { state[String(key.dropFirst(prefix.count + 7))] = tensor }
            return state
        }
        let input = fixtures["input"]!
        let dense = DenseAutoencoder(hidden: 16, latent: 4)
        try dense.load(stateDict: section("dense"))
        let conv = ConvAutoencoder(latent: 4)
        try conv.load(stateDict: section("conv"))
        for (prefix, model, codes) in [("dense", dense as any Layer, dense.encode(input)), ("conv", conv, conv.encode(input))] {
            let output = model(input)
            #expect(output.shape == [3, 1, 28, 28])
            #expect((output - fixtures["\(prefix).output"]!).abs().max().item() < 1e-5, "\(prefix) output")
            #expect((codes - fixtures["\(prefix).codes"]!).abs().max().item() < 1e-5, "\(prefix) codes")
        }
    }

    @Test func trainingLowersTheReconstructionError() throws {
        let images = try FashionMNIST.load(.train).inputs[..<512]
        let data = TensorDataset(inputs: images, targets: images)
        for model in [DenseAutoencoder(generator: RandomGenerator(seed: 1)) as any Layer, ConvAutoencoder(generator: RandomGenerator(seed: 2))] {
            let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 3e-3), loss: { mseLoss($0, $1) }, metrics: [])
            let before = try trainer.evaluate(DataLoader(data, batchSize: 256))["loss"]!
            #expect(try trainer.fit(train: DataLoader(data, batchSize: 64, shuffle: true), epochs: 3) == .completed)
            let after = try trainer.evaluate(DataLoader(data, batchSize: 256))["loss"]!
            #expect(after < before * 0.6, "\(type(of: model)): \(before) → \(after)")
        }
    }

    @Test func savedAutoencodersRebuildFromMetadata() throws {
        let model = try SavedModel.make(metadata: ["model": "conv-autoencoder", "latent": "2"])
        #expect((model as? ConvAutoencoder)?.latentSize == 2)
        let summary = model.summary(input: Tensor.zeros([1, 1, 28, 28]))
        #expect(summary.outputShape == [1, 1, 28, 28] && summary.rows.contains { $0.type == "ConvTranspose2d" })
        #expect(throws: DataError.self) { try SavedModel.make(metadata: ["model": "autoencoder", "latent": "0"]) }
    }

    @Test func corruptionTransforms() {
        let x = Tensor.full([4, 1, 28, 28], 0.5)
        let masked = Transforms.maskingNoise(p: 0.3)(x, RandomGenerator(seed: 1))
        let zeros = (masked .== 0).to(.int64).sum().item() / Double(x.count)
        #expect(abs(zeros - 0.3) < 0.03 && masked.max().item() == 0.5)
        let noisy = Transforms.gaussianPixelNoise(std: 0.3)(x, RandomGenerator(seed: 2))
        #expect(noisy.min().item() >= 0 && noisy.max().item() <= 1 && mseLoss(noisy, x).item() > 0.05)
        let again = Transforms.gaussianPixelNoise(std: 0.3)(x, RandomGenerator(seed: 2))
        #expect(noisy.toArray(Float.self) == again.toArray(Float.self))
    }

    /// docs/autoencoders.md's Swift example, on a slice.
    @Test func docsExampleTrains() throws {
        let model = ConvAutoencoder(latent: 32)
        let images = try FashionMNIST.load(.train).inputs[..<256]
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3),
                              loss: { mseLoss($0, $1) }, metrics: [])
        let noisy = DataLoader(TensorDataset(inputs: images, targets: images), batchSize: 64, shuffle: true,
                               transform: Transforms.gaussianPixelNoise(std: 0.3))
        _ = try trainer.fit(train: noisy, epochs: 1)
        let codes = model.encode(images[..<100])
        #expect(codes.shape == [100, 32])
    }
}
