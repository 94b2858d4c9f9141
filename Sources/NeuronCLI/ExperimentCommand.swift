import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

let experimentUsage = """
    usage: neuron experiment gan-augmentation [options]

    Does a conditional GAN's output help a classifier that has few labels? LeNet-5 is trained
    on R real labelled images per class (a different random draw per seed), alone, with the
    usual crop-and-flip augmentation, and with N images per class from a conditional
    generator added; every arm sees the same number of training examples (--budget), and the
    test accuracy on the 10,000 test images is reported per seed, then as mean and spread.

    options:
      --generator FILE        a cgan generator.safetensors (default runs/cgan/generator.safetensors)
      --real-per-class R      real labelled images per class (default 100)
      --generated-per-class L comma-separated N values (default 100,500)
      --seeds S               seeds 0..<S (default 3)
      --budget B              training examples seen per run (default 128000; batch 64, Adam 3e-3)
      --own-gan-epochs E      also train a conditional DCGAN on each seed's real subset alone for
                              E epochs and augment with it: no labels beyond the subset (default 100;
                              0: skip)
      --data DIR              Fashion-MNIST folder (default: Debian's location)
      --out DIR               where results.csv, results.md and augmentation.png go (default runs/gan-augmentation)
    """

func runExperiment(_ arguments: [String]) {
    guard let name = arguments.first, name != "--help", name != "-h" else {
        if arguments.first != nil {
            print(experimentUsage)
            return
        }
        fail("experiment: missing experiment name (gan-augmentation); run `neuron experiment --help`")
    }
    guard name == "gan-augmentation" else { fail("experiment: unknown experiment '\(name)' (known: gan-augmentation)") }
    let options = Options(
        command: "experiment gan-augmentation",
        specs: [
            .init(name: "generator", value: "FILE", help: "conditional generator"),
            .init(name: "real-per-class", value: "R", help: "real images per class"),
            .init(name: "generated-per-class", value: "L", help: "generated images per class"),
            .init(name: "seeds", value: "S", help: "seeds"),
            .init(name: "budget", value: "B", help: "examples per run"),
            .init(name: "own-gan-epochs", value: "E", help: "epochs of the subset's own cGAN"),
            fashionDataSpec,
            .init(name: "out", value: "DIR", help: "output folder"),
        ], arguments: Array(arguments.dropFirst()), usage: experimentUsage)
    let generatorPath = options.string("generator", default: "runs/cgan/generator.safetensors")!
    let realPerClass = options.int("real-per-class", default: 100)
    let generatedCounts = (options.string("generated-per-class") ?? "100,500").split(separator: ",").map { text -> Int in
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
            fail("experiment: '--generated-per-class' must be positive integers separated by commas, got '\(text)'")
        }
        return value
    }
    let seeds = options.int("seeds", default: 3)
    let budget = options.int("budget", default: 128_000)
    let ownEpochs = options.int("own-gan-epochs", default: 100, minimum: 0)
    let out = options.string("out", default: "runs/gan-augmentation")!
    guard access(generatorPath, R_OK) == 0 else {
        fail(
            "experiment: generator \(generatorPath) not found: train one with `neuron train --model cgan --out runs/cgan` (or `make demo-gans`), or pass --generator FILE"
        )
    }
    do {
        try makeDirectories(out)
        let (generator, _) = try SavedModel.loadGenerator(generatorPath)
        guard let classes = generator.classCount else {
            fail("experiment: \(generatorPath) holds an unconditional generator; augmentation needs a conditional one (cgan)")
        }
        let train = try FashionMNIST.load(.train, directory: options.string("data"))
        let test = try FashionMNIST.load(.test, directory: options.string("data"), normalized: true)
        let labels = train.targets.toArray(Int.self)
        // Arms: real only, crop/flip, the given generator's images, the subset's own cGAN's images.
        let arms: [(name: String, generated: Int, augment: Bool, own: Bool)] =
            [("real only", 0, false, false), ("real + crop/flip", 0, true, false)]
            + generatedCounts.map { ("real + \($0)/class from the generator", $0, false, false) }
            + (ownEpochs > 0 ? generatedCounts.map { ("real + \($0)/class from a cGAN of the subset", $0, false, true) } : [])
        var accuracies = [[Double]](repeating: [], count: arms.count)
        print(
            "LeNet-5 on \(realPerClass) real images per class; \(budget) examples per run; generator \(generatorPath) (trained on the whole labelled training set)"
        )
        for seed in 0..<seeds {
            // The real subset of this seed: the first R images of each class in a seeded shuffle.
            var order = Array(0..<labels.count)
            RandomGenerator(seed: UInt64(1000 + seed)).shuffle(&order)
            var perClass = [Int](repeating: 0, count: classes), chosen: [Int] = []
            for index in order where perClass[labels[index]] < realPerClass {
                perClass[labels[index]] += 1
                chosen.append(index)
            }
            let indices = Tensor(chosen)
            let realImages = train.inputs.indexSelect(axis: 0, index: indices), realLabels = train.targets.indexSelect(axis: 0, index: indices)
            var ownGenerator: (any ImageGenerator)?
            if ownEpochs > 0 {
                let start = ProgressBar.now()
                ownGenerator = try trainSubsetGAN(TensorDataset(inputs: realImages, targets: realLabels), epochs: ownEpochs, seed: seed)
                print(
                    "seed \(seed) · cGAN trained on the \(realImages.shape[0]) real images for \(ownEpochs) epochs in \(formatFixed(ProgressBar.now() - start, 1)) s"
                )
            }
            for (armIndex, arm) in arms.enumerated() {
                var images = realImages, targets = realLabels
                if arm.generated > 0 {
                    let fakeLabels = Tensor((0..<(arm.generated * classes)).map { $0 % classes })
                    let source = arm.own ? ownGenerator! : generator
                    let fake = source.sample(count: fakeLabels.count, labels: fakeLabels, generator: RandomGenerator(seed: UInt64(2000 + seed)))
                    images = Tensor.concat([images, fake])
                    targets = Tensor.concat([targets, fakeLabels])
                }
                let data = TensorDataset(inputs: FashionMNIST.normalize(images), targets: targets)
                let start = ProgressBar.now()
                let accuracy = try trainFewLabelClassifier(data, test: test, budget: budget, seed: seed, augment: arm.augment)
                accuracies[armIndex].append(accuracy)
                print(
                    "seed \(seed) · \(arm.name) (\(data.count) images): test_accuracy=\(formatFixed(accuracy, 4)) in \(formatFixed(ProgressBar.now() - start, 1)) s"
                )
            }
        }
        var table = "| training set | images | test accuracy, mean ± std over \(seeds) seeds | per seed |\n|---|---|---|---|\n"
        var rows: [[String]] = []
        for (arm, values) in zip(arms, accuracies) {
            let mean = values.reduce(0, +) / Double(values.count)
            let spread = values.count > 1 ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
            let count = classes * (realPerClass + arm.generated)
            table +=
                "| \(arm.name) | \(count) | \(formatFixed(mean, 4)) ± \(formatFixed(spread, 4)) | \(values.map { formatFixed($0, 4) }.joined(separator: ", ")) |\n"
            rows.append([arm.name, "\(count)", "\(mean)", "\(spread)"] + values.map { "\($0)" })
        }
        print("\n" + table, terminator: "")
        try Array(table.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/results.md", [$0]) }
        let csv = CSV.format(header: ["arm", "images", "mean", "std"] + (0..<seeds).map { "seed_\($0)" }, rows: rows)
        try Array(csv.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/results.csv", [$0]) }
        // Mean accuracy against generated images per class: one line per generator, real-only
        // and crop/flip as flat references (the spread is in the table).
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        let xs = [0.0] + generatedCounts.map(Double.init)
        var series = [
            Plot.Series("real only", xs: [xs.first!, xs.last!], ys: [mean(accuracies[0]), mean(accuracies[0])]),
            Plot.Series("real + crop/flip", xs: [xs.first!, xs.last!], ys: [mean(accuracies[1]), mean(accuracies[1])]),
        ]
        for (own, label) in [(false, "+ cGAN of all labels"), (true, "+ cGAN of the subset")] where own == false || ownEpochs > 0 {
            let chosen = arms.indices.filter { arms[$0].generated > 0 && arms[$0].own == own }
            series.append(Plot.Series(label, xs: xs, ys: [mean(accuracies[0])] + chosen.map { mean(accuracies[$0]) }))
        }
        try Plot.write(
            [
                Plot.Chart(
                    title: "LeNet-5 with \(realPerClass) real images per class, mean of \(seeds) seeds",
                    xLabel: "generated images per class", yLabel: "test accuracy", series: series)
            ],
            to: "\(out)/augmentation.png")
        print("wrote \(out)/results.md, results.csv, augmentation.png")
    } catch {
        fail("experiment: \(error)")
    }
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
