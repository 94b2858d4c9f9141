import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// Does a conditional GAN's output help a classifier that has few labels? (Chapter 9.)
struct GANAugmentationExperiment: Experiment {
    let name = "gan-augmentation"
    let chapter = "9. GANs"
    let summary = "LeNet-5 with few real labels, alone, with crop/flip, and with a conditional GAN's images added"
    let details = """
        Does a conditional GAN's output help a classifier that has few labels? LeNet-5 is trained
        on R real labelled images per class (a different random draw per seed), alone, with the
        usual crop-and-flip augmentation, and with N images per class from a conditional
        generator added; every arm sees the same number of training examples (--budget), and the
        test accuracy on the 10,000 test images is reported per seed, then as mean and spread.
        Writes results.csv, results.md and augmentation.png. --quick: 10 real and 20 generated
        images per class, 1,000 examples per run, and (without a generator file) only the cGAN
        of the subset, trained for one epoch.

        options:
          --generator FILE        a cgan generator.safetensors (default runs/cgan/generator.safetensors)
          --real-per-class R      real labelled images per class (default 100)
          --generated-per-class L comma-separated N values (default 100,500)
          --budget B              training examples seen per run (default 128000; batch 64, Adam 3e-3)
          --own-gan-epochs E      also train a conditional DCGAN on each seed's real subset alone for
                                  E epochs and augment with it: no labels beyond the subset (default 100;
                                  0: skip)
        """
    let options: [Options.Spec] = [
        .init(name: "generator", value: "FILE", help: "conditional generator"),
        .init(name: "real-per-class", value: "R", help: "real images per class"),
        .init(name: "generated-per-class", value: "L", help: "generated images per class"),
        .init(name: "budget", value: "B", help: "examples per run"),
        .init(name: "own-gan-epochs", value: "E", help: "epochs of the subset's own cGAN"),
    ]

    func run(_ run: ExperimentRun) throws {
        try augment(run)
    }
}

func augment(_ run: ExperimentRun) throws {
    let options = run.options
    let generatorPath = options.string("generator", default: "runs/cgan/generator.safetensors")!
    let realPerClass = options.int("real-per-class", default: run.size(100, quick: 10))
    let generatedCounts = try (options.string("generated-per-class") ?? run.size("100,500", quick: "20")).split(separator: ",").map {
        text -> Int in
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
            throw DataError("'--generated-per-class' must be positive integers separated by commas, got '\(text)'")
        }
        return value
    }
    let budget = options.int("budget", default: run.size(128_000, quick: 1_000))
    let ownEpochs = options.int("own-gan-epochs", default: run.size(100, quick: 1), minimum: 0)
    // The quick version runs without a trained generator: only the subset's own cGAN then.
    let haveGenerator = access(generatorPath, R_OK) == 0
    guard haveGenerator || run.quick else {
        throw DataError(
            "generator \(generatorPath) not found: train one with `neuron train --model cgan --out runs/cgan` (or `make demo-gans`), or pass --generator FILE"
        )
    }
    let generator = haveGenerator ? try SavedModel.loadGenerator(generatorPath).0 : nil
    let classes = generator?.classCount ?? 10
    if let generator, generator.classCount == nil {
        throw DataError("\(generatorPath) holds an unconditional generator; augmentation needs a conditional one (cgan)")
    }
    let train = try FashionMNIST.load(.train, directory: options.string("data"))
    let test = try FashionMNIST.load(.test, directory: options.string("data"), normalized: true)
    let labels = train.targets.toArray(Int.self)
    // Arms: real only, crop/flip, the given generator's images, the subset's own cGAN's images.
    let arms: [(name: String, generated: Int, augment: Bool, own: Bool)] =
        [("real only", 0, false, false), ("real + crop/flip", 0, true, false)]
        + (generator != nil ? generatedCounts.map { ("real + \($0)/class from the generator", $0, false, false) } : [])
        + (ownEpochs > 0 ? generatedCounts.map { ("real + \($0)/class from a cGAN of the subset", $0, false, true) } : [])
    run.report(
        "LeNet-5 on \(realPerClass) real images per class; \(budget) examples per run"
            + (generator != nil ? "; generator \(generatorPath) (trained on the whole labelled training set)" : ""))
    // The real subset of each seed: the first R images of each class in a seeded shuffle, and
    // the cGAN trained on it alone.
    var subsets: [Int: (images: Tensor, labels: Tensor, generator: (any ImageGenerator)?)] = [:]
    func subset(_ seed: Int) throws -> (images: Tensor, labels: Tensor, generator: (any ImageGenerator)?) {
        if let known = subsets[seed] { return known }
        var order = Array(0..<labels.count)
        RandomGenerator(seed: UInt64(1000 + seed)).shuffle(&order)
        var perClass = [Int](repeating: 0, count: classes), chosen: [Int] = []
        for index in order where perClass[labels[index]] < realPerClass {
            perClass[labels[index]] += 1
            chosen.append(index)
        }
        let indices = Tensor(chosen)
        let images = train.inputs.indexSelect(axis: 0, index: indices), targets = train.targets.indexSelect(axis: 0, index: indices)
        var own: (any ImageGenerator)?
        if ownEpochs > 0 {
            let start = ProgressBar.now()
            own = try trainSubsetGAN(TensorDataset(inputs: images, targets: targets), epochs: ownEpochs, seed: seed)
            print(
                "seed \(seed) · cGAN trained on the \(images.shape[0]) real images for \(ownEpochs) epochs in \(formatFixed(ProgressBar.now() - start, 1)) s"
            )
        }
        subsets[seed] = (images, targets, own)
        return subsets[seed]!
    }
    let results = try run.measure(arms.map(\.name), columns: ["images", "test_accuracy"]) { armIndex, seed in
        let arm = arms[armIndex], real = try subset(seed)
        var images = real.images, targets = real.labels
        if arm.generated > 0, let source = arm.own ? real.generator : generator {
            let fakeLabels = Tensor((0..<(arm.generated * classes)).map { $0 % classes })
            let fake = source.sample(count: fakeLabels.count, labels: fakeLabels, generator: RandomGenerator(seed: UInt64(2000 + seed)))
            images = Tensor.concat([images, fake])
            targets = Tensor.concat([targets, fakeLabels])
        }
        let data = TensorDataset(inputs: FashionMNIST.normalize(images), targets: targets)
        let accuracy = try trainFewLabelClassifier(data, test: test, budget: budget, seed: seed, augment: arm.augment)
        return ["images": Double(data.count), "test_accuracy": accuracy]
    }
    var table = "| training set | images | test accuracy, mean ± std over \(run.seeds) seeds |\n|---|---|---|\n"
    for (arm, figures) in zip(arms, results) {
        table += "| \(arm.name) | \(classes * (realPerClass + arm.generated)) | \(figures.text("test_accuracy")) |\n"
    }
    run.report("\n" + table)
    try Array(table.utf8).withUnsafeBytes { try writeFileAtomically("\(run.out)/results.md", [$0]) }
    // Mean accuracy against generated images per class: one line per generator, real-only
    // and crop/flip as flat references (the spread is in the table).
    let xs = [0.0] + generatedCounts.map(Double.init)
    let realOnly = results[0].mean("test_accuracy"), cropFlip = results[1].mean("test_accuracy")
    var series = [
        Plot.Series("real only", xs: [xs.first!, xs.last!], ys: [realOnly, realOnly]),
        Plot.Series("real + crop/flip", xs: [xs.first!, xs.last!], ys: [cropFlip, cropFlip]),
    ]
    for (own, label) in [(false, "+ cGAN of all labels"), (true, "+ cGAN of the subset")] {
        let chosen = arms.indices.filter { arms[$0].generated > 0 && arms[$0].own == own }
        if !chosen.isEmpty { series.append(Plot.Series(label, xs: xs, ys: [realOnly] + chosen.map { results[$0].mean("test_accuracy") })) }
    }
    try run.writePlot(
        "augmentation",
        [
            Plot.Chart(
                title: "LeNet-5 with \(realPerClass) real images per class, mean of \(run.seeds) seeds",
                xLabel: "generated images per class", yLabel: "test accuracy", series: series)
        ])
}

/// A conditional DCGAN trained on `data` alone (images in [0, 1], labels) with `neuron train
/// --model cgan`'s settings, through the same adversarial step and loop.
func trainSubsetGAN(_ data: TensorDataset, epochs: Int, seed: Int) throws -> any ImageGenerator {
    Random.seed(UInt64(seed))
    let cgan = try ModelRegistry.lookup("cgan")
    let (generator, discriminator) = try ModelRegistry.adversarialPair(cgan.name)
    let step = AdversarialStep(
        generator: generator, discriminator: discriminator,
        generatorOptimizer: Adam(generator.parameters(), lr: cgan.defaults.learningRate, betas: cgan.defaults.betas),
        discriminatorOptimizer: Adam(discriminator.parameters(), lr: cgan.defaults.learningRate, betas: cgan.defaults.betas),
        noise: RandomGenerator(seed: UInt64(seed) &+ 29))
    _ = try Trainer(step: step).fit(train: DataLoader(data, batchSize: 64, shuffle: true, seed: UInt64(seed)), epochs: epochs)
    return generator
}

/// LeNet-5 trained on `data` (standardised images) for about `budget` examples (whole
/// epochs, batch 64, Adam 3e-3, cosine schedule) through the usual loop, then its test accuracy.
func trainFewLabelClassifier(_ data: TensorDataset, test: TensorDataset, budget: Int, seed: Int, augment: Bool) throws -> Double {
    Random.seed(UInt64(seed))
    let lenet = try ModelRegistry.lookup("lenet")
    let model = try ModelRegistry.network(lenet.name)
    let epochs = max(1, Int((Double(budget) / Double(data.count)).rounded()))
    let optimizer = Adam(model.parameters(), lr: lenet.defaults.learningRate)
    let trainer = Trainer(
        model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) },
        scheduler: CosineAnnealingLR(optimizer, period: epochs))
    let transform: Transform? = augment ? Transforms.compose([Transforms.randomCrop(padding: 2), Transforms.horizontalFlip()]) : nil
    _ = try trainer.fit(train: DataLoader(data, batchSize: 64, shuffle: true, seed: UInt64(seed), transform: transform), epochs: epochs)
    return try trainer.evaluate(DataLoader(test, batchSize: 1000))["accuracy"] ?? .nan
}
