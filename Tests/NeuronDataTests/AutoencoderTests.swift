import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import Testing

@testable import NeuronTrain

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
        let trainer = Trainer(
            model: model, optimizer: Adam(model.parameters(), lr: 1e-3),
            loss: { mseLoss($0, $1) }, metrics: [])
        let noisy = DataLoader(
            TensorDataset(inputs: images, targets: images), batchSize: 64, shuffle: true,
            transform: Transforms.gaussianPixelNoise(std: 0.3))
        _ = try trainer.fit(train: noisy, epochs: 1)
        let codes = model.encode(images[..<100])
        #expect(codes.shape == [100, 32])
    }
}

@Suite struct VariationalAutoencoderTests {
    /// PyTorch's posterior, logits and ELBO for the same weights and noise (make_autoencoder_fixtures.py).
    @Test func forwardMatchesPyTorch() throws {
        let fixtures = try SafeTensors.read(DataFixtures.path("autoencoders.safetensors")).tensors
        let input = fixtures["input"]!, noise = fixtures["vae_noise"]!
        for (prefix, model) in [("dense_vae", DenseVAE(hidden: 16, latent: 4) as any VariationalAutoencoderModel), ("conv_vae", ConvVAE(latent: 4))] {
            var state: StateDict = [:]
            for (key, tensor) in fixtures where key.hasPrefix(prefix + ".state.") { state[String(key.dropFirst(prefix.count + 7))] = tensor }
            try model.load(stateDict: state)
            let (mean, logVariance) = model.encode(input)
            let logits = model.decodeLogits(reparameterize(mean: mean, logVariance: logVariance, noise: noise))
            let elbo = model.elbo(input, noise: noise).elbo
            for (name, value) in [("mean", mean), ("log_variance", logVariance), ("logits", logits)] {
                #expect((value - fixtures["\(prefix).\(name)"]!).abs().max().item() < 1e-4, "\(prefix) \(name)")
            }
            #expect(((elbo - fixtures["\(prefix).elbo"]!) / fixtures["\(prefix).elbo"]!).abs().max().item() < 1e-5, "\(prefix) elbo")
        }
    }

    @Test func vaeTrainsAndItsLikelihoodBoundsAreOrdered() throws {
        let images = try FashionMNIST.load(.train).inputs[..<512]
        let data = TensorDataset(inputs: images, targets: images)
        for model in [
            DenseVAE(latent: 8, generator: RandomGenerator(seed: 1)) as any VariationalAutoencoderModel & Layer,
            ConvVAE(latent: 8, generator: RandomGenerator(seed: 2)),
        ] {
            let step = VariationalAutoencoderStep(
                model: model, optimizer: Adam(model.parameters(), lr: 2e-3),
                noise: RandomGenerator(seed: 3))
            let trainer = Trainer(step: step)
            let before = try trainer.evaluate(DataLoader(data, batchSize: 256))
            #expect(try trainer.fit(train: DataLoader(data, batchSize: 64, shuffle: true), epochs: 3) == .completed)
            let after = try trainer.evaluate(DataLoader(data, batchSize: 256))
            #expect(after["loss"]! < before["loss"]! * 0.7, "\(type(of: model)): \(before["loss"]!) → \(after["loss"]!)")
            #expect(abs(after["elbo"]! + after["reconstruction"]! + after["kl"]!) < 1e-3 && after["kl"]! > 0)
            // log p(x) ≥ IWAE(K) ≥ ELBO in expectation: the 20-sample estimate sits above the one-sample bound.
            model.eval()
            let batch = images[..<64]
            let iwae = model.importanceWeightedLogLikelihood(batch, samples: 20, generator: RandomGenerator(seed: 4)).mean().item()
            let elbo = noGrad { model.elbo(batch, noise: Tensor.normal([64, 8], generator: RandomGenerator(seed: 5))).elbo.mean().item() }
            #expect(iwae > elbo && iwae < 0, "\(type(of: model)): IWAE \(iwae), ELBO \(elbo)")
            #expect(model(batch).shape == [64, 1, 28, 28])
        }
    }

    @Test func binarisedStepSeesBinaryPixels() throws {
        let step = VariationalAutoencoderStep(model: DenseVAE(latent: 2), optimizer: Adam(DenseVAE().parameters()), binarize: true)
        let x = Tensor.full([2, 1, 28, 28], 0.3)
        let binary = step.images(Batch(inputs: x, targets: x)).toArray(Float.self)
        #expect(Set(binary).isSubset(of: [0, 1]) && abs(Double(binary.reduce(0, +)) / Double(binary.count) - 0.3) < 0.05)
    }
}
