import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// The dense, convolutional or denoising autoencoder on Fashion-MNIST's raw [0, 1] pixels:
/// mean squared reconstruction error of the clean image, Adam, the usual logs and checkpoints,
/// then the test MSE and a grid of test images above their reconstructions
/// (`reconstructions.png`, also in TensorBoard). The denoising one sees corrupted inputs (a
/// data transform, drawn afresh each epoch), is scored on corrupted test images, and also
/// reports the corrupted images' own MSE to the clean ones.
let autoencoderRecipe = TaskRecipe(
    family: .autoencoder, summary: "Fashion-MNIST autoencoders (raw pixels, reconstruction MSE)",
    specs: [
        fashionDataSpec
    ], run: trainAutoencoder)

func trainAutoencoder(_ run: TrainRun) {
    let (options, settings, modelName) = (run.options, run.settings, run.model)
    let latent = run.int("latent")
    // A model with a noise option is trained to undo that noise.
    let noise = run.entry.option("noise").map { _ in (kind: run.string("noise"), level: run.double("noise-level")) }
    if let noise, noise.kind == "masking" && noise.level >= 1 {
        fail("train: '--noise-level' must be below 1 for masking noise, got \(noise.level)")
    }
    let corrupt: Transform? = noise.map {
        $0.kind == "gaussian" ? Transforms.gaussianPixelNoise(std: $0.level) : Transforms.maskingNoise(p: $0.level)
    }
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"))
        let test = try FashionMNIST.load(.test, directory: options.string("data"))
        // The clean image is the target.
        let trainSet = TensorDataset(inputs: train.inputs, targets: train.inputs)
        // A fixed corruption of the test set, so every epoch is scored on the same noisy images.
        let testInputs = corrupt.map { $0(test.inputs, RandomGenerator(seed: 1_000_003)) } ?? test.inputs
        let testSet = TensorDataset(inputs: testInputs, targets: test.inputs)
        Random.seed(UInt64(settings.seed))
        let model = try ModelRegistry.network(modelName, run.config.values)
        let testLoader = DataLoader(testSet, batchSize: 1000, shard: processShard)
        let (trainer, outcome) = try runFit(
            settings, model: model, loss: { mseLoss($0, $1) }, metrics: [],
            monitor: ("val_loss", .min),
            train: DataLoader(
                trainSet, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed),
                transform: corrupt),
            validation: testLoader,
            metadata: ["latent": "\(latent)", "loss": "mean squared error (pixels)"]
                .merging(noise.map { ["noise": $0.kind, "noise_level": "\($0.level)"] } ?? [:]) { a, _ in a },
            prepare: { trainer in
                // Each epoch: originals above their reconstructions (the denoising model: clean, noisy, denoised).
                let originals = test.inputs[..<16].to(model.device), seen = testInputs[..<16].to(model.device)
                let board = trainer.callbacks.compactMap { $0 as? TensorBoardLogger }.first
                trainer.callbacks.append(
                    EpochImages(path: "\(settings.out)/reconstructions.png", tag: "reconstructions/test", board: board) { _ in
                        let reconstructions = model(seen)
                        return noise != nil
                            ? Tensor.concat([originals[..<8], seen[..<8], reconstructions[..<8], originals[8...], seen[8...], reconstructions[8...]])
                            : Tensor.concat([originals[..<8], reconstructions[..<8], originals[8...], reconstructions[8...]])
                    })
            })
        let mse = try trainer.evaluate(testLoader)["loss"] ?? .nan
        print("wrote \(settings.out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, reconstructions.png, tb/")
        if let noise {
            let noisyMSE = mseLoss(testInputs, test.inputs).item()
            print("test_mse=\(formatFixed(mse, 5)) noisy_input_mse=\(formatFixed(noisyMSE, 5)) (\(noise.kind) noise \(noise.level))")
        } else {
            print("test_mse=\(formatFixed(mse, 5))")
        }
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}

/// The dense or convolutional VAE: negative ELBO in nats per image (Bernoulli decoder on the
/// pixels, analytic KL, optional β), then the test ELBO and an importance-weighted estimate of
/// the test negative log-likelihood. Protocol: raw intensities as Bernoulli targets, or with
/// `--binarize` pixels redrawn as Bernoulli samples every time an image is seen.
let variationalAutoencoderRecipe = TaskRecipe(
    family: .variationalAutoencoder, summary: "Fashion-MNIST variational autoencoders (negative ELBO, importance-weighted NLL)",
    specs: [
        fashionDataSpec
    ], run: trainVariationalAutoencoder)

func trainVariationalAutoencoder(_ run: TrainRun) {
    let (options, settings, modelName) = (run.options, run.settings, run.model)
    let latent = run.int("latent"), beta = run.double("beta"), binarize = run.flag("binarize"), samples = run.int("iw-samples")
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"))
        let test = try FashionMNIST.load(.test, directory: options.string("data"))
        Random.seed(UInt64(settings.seed))
        guard let model = try ModelRegistry.network(modelName, run.config.values) as? any VariationalAutoencoderModel & Layer
        else { fail("train: \(modelName) is not a variational autoencoder") }
        let (optimizer, scheduler) = makeOptimizer(settings, model.parameters())
        let step = VariationalAutoencoderStep(
            model: model, optimizer: optimizer, scheduler: scheduler, beta: beta, binarize: binarize,
            noise: RandomGenerator(seed: UInt64(settings.seed) &+ 17))
        let protocolName = binarize ? "dynamically binarised pixels" : "pixel intensities as Bernoulli targets"
        let (trainer, outcome) = try runFit(
            settings, step: step, monitor: ("val_loss", .min),
            train: DataLoader(train, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed)),
            validation: DataLoader(test, batchSize: 1000),
            metadata: [
                "latent": "\(latent)", "beta": "\(beta)", "protocol": protocolName,
                "loss": "negative ELBO (nats per image)",
            ],
            prepare: { trainer in
                // Each epoch: samples from fixed noise, and test images above their reconstructions.
                let board = trainer.callbacks.compactMap { $0 as? TensorBoardLogger }.first
                let fixedNoise = Tensor.normal([32, latent], generator: RandomGenerator(seed: 3)).to(model.device)
                let originals = test.inputs[..<16].to(model.device)
                trainer.callbacks.append(
                    EpochImages(path: "\(settings.out)/samples.png", tag: "samples/prior", board: board) { _ in
                        model.decodeLogits(fixedNoise).sigmoid().reshaped([32, 1, 28, 28])
                    })
                trainer.callbacks.append(
                    EpochImages(path: "\(settings.out)/reconstructions.png", tag: "reconstructions/test", board: board) { _ in
                        let reconstructions = model(originals)
                        return Tensor.concat([originals[..<8], reconstructions[..<8], originals[8...], reconstructions[8...]])
                    })
                // Latent interpolation: four pairs of test images, ten steps between their posterior means.
                trainer.callbacks.append(
                    EpochImages(
                        path: "\(settings.out)/interpolation.png", tag: "interpolation/test", board: board,
                        columns: 10
                    ) { _ in
                        let (means, _) = model.encode(originals[..<8])
                        return Tensor.concat(
                            (0..<4).map { pair -> Tensor in
                                let a = means[2 * pair], b = means[2 * pair + 1]
                                let steps = (0..<10).map { t in a * (1 - Double(t) / 9) + b * (Double(t) / 9) }
                                return model.decodeLogits(Tensor.stack(steps)).sigmoid().reshaped([10, 1, 28, 28])
                            })
                    })
            })
        model.eval()
        // The test set as the protocol sees it: one fixed binarisation when binarising.
        let images = binarize ? (Tensor.uniform(test.inputs.shape, generator: RandomGenerator(seed: 99)) .< test.inputs).to(.float32) : test.inputs
        let elbo =
            try trainer.evaluate(DataLoader(TensorDataset(inputs: images, targets: test.targets), batchSize: 1000, shard: processShard))["elbo"]
            ?? .nan
        let generator = RandomGenerator(seed: 7)
        var logLikelihood = 0.0
        // Each process scores its part of the test set.
        let part = processShard?.slice(of: 0..<images.shape[0]) ?? 0..<images.shape[0]
        for start in stride(from: part.lowerBound, to: part.upperBound, by: 500) {
            let chunk = images.narrowed(axis: 0, start: start, length: min(500, part.upperBound - start))
            logLikelihood += model.importanceWeightedLogLikelihood(chunk.to(model.device), samples: samples, generator: generator).sum().item()
        }
        logLikelihood = job?.sum([logLikelihood])[0] ?? logLikelihood
        let nll = -logLikelihood / Double(images.shape[0])
        print(
            "wrote \(settings.out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, samples.png, reconstructions.png, interpolation.png, tb/"
        )
        print("protocol: \(protocolName); test NLL from \(samples) importance samples per image")
        print("test_elbo=\(formatFixed(elbo, 2)) test_nll=\(formatFixed(nll, 2))")
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}
