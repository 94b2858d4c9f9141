import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

let defaultQualityClassifier = "runs/lenet/model.safetensors"

let ganRecipe = TaskRecipe(
    family: .gan, summary: "Fashion-MNIST generative adversarial networks, scored by a classifier's Fréchet distance",
    specs: [
        fashionDataSpec,
        .init(name: "gp-weight", value: "X", help: "wasserstein: weight of the gradient penalty (default 10)"),
        .init(name: "label-smoothing", value: "X", help: "one-sided label smoothing: D's target for real images is 1 − X (default 0)"),
        .init(name: "ema", value: "DECAY", help: "keep a moving average of the generator's weights (e.g. 0.999); samples come from it"),
        .init(
            name: "classifier", value: "FILE",
            help: "the quality classifier, a lenet or mlp model file (default \(defaultQualityClassifier), written by `make demo`)"),
        .init(name: "fid-samples", value: "N", help: "generated images per Fréchet-distance measurement (default 5000; 0: no quality measure)"),
        .init(name: "train-size", value: "N", help: "train on the first N training images only (default: all 60,000)"),
    ], run: trainGAN)

/// `neuron train --model gan|dcgan|cgan|wgan-gp`: adversarial training on Fashion-MNIST with
/// Adam (lr 2e-4, betas 0.5/0.999; WGAN-GP 0.0/0.9), the usual logs and resumable checkpoints,
/// a sample grid from fixed noise after every epoch (one row per class for the conditional
/// model), and the samples' Fréchet distance in a classifier's features (and, conditional,
/// the classifier's agreement with the requested class) after every epoch and at the end.
func trainGAN(_ run: TrainRun) {
    let (options, settings, modelName) = (run.options, run.settings, run.model)
    if settings.optimizer != "adam" { fail("train: GANs train with Adam; '--optimizer \(settings.optimizer)' is not supported") }
    let latent = run.int("latent")
    let lossName = run.string("loss")
    // A model made for the Wasserstein loss plots critic scores whatever loss it is given.
    let wgan = lossName == "wasserstein" || run.entry.option("loss")?.defaultText == "wasserstein"
    let penalty = options.double("gp-weight", default: 10, positive: false)!
    if lossName != "wasserstein" && options.string("gp-weight") != nil { fail("train: '--gp-weight' applies to the wasserstein loss only") }
    let loss: AdversarialLoss =
        switch lossName {
        case "least-squares": .leastSquares
        case "wasserstein": .wasserstein(penalty: penalty)
        default: .nonSaturating
        }
    let dSteps = run.int("d-steps")
    let smoothing = options.double("label-smoothing", default: 0, positive: false)!
    guard smoothing >= 0 && smoothing < 1 else { fail("train: '--label-smoothing' must be in [0, 1), got \(smoothing)") }
    let emaDecay = options.double("ema")
    if let emaDecay, emaDecay >= 1 { fail("train: '--ema' must be in (0, 1), got \(emaDecay)") }
    let fidSamples = options.int("fid-samples", default: 5000, minimum: 0)
    if fidSamples == 1 { fail("train: '--fid-samples' must be 0 or at least 2") }
    let classifierPath = options.string("classifier") ?? defaultQualityClassifier
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        var train = try FashionMNIST.load(.train, directory: options.string("data"))
        if let size = options.string("train-size").map({ _ in options.int("train-size", default: 60_000) }), size < train.count {
            train = TensorDataset(inputs: train.inputs[..<size], targets: train.targets[..<size])
        }
        let test = try FashionMNIST.load(.test, directory: options.string("data"))
        var quality: GeneratorQuality?
        if fidSamples > 0 {
            guard access(classifierPath, R_OK) == 0 else {
                fail(
                    "train: quality classifier \(classifierPath) not found: run `make demo` (it trains LeNet-5 there), pass --classifier FILE, or --fid-samples 0"
                )
            }
            let classifier = try SavedModel.featureClassifier(classifierPath)
            let testFeatures = classifier.features(of: test.inputs)
            let measure = GeneratorQuality(classifier: classifier, realFeatures: testFeatures, samples: fidSamples)
            let halves = frechetDistance(FeatureStatistics(features: testFeatures[..<5000]), FeatureStatistics(features: testFeatures[5000...]))
            let noise = measure.frechetDistance(images: Tensor.uniform([fidSamples, 1, 28, 28], generator: RandomGenerator(seed: 5)))
            print(
                "quality: Fréchet distance in the penultimate features of \(classifier.name); scale: two halves of the test set \(formatFixed(halves, 2)), uniform noise \(formatFixed(noise, 1))"
            )
            quality = measure
        }
        Random.seed(UInt64(settings.seed))
        let (generator, discriminator) = try ModelRegistry.adversarialPair(modelName, run.config.values)
        let averaged = try emaDecay.map { (generator: try ModelRegistry.adversarialPair(modelName, run.config.values).generator, decay: $0) }
        let betas = run.entry.defaults.betas
        let generatorOptimizer = Adam(generator.parameters(), lr: settings.lr, betas: betas)
        let discriminatorOptimizer = Adam(discriminator.parameters(), lr: settings.lr, betas: betas)
        let step = AdversarialStep(
            generator: generator, discriminator: discriminator, generatorOptimizer: generatorOptimizer,
            discriminatorOptimizer: discriminatorOptimizer, loss: loss, discriminatorSteps: dSteps,
            labelSmoothing: smoothing, averaged: averaged, noise: RandomGenerator(seed: UInt64(settings.seed) &+ 29))
        step.quality = quality
        if settings.cosine {
            step.epochSchedules = [
                ("generator_schedule", CosineAnnealingLR(generatorOptimizer, period: settings.epochs)),
                ("discriminator_schedule", CosineAnnealingLR(discriminatorOptimizer, period: settings.epochs)),
            ]
        }
        let conditional = generator.classCount != nil
        var metadata = ["latent": "\(latent)", "loss": lossName, "d_steps": "\(dSteps)", "label_smoothing": "\(smoothing)"]
        if let emaDecay { metadata["ema"] = "\(emaDecay)" }
        if quality != nil { metadata["quality_classifier"] = classifierPath }
        let (trainer, outcome) = try runFit(
            settings, step: step, monitor: ("fid", .min),
            train: DataLoader(train, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed)),
            validation: nil, metadata: metadata, bestModel: averaged == nil ? "generator" : "generator_ema",
            plot: { try plotGANCurves($0, wasserstein: wgan, to: "\(settings.out)/curves") },
            prepare: { trainer in
                // Each epoch: the same noise through the generator (one row per class when conditional).
                let board = trainer.callbacks.compactMap { $0 as? TensorBoardLogger }.first
                let count = conditional ? 100 : 64
                let fixedNoise = Tensor.normal([count, latent], generator: RandomGenerator(seed: 3))
                let labels = conditional ? Tensor((0..<100).map { $0 / 10 }) : nil
                trainer.callbacks.append(
                    EpochImages(
                        path: "\(settings.out)/samples.png", tag: "samples/fixed_noise", board: board,
                        columns: conditional ? 10 : 8
                    ) { _ in
                        let device = step.sampler.device
                        return (step.sampler.generate(fixedNoise.to(device), labels: labels?.to(device)) + 1) * 0.5
                    })
            })
        let last = trainer.history.last ?? [:]
        print(
            "wrote \(settings.out)/generator.safetensors, discriminator.safetensors\(averaged == nil ? "" : ", generator_ema.safetensors"), checkpoint.safetensors, metrics.csv, curves.png, samples.png, tb/"
        )
        if quality != nil {
            let figures =
                ["fid=\(formatFixed(last["fid"] ?? .nan, 2))"]
                + (conditional ? ["class_accuracy=\(formatFixed(last["class_accuracy"] ?? .nan, 4))"] : [])
            print(figures.joined(separator: " "))
        }
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}

/// The two losses, D's outputs and the quality figures per epoch, as PNG and SVG.
func plotGANCurves(_ history: [[String: Double]], wasserstein: Bool, to stem: String) throws {
    let epochs = history.map { $0["epoch"] ?? 0 }
    func series(_ key: String, _ name: String) -> Plot.Series? {
        let values = history.map { $0[key] ?? .nan }
        return values.contains { !$0.isNaN } ? Plot.Series(name, xs: epochs, ys: values) : nil
    }
    var charts = [
        Plot.Chart(
            title: "Losses", xLabel: "epoch", yLabel: "loss",
            series: [series("d_loss", "discriminator"), series("g_loss", "generator")].compactMap { $0 }),
        Plot.Chart(
            title: wasserstein ? "Critic scores" : "Discriminator outputs", xLabel: "epoch",
            yLabel: wasserstein ? "mean score" : "mean probability",
            series: [
                series("d_real", "D(x)"), series("d_fake", "D(G(z))"), series("wasserstein", "E[D(x)] − E[D(G(z))]"),
                series("gp", "gradient penalty"),
            ].compactMap { $0 }),
    ]
    if let fid = series("fid", "Fréchet distance") {
        charts.append(Plot.Chart(title: "Fréchet distance to the test set", xLabel: "epoch", yLabel: "distance", series: [fid]))
    }
    if let accuracy = series("class_accuracy", "class accuracy") {
        charts.append(Plot.Chart(title: "Samples classified as their class", xLabel: "epoch", yLabel: "fraction", series: [accuracy]))
    }
    try Plot.write(charts, to: stem + ".png")
    try Plot.write(charts, to: stem + ".svg")
}
