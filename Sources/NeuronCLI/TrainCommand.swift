import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// The trainer Ctrl-C interrupts, and whether Ctrl-C came before it existed (a signal
/// handler cannot capture context).
nonisolated(unsafe) var interruptibleTrainer: Trainer?
nonisolated(unsafe) var interruptedEarly = false

/// Ctrl-C asks the trainer to stop after the current batch; a second Ctrl-C quits at once.
func installInterruptHandler() {
    // A parent may have left SIGINT blocked; unblock it so Ctrl-C reaches the handler.
    var mask = sigset_t()
    sigemptyset(&mask)
    sigaddset(&mask, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    signal(SIGINT) { _ in
        interruptedEarly = true
        interruptibleTrainer?.requestInterrupt()
        signal(SIGINT, SIG_DFL)
    }
}

let trainSpecs: [Options.Spec] = [
    .init(name: "model", value: "NAME", help: "model to train: \((ModelZoo.names + ["char-lstm", "forecaster"]).joined(separator: ", "))"),
    .init(name: "dataset", value: "NAME", help: "dataset of the image models: fashion-mnist (default)"),
    .init(name: "data", value: "DIR", help: "folder holding the dataset files (default: Debian's location)"),
    .init(name: "epochs", value: "N", help: "epochs to train (default 5; lstm 3, char-lstm 4, forecaster 150)"),
    .init(name: "batch-size", value: "B", help: "mini-batch size (default 64; forecaster 32)"),
    .init(name: "optimizer", value: "NAME", help: "adam (default), adamw or sgd"),
    .init(name: "lr", value: "X", help: "learning rate (default: the model's Adam rate; 0.05 for sgd)"),
    .init(name: "seed", value: "S", help: "random seed (default 0)"),
    .init(name: "out", value: "DIR", help: "output folder (default runs/<model>)"),
    .init(name: "schedule", value: "NAME", help: "learning-rate schedule per epoch: cosine (default, to 0 at the last epoch) or constant"),
    .init(name: "clip-norm", value: "X", help: "clip the gradients' global norm (default 1 for char-lstm and forecaster)"),
    .init(name: "augment", value: nil, help: "image models: random crop (padding 2) and horizontal flip"),
    .init(name: "text", value: "FILE", help: "char-lstm: train on this text file instead of Debian's fortunes"),
    .init(name: "seq-len", value: "T", help: "char-lstm: characters per truncated-BPTT window (default 64)"),
    .init(name: "hidden", value: "H", help: "char-lstm / forecaster: LSTM hidden size (default 256 / 32)"),
    .init(name: "layers", value: "L", help: "char-lstm / forecaster: LSTM layers (default 2 / 1)"),
    .init(name: "csv", value: "FILE", help: "forecaster: a CSV file holding the series (default: statsmodels' yearly sunspots)"),
    .init(name: "column", value: "NAME", help: "forecaster: the CSV column of the series (default: the last column)"),
    .init(name: "window", value: "W", help: "forecaster: past values per forecast (default 24)"),
    .init(name: "season", value: "S", help: "forecaster: season length of the seasonal naive forecast (default 11)"),
    .init(name: "test-size", value: "N", help: "forecaster: held-out values at the end of the series (default 20 %)"),
    .init(name: "resume", value: nil, help: "continue from OUT/checkpoint.safetensors"),
]

/// Ends the process after Ctrl-C with status 130. Everything worth keeping is already on disk
/// (checkpoints are fsynced, logs flushed), so only standard output is flushed and the
/// libraries' exit-time destructors, which race with their idle worker threads, are skipped.
func quitAfterInterrupt() -> Never {
    fflush(stdout)
    _exit(130)
}

func runTrain(_ arguments: [String]) {
    let options = Options(command: "train", specs: trainSpecs, arguments: arguments)
    let modelName = options.required("model")
    switch modelName {
    case "char-lstm": trainLanguageModel(options)
    case "forecaster": trainForecaster(options)
    case _ where ModelZoo.names.contains(modelName): trainImageClassifier(options, modelName)
    default: fail("train: unknown model '\(modelName)' (choose from \((ModelZoo.names + ["char-lstm", "forecaster"]).joined(separator: ", ")))")
    }
}

/// The options every training run shares.
struct RunSettings {
    let model: String, out: String, epochs: Int, batchSize: Int, seed: Int
    let optimizer: String, lr: Double, clipNorm: Double?, cosine: Bool, resume: Bool

    init(_ options: Options, model: String, epochs: Int = 5, batchSize: Int = 64, lr: Double, clipNorm: Double? = nil) {
        self.model = model
        self.epochs = options.int("epochs", default: epochs)
        self.batchSize = options.int("batch-size", default: batchSize)
        optimizer = options.choice("optimizer", from: ["adam", "adamw", "sgd"], default: "adam")
        self.lr = options.double("lr", default: optimizer == "sgd" ? 0.05 : lr)!
        seed = options.int("seed", default: 0, minimum: 0)
        out = options.string("out", default: "runs/\(model)")!
        self.clipNorm = options.double("clip-norm", default: clipNorm)
        cosine = options.choice("schedule", from: ["cosine", "constant"], default: "cosine") == "cosine"
        resume = options.flag("resume")
        if resume && access(checkpointPath, R_OK) != 0 { fail("train: --resume given but \(checkpointPath) does not exist") }
    }

    var checkpointPath: String { "\(out)/checkpoint.safetensors" }
}

/// Trains `model` with the shared machinery (optimiser, schedule, clipping, progress bar,
/// CSV and TensorBoard logs, best and resumable checkpoints, Ctrl-C), then saves
/// OUT/model.safetensors with `metadata` and plots the curves. `prepare` runs before training
/// (sample images, extra logs). Exits 130 after Ctrl-C.
func runFit(_ settings: RunSettings, model: any Layer, loss: @escaping (Tensor, Tensor) -> Tensor, metrics: [Metric],
            monitor: (key: String, mode: MonitorMode), train: DataLoader, validation: DataLoader, metadata: [String: String],
            prepare: (Trainer) throws -> Void = { _ in }) throws -> (trainer: Trainer, outcome: FitOutcome) {
    let parameters = model.parameters()
    let optimizer: Optimizer = switch settings.optimizer {
    case "sgd": SGD(parameters, lr: settings.lr, momentum: 0.9)
    case "adamw": AdamW(parameters, lr: settings.lr)
    default: Adam(parameters, lr: settings.lr)
    }
    let out = settings.out
    let trainer = Trainer(model: model, optimizer: optimizer, loss: loss, metrics: metrics,
                          callbacks: [ProgressBar(), TerminateOnNaN(locate: true), CSVLogger(path: "\(out)/metrics.csv"),
                                      try TensorBoardLogger(directory: "\(out)/tb"),
                                      ModelCheckpoint(path: "\(out)/best.safetensors", monitor: monitor.key, mode: monitor.mode)])
    trainer.clipNorm = settings.clipNorm
    if settings.cosine { trainer.scheduler = CosineAnnealingLR(optimizer, period: settings.epochs) }
    trainer.checkpointPath = settings.checkpointPath
    trainer.checkpointMetadata = metadata.merging(["model": settings.model, "seed": "\(settings.seed)", "optimizer": settings.optimizer]) { a, _ in a }
    try prepare(trainer)
    if settings.resume {
        try TrainingCheckpoint.restore(trainer, from: settings.checkpointPath)
        print("resuming from epoch \(trainer.epoch + 1), batch \(trainer.batchIndex) of \(settings.checkpointPath)")
    }
    interruptibleTrainer = trainer
    if interruptedEarly {
        print("interrupted before training started")
        quitAfterInterrupt()
    }
    let outcome = try trainer.fit(train: train, validation: validation, epochs: settings.epochs)
    signal(SIGINT, SIG_DFL)
    if outcome == .interrupted {
        print("\ninterrupted: resumable checkpoint saved to \(settings.checkpointPath); continue with --resume")
        quitAfterInterrupt()
    }
    if case .stopped(let reason) = outcome { print("stopped: \(reason)") }
    try SafeTensors.write(model.stateDict(), metadata: trainer.checkpointMetadata, to: "\(out)/model.safetensors")
    try plotCurves(trainer.history, lossName: metadata["loss"] ?? "cross-entropy", to: "\(out)/curves")
    return (trainer, outcome)
}

/// LeNet, ResNet-20, the MLP or the row-wise LSTM on Fashion-MNIST.
func trainImageClassifier(_ options: Options, _ modelName: String) {
    _ = options.choice("dataset", from: ["fashion-mnist"], default: "fashion-mnist")
    let settings = RunSettings(options, model: modelName, epochs: modelName == "lstm" ? 3 : 5, lr: ModelZoo.defaultLearningRate(modelName))
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"), normalized: true)
        let test = try FashionMNIST.load(.test, directory: options.string("data"), normalized: true)
        Random.seed(UInt64(settings.seed))
        let model = ModelZoo.make(modelName)!
        let augment: Transform? = options.flag("augment")
            ? Transforms.compose([Transforms.randomCrop(padding: 2), Transforms.horizontalFlip()]) : nil
        let trainLoader = DataLoader(train, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed), transform: augment)
        let testLoader = DataLoader(test, batchSize: 1000)
        let (trainer, outcome) = try runFit(settings, model: model, loss: { crossEntropy($0, $1) }, metrics: [Accuracy()],
                                            monitor: ("val_accuracy", .max), train: trainLoader, validation: testLoader,
                                            metadata: [:]) { trainer in
            // A look at the data: a grid of the first training images, as PNG and in TensorBoard.
            let samples = train.inputs[..<32] * FashionMNIST.pixelStd + FashionMNIST.pixelMean
            try ImageGrid.write(samples, to: "\(settings.out)/samples.png")
            if let board = trainer.callbacks.compactMap({ $0 as? TensorBoardLogger }).first {
                let grid = try ImageGrid.png(samples)
                try board.writer.image("samples/train", png: grid.bytes, width: grid.width, height: grid.height, channels: 3, step: 0)
            }
        }
        let accuracy = trainer.evaluate(testLoader)["accuracy"] ?? 0
        print("wrote \(settings.out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, samples.png, tb/")
        print("test_accuracy=\(formatFixed(accuracy, 4))")
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}

/// Loss and each metric per epoch, training and validation, as PNG and SVG.
func plotCurves(_ history: [[String: Double]], lossName: String, to stem: String) throws {
    let epochs = history.map { $0["epoch"] ?? 0 }
    func series(_ key: String, _ name: String) -> Plot.Series? {
        let values = history.map { $0[key] ?? .nan }
        return values.contains { !$0.isNaN } ? Plot.Series(name, xs: epochs, ys: values) : nil
    }
    let metrics = ["accuracy", "bpc"].filter { key in history.contains { $0[key] != nil || $0["val_" + key] != nil } }
    let charts = [Plot.Chart(title: "Loss", xLabel: "epoch", yLabel: lossName,
                             series: [series("loss", "train"), series("val_loss", "validation")].compactMap { $0 })]
        + metrics.map { key in
            Plot.Chart(title: key == "bpc" ? "Bits per character" : "Accuracy", xLabel: "epoch", yLabel: key,
                       series: [series(key, "train"), series("val_" + key, "validation")].compactMap { $0 })
        }
    try Plot.write(charts, to: stem + ".png")
    try Plot.write(charts, to: stem + ".svg")
}

func formatFixed(_ value: Double, _ digits: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.\(digits)f", $0) }
    return String(cString: buffer)
}
