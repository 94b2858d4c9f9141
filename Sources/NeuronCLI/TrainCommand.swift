import Glibc
import Neuron
import NeuronData
import NeuronDistributed
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

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

/// The value of `--model` among raw arguments, before the model's options are known.
func modelArgument(_ arguments: [String]) -> String? {
    for (i, argument) in arguments.enumerated() {
        if argument.hasPrefix("--model=") { return String(argument.dropFirst(8)) }
        if argument == "--model", i + 1 < arguments.count { return arguments[i + 1] }
    }
    return nil
}

/// `neuron train --model NAME …`: the model's registry entry picks its family's recipe; the
/// common options, the recipe's and the model's own are parsed once, then the recipe runs.
func runTrain(_ arguments: [String]) {
    let trainable = ModelRegistry.entries.filter { entry in taskRecipes.contains { $0.family == entry.family } }
    let allModels = trainable.map(\.name)
    guard let modelName = modelArgument(arguments) else {
        if arguments.contains("--help") || arguments.contains("-h") {
            let families = taskRecipes.map { recipe in
                "  \(recipe.family.rawValue) — \(recipe.summary):\n    \(trainable.filter { $0.family == recipe.family }.map(\.name).joined(separator: ", "))"
            }
            print(
                """
                usage: neuron train --model NAME [options]

                task families and their models:
                \(families.joined(separator: "\n"))

                Run `neuron train --model NAME --help` for that model's options.
                """)
            exit(0)
        }
        fail("train: missing required option '--model' (choose from \(allModels.joined(separator: ", ")))")
    }
    guard let entry = trainable.first(where: { $0.name == modelName }) else {
        fail("train: unknown model '\(modelName)' (choose from \(allModels.joined(separator: ", ")))")
    }
    let recipe = recipe(for: entry.family)
    // The common options (parsed once into `RunSettings`), the family's, the model's own.
    let modelSpec = Options.Spec(name: "model", value: "NAME", help: "model to train (see `neuron train --help`)")
    let specs = [modelSpec] + CommonOptions.training(entry.defaults) + recipe.specs + entry.options.map(\.spec)
    let options = Options(
        command: "train", specs: specs, arguments: arguments,
        elsewhere: misplacedOptionMessages(for: entry, accepted: Set(specs.map(\.name))),
        usage: "usage: neuron train --model \(modelName) [options]   (\(entry.family.rawValue): \(recipe.summary))")
    // The common options are checked first, then the model's own.
    let settings = RunSettings(options, entry: entry)
    var config = ModelConfig(model: entry.name)
    for option in entry.options { config.values[option.name] = option.value(in: options, command: "train") }
    Threads.startWarmUp()  // oneDNN's kernels get built while the data loads
    recipe.run(TrainRun(entry: entry, options: options, settings: settings, config: config))
}

/// Ends the process after Ctrl-C with status 130. Everything worth keeping is already on disk
/// (checkpoints are fsynced, logs flushed), so only standard output is flushed and the
/// libraries' exit-time destructors, which race with their idle worker threads, are skipped.
func quitAfterInterrupt() -> Never {
    fflush(stdout)
    _exit(130)
}

/// The options every training run shares.
struct RunSettings {
    let model: String, out: String, epochs: Int, batchSize: Int, seed: Int
    let optimizer: String, lr: Double, clipNorm: Double?, cosine: Bool, resume: Bool, detectAnomaly: Bool
    /// Data-parallel training under mpirun: overlap the gradient sums with backward, and
    /// batch-norm statistics over every process.
    let overlap: Bool, syncBatchNorm: Bool
    let stepsPerEpoch: Int?
    /// Where the model trains (`--device`), and whether its steps replay as recorded graphs.
    let device: Device
    let graphs: Bool

    /// The common options over the model's training defaults.
    init(_ options: Options, entry: ModelEntry) {
        let defaults = entry.defaults
        model = entry.name
        epochs = options.int("epochs", default: defaults.epochs)
        batchSize = options.int("batch-size", default: defaults.batchSize)
        optimizer = options.choice("optimizer", from: ["adam", "adamw", "sgd"], default: "adam")
        lr = options.double("lr", default: optimizer == "sgd" ? 0.05 : defaults.learningRate)!
        seed = CommonOptions.seed(options)
        out = CommonOptions.out(options, default: "runs/\(model)")
        clipNorm = options.double("clip-norm", default: defaults.clipNorm)
        cosine = options.choice("schedule", from: ["cosine", "constant"], default: defaults.schedule) == "cosine"
        resume = options.flag("resume")
        detectAnomaly = options.flag("detect-anomaly")
        stepsPerEpoch = CommonOptions.stepsPerEpoch(options)
        overlap = !options.flag("no-overlap")
        syncBatchNorm = options.flag("sync-batchnorm")
        device = CommonOptions.device(options, command: "train")
        graphs = !options.flag("no-graphs")
        if let job, job.size > 1, batchSize < job.size {
            fail("train: --batch-size \(batchSize) is the batch of all \(job.size) processes together; give at least \(job.size)")
        }
        if resume && access(checkpointPath, R_OK) != 0 { fail("train: --resume given but \(checkpointPath) does not exist") }
    }

    var checkpointPath: String { "\(out)/checkpoint.safetensors" }
}

/// Trains `model` with the shared machinery (optimiser, schedule, clipping, progress bar,
/// CSV and TensorBoard logs, best and resumable checkpoints, Ctrl-C), then saves
/// OUT/model.safetensors with `metadata` and plots the curves. `prepare` runs before training
/// (sample images, extra logs). Exits 130 after Ctrl-C.
func runFit(
    _ settings: RunSettings, model: any Layer, loss: @escaping (Tensor, Tensor) -> Tensor, metrics: [Metric],
    monitor: (key: String, mode: MonitorMode), train: DataLoader, validation: DataLoader, metadata: [String: String],
    prepare: (Trainer) throws -> Void = { _ in }
) throws -> (trainer: Trainer, outcome: FitOutcome) {
    let (optimizer, scheduler) = makeOptimizer(settings, model.parameters())
    let step = SupervisedStep(model: model, optimizer: optimizer, loss: loss, metrics: metrics, scheduler: scheduler)
    return try runFit(settings, step: step, monitor: monitor, train: train, validation: validation, metadata: metadata, prepare: prepare)
}

/// The optimiser `--optimizer` and `--lr` ask for, and the cosine schedule unless `--schedule constant`.
func makeOptimizer(_ settings: RunSettings, _ parameters: [Tensor]) -> (Optimizer, LRScheduler?) {
    let optimizer: Optimizer =
        switch settings.optimizer {
        case "sgd": SGD(parameters, lr: settings.lr, momentum: 0.9)
        case "adamw": AdamW(parameters, lr: settings.lr)
        default: Adam(parameters, lr: settings.lr)
        }
    return (optimizer, settings.cosine ? CosineAnnealingLR(optimizer, period: settings.epochs) : nil)
}

/// `runFit` for any training step.
/// `bestModel` names the step's model that `best.safetensors` holds (default: its first);
/// `plot` draws the curves (default: loss and metrics).
func runFit(
    _ settings: RunSettings, step: TrainingStep, monitor: (key: String, mode: MonitorMode), train: DataLoader,
    validation: DataLoader?, metadata: [String: String], bestModel: String? = nil,
    plot: (([[String: Double]]) throws -> Void)? = nil,
    prepare: (Trainer) throws -> Void = { _ in }
) throws -> (trainer: Trainer, outcome: FitOutcome) {
    let out = settings.out
    var callbacks: [Callback] = [
        ProgressBar(), CSVLogger(path: "\(out)/metrics.csv"), try TensorBoardLogger(directory: "\(out)/tb"),
        ModelCheckpoint(path: "\(out)/best.safetensors", monitor: monitor.key, mode: monitor.mode, model: bestModel),
    ]
    if let clipNorm = settings.clipNorm { callbacks.append(GradientClipping(maxNorm: clipNorm)) }
    for model in step.models { model.module.to(settings.device) }
    (step as? SupervisedStep)?.graphs.enabled = settings.graphs
    (step as? AdversarialStep)?.replays = settings.graphs
    let trainer = Trainer(step: step, callbacks: callbacks)
    var (train, validation) = (train, validation)
    let parallel = joinTraining(trainer, overlap: settings.overlap, syncBatchNorm: settings.syncBatchNorm)
    if parallel != nil {
        train = train.sharded(processShard)
        validation = validation?.sharded(processShard)
    }
    trainer.detectAnomaly = settings.detectAnomaly
    trainer.stepsPerEpoch = settings.stepsPerEpoch
    trainer.checkpointPath = settings.checkpointPath
    trainer.checkpointMetadata = metadata.merging(["model": settings.model, "seed": "\(settings.seed)", "optimizer": settings.optimizer]) { a, _ in a
    }
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
    try trainer.saveModels(to: out)
    if isMainProcess {
        if let plot {
            try plot(trainer.history)
        } else {
            try plotCurves(trainer.history, lossName: metadata["loss"] ?? "cross-entropy", to: "\(out)/curves")
        }
    }
    return (trainer, outcome)
}

/// Loss and each metric per epoch, training and validation, as PNG and SVG.
func plotCurves(_ history: [[String: Double]], lossName: String, to stem: String) throws {
    let epochs = history.map { $0["epoch"] ?? 0 }
    func series(_ key: String, _ name: String) -> Plot.Series? {
        let values = history.map { $0[key] ?? .nan }
        return values.contains { !$0.isNaN } ? Plot.Series(name, xs: epochs, ys: values) : nil
    }
    let metrics = ["accuracy", "bpc"].filter { key in history.contains { $0[key] != nil || $0["val_" + key] != nil } }
    let charts =
        [
            Plot.Chart(
                title: "Loss", xLabel: "epoch", yLabel: lossName,
                series: [series("loss", "train"), series("val_loss", "validation")].compactMap { $0 })
        ]
        + metrics.map { key in
            Plot.Chart(
                title: key == "bpc" ? "Bits per character" : "Accuracy", xLabel: "epoch", yLabel: key,
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
