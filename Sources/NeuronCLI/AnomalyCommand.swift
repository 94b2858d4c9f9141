import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

let anomalySpecs: [Options.Spec] = [
    .init(name: "model", value: "NAME", help: "conv-autoencoder (default), autoencoder, vae or conv-vae"),
    .init(name: "normal-class", value: "K", help: "the Fashion-MNIST class (0–9) the model learns as normal"),
    .init(name: "all-classes", value: nil, help: "run the ten one-class problems; write anomaly.csv with each AUROC and the mean"),
    .init(name: "epochs", value: "N", help: "epochs to train (default 10)"),
    .init(name: "batch-size", value: "B", help: "mini-batch size (default 64)"),
    .init(name: "lr", value: "X", help: "Adam learning rate (default 1e-3)"),
    .init(name: "seed", value: "S", help: "random seed (default 0)"),
    .init(name: "latent", value: "Z", help: "size of the codes (default 32)"),
    fashionDataSpec,
    .init(name: "out", value: "DIR", help: "output folder (default runs/anomaly)"),
]

/// `neuron anomaly`: one-class anomaly detection on Fashion-MNIST. An autoencoder trains on the
/// training images of one class; every test image is scored by its reconstruction error (the
/// negative ELBO for a VAE); a test image of another class counts as an anomaly.
func runAnomaly(_ arguments: [String]) {
    let options = Options(command: "anomaly", specs: anomalySpecs, arguments: arguments)
    let modelName = options.choice("model", from: ["conv-autoencoder", "autoencoder", "vae", "conv-vae"], default: "conv-autoencoder")
    let all = options.flag("all-classes")
    let epochs = options.int("epochs", default: 10), batchSize = options.int("batch-size", default: 64)
    let lr = options.double("lr", default: 1e-3)!, seed = options.int("seed", default: 0, minimum: 0)
    let latent = options.int("latent", default: 32)
    let out = options.string("out", default: "runs/anomaly")!
    var classes = Array(0..<10)
    if !all {
        guard let text = options.string("normal-class") else { fail("anomaly: give --normal-class K (0–9) or --all-classes") }
        guard let k = Int(text), (0..<10).contains(k) else { fail("anomaly: '--normal-class' must be a class from 0 to 9, got '\(text)'") }
        classes = [k]
    } else if options.string("normal-class") != nil {
        fail("anomaly: give either --normal-class or --all-classes")
    }
    do {
        try makeDirectories(out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"))
        let test = try FashionMNIST.load(.test, directory: options.string("data"))
        var rows: [[String]] = []
        for normal in classes {
            let folder = all ? "\(out)/class-\(normal)" : out
            try makeDirectories(folder)
            let auroc = try oneClassRun(
                modelName: modelName, normal: normal, train: train, test: test, epochs: epochs,
                batchSize: batchSize, lr: lr, seed: seed, latent: latent, folder: folder)
            print("normal class \(normal) (\(FashionMNIST.classNames[normal])): auroc=\(formatFixed(auroc, 4))")
            rows.append(["\(normal)", FashionMNIST.classNames[normal], formatFixed(auroc, 4)])
        }
        if all {
            let mean = rows.map { Double($0[2])! }.reduce(0, +) / Double(rows.count)
            rows.append(["mean", "", formatFixed(mean, 4)])
            let table = CSV.format(header: ["normal_class", "name", "auroc"], rows: rows)
            try Array(table.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/anomaly.csv", [$0]) }
            print("wrote \(out)/anomaly.csv and class-K/scores.npy, class-K/roc.png")
            print("mean_auroc=\(formatFixed(mean, 4))")
        } else {
            print("wrote \(out)/scores.npy, \(out)/roc.png")
            print("auroc=\(rows[0][2])")
        }
    } catch {
        fail("anomaly: \(error)")
    }
}

/// Trains on class `normal`, writes FOLDER/scores.npy (float32 [10000], test-file order) and
/// FOLDER/roc.png, returns the AUROC.
func oneClassRun(
    modelName: String, normal: Int, train: TensorDataset, test: TensorDataset, epochs: Int, batchSize: Int,
    lr: Double, seed: Int, latent: Int, folder: String
) throws -> Double {
    let labels = train.targets.toArray(Int.self)
    let rows = labels.indices.filter { labels[$0] == normal }
    let images = train.inputs.indexSelect(axis: 0, index: Tensor(rows))
    Random.seed(UInt64(seed))
    let model = try SavedModel.make(metadata: ["model": modelName, "latent": "\(latent)"])
    let optimizer = Adam(model.parameters(), lr: lr)
    let schedule = CosineAnnealingLR(optimizer, period: epochs)
    let variational = model as? any VariationalAutoencoderModel
    let step: TrainingStep =
        variational.map {
            VariationalAutoencoderStep(model: $0, optimizer: optimizer, scheduler: schedule, noise: RandomGenerator(seed: UInt64(seed) &+ 17))
        } ?? SupervisedStep(model: model, optimizer: optimizer, loss: { mseLoss($0, $1) }, metrics: [], scheduler: schedule)
    let trainer = Trainer(step: step, callbacks: [ProgressBar()])
    _ = try trainer.fit(
        train: DataLoader(
            TensorDataset(inputs: images, targets: images), batchSize: batchSize, shuffle: true,
            seed: UInt64(seed)), epochs: epochs)
    model.eval()
    // Per-image scores: mean squared reconstruction error, or the negative ELBO of a VAE
    // (one fixed draw per image).
    let noise = RandomGenerator(seed: 5)
    var scores: [Tensor] = []
    noGrad {
        for start in stride(from: 0, to: test.count, by: 1000) {
            let x = test.inputs.narrowed(axis: 0, start: start, length: min(1000, test.count - start))
            if let variational {
                scores.append(-variational.elbo(x, noise: Tensor.normal([x.shape[0], variational.latentSize], generator: noise)).elbo)
            } else {
                scores.append((model(x) - x).square().reshaped([x.shape[0], -1]).mean(axis: 1))
            }
        }
    }
    let scoreTensor = Tensor.concat(scores).to(.float32)
    try NPY.write(scoreTensor, to: "\(folder)/scores.npy")
    let values = scoreTensor.toArray(Double.self)
    let anomalous = test.targets.toArray(Int.self).map { $0 != normal }
    guard let auroc = areaUnderROC(scores: values, anomalous: anomalous) else { throw DataError("no test image of class \(normal)") }
    let curve = rocCurve(scores: values, anomalous: anomalous)
    let chart = Plot.Chart(
        title: "ROC, normal class \(normal) (\(FashionMNIST.classNames[normal])), AUROC \(formatFixed(auroc, 4))",
        xLabel: "false-positive rate", yLabel: "true-positive rate",
        series: [
            Plot.Series(modelName, xs: curve.map { $0.falsePositiveRate }, ys: curve.map { $0.truePositiveRate }),
            Plot.Series("chance", xs: [0, 1], ys: [0, 1]),
        ])
    try Plot.write([chart], to: "\(folder)/roc.png")
    return auroc
}
