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
    .init(name: "model", value: "NAME", help: "model to train: \(ModelZoo.names.joined(separator: ", "))"),
    .init(name: "dataset", value: "NAME", help: "dataset: fashion-mnist (default)"),
    .init(name: "data", value: "DIR", help: "folder holding the dataset files (default: Debian's location)"),
    .init(name: "epochs", value: "N", help: "epochs to train (default 5)"),
    .init(name: "batch-size", value: "B", help: "mini-batch size (default 64)"),
    .init(name: "optimizer", value: "NAME", help: "adam (default), adamw or sgd"),
    .init(name: "lr", value: "X", help: "learning rate (default: the model's Adam rate, 1e-3 or 3e-3 for lenet; 0.05 for sgd)"),
    .init(name: "seed", value: "S", help: "random seed (default 0)"),
    .init(name: "out", value: "DIR", help: "output folder (default runs/<model>)"),
    .init(name: "schedule", value: "NAME", help: "learning-rate schedule per epoch: cosine (default, to 0 at the last epoch) or constant"),
    .init(name: "clip-norm", value: "X", help: "clip the gradients' global norm"),
    .init(name: "augment", value: nil, help: "random crop (padding 2) and horizontal flip"),
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
    guard ModelZoo.names.contains(modelName) else {
        fail("train: unknown model '\(modelName)' (choose from \(ModelZoo.names.joined(separator: ", ")))")
    }
    _ = options.choice("dataset", from: ["fashion-mnist"], default: "fashion-mnist")
    let epochs = options.int("epochs", default: 5)
    let batchSize = options.int("batch-size", default: 64)
    let optimizerName = options.choice("optimizer", from: ["adam", "adamw", "sgd"], default: "adam")
    let lr = options.double("lr", default: optimizerName == "sgd" ? 0.05 : ModelZoo.defaultLearningRate(modelName))!
    let seed = options.int("seed", default: 0, minimum: 0)
    let out = options.string("out", default: "runs/\(modelName)")!
    let clipNorm = options.double("clip-norm")
    let schedule = options.choice("schedule", from: ["cosine", "constant"], default: "cosine")
    let checkpointPath = "\(out)/checkpoint.safetensors"
    if options.flag("resume") && access(checkpointPath, R_OK) != 0 {
        fail("train: --resume given but \(checkpointPath) does not exist")
    }

    installInterruptHandler()
    do {
        try makeDirectories(out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"), normalized: true)
        let test = try FashionMNIST.load(.test, directory: options.string("data"), normalized: true)
        Random.seed(UInt64(seed))
        let model = ModelZoo.make(modelName)!
        let parameters = model.parameters()
        let optimizer: Optimizer = switch optimizerName {
        case "sgd": SGD(parameters, lr: lr, momentum: 0.9)
        case "adamw": AdamW(parameters, lr: lr)
        default: Adam(parameters, lr: lr)
        }
        let augment: Transform? = options.flag("augment")
            ? Transforms.compose([Transforms.randomCrop(padding: 2), Transforms.horizontalFlip()]) : nil
        let trainLoader = DataLoader(train, batchSize: batchSize, shuffle: true, seed: UInt64(seed), transform: augment)
        let testLoader = DataLoader(test, batchSize: 1000)
        let trainer = Trainer(model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) },
                              callbacks: [ProgressBar(), TerminateOnNaN(locate: true), CSVLogger(path: "\(out)/metrics.csv"),
                                          try TensorBoardLogger(directory: "\(out)/tb"),
                                          ModelCheckpoint(path: "\(out)/best.safetensors", monitor: "val_accuracy", mode: .max)])
        trainer.clipNorm = clipNorm
        if schedule == "cosine" { trainer.scheduler = CosineAnnealingLR(optimizer, period: epochs) }
        trainer.checkpointPath = checkpointPath
        trainer.checkpointMetadata = ["model": modelName, "seed": "\(seed)", "optimizer": optimizerName]
        // A look at the data: a grid of the first training images, as PNG and in TensorBoard.
        let samples = train.inputs[..<32] * FashionMNIST.pixelStd + FashionMNIST.pixelMean
        try ImageGrid.write(samples, to: "\(out)/samples.png")
        if let board = trainer.callbacks.compactMap({ $0 as? TensorBoardLogger }).first {
            let grid = try ImageGrid.png(samples)
            try board.writer.image("samples/train", png: grid.bytes, width: grid.width, height: grid.height, channels: 3, step: 0)
        }
        if options.flag("resume") {
            try TrainingCheckpoint.restore(trainer, from: checkpointPath)
            print("resuming from epoch \(trainer.epoch + 1), batch \(trainer.batchIndex) of \(checkpointPath)")
        }
        interruptibleTrainer = trainer
        if interruptedEarly {
            print("interrupted before training started")
            quitAfterInterrupt()
        }
        let outcome = try trainer.fit(train: trainLoader, validation: testLoader, epochs: epochs)
        signal(SIGINT, SIG_DFL)
        if outcome == .interrupted {
            print("\ninterrupted: resumable checkpoint saved to \(checkpointPath); continue with --resume")
            quitAfterInterrupt()
        }
        if case .stopped(let reason) = outcome { print("stopped: \(reason)") }
        try SafeTensors.write(model.stateDict(), metadata: ["model": modelName], to: "\(out)/model.safetensors")
        try plotCurves(trainer.history, to: "\(out)/curves")
        let accuracy = trainer.evaluate(testLoader)["accuracy"] ?? 0
        print("wrote \(out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, samples.png, tb/")
        print("test_accuracy=\(formatFixed(accuracy, 4))")
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}

/// Loss and accuracy per epoch, training and test, as PNG and SVG.
func plotCurves(_ history: [[String: Double]], to stem: String) throws {
    let epochs = history.map { $0["epoch"] ?? 0 }
    func series(_ key: String, _ name: String) -> Plot.Series? {
        let values = history.map { $0[key] ?? .nan }
        return values.contains { !$0.isNaN } ? Plot.Series(name, xs: epochs, ys: values) : nil
    }
    let charts = [
        Plot.Chart(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy",
                   series: [series("loss", "train"), series("val_loss", "test")].compactMap { $0 }),
        Plot.Chart(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy",
                   series: [series("accuracy", "train"), series("val_accuracy", "test")].compactMap { $0 }),
    ]
    try Plot.write(charts, to: stem + ".png")
    try Plot.write(charts, to: stem + ".svg")
}

func formatFixed(_ value: Double, _ digits: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.\(digits)f", $0) }
    return String(cString: buffer)
}
