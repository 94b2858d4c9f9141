import Glibc
import Neuron
import NeuronData
import NeuronNN
import Synchronization

/// How `fit` ended.
public enum FitOutcome: Equatable, Sendable {
    /// Every epoch ran.
    case completed
    /// A callback asked to stop (early stopping), or a loss was not finite, with the reason.
    case stopped(String)
    /// `requestInterrupt()` (Ctrl-C) stopped it between two batches; the state is resumable.
    case interrupted
}

/// The training loop: epochs of batches through a `TrainingStep`, figures averaged per epoch,
/// validation, schedules, callbacks (progress bar, logs, checkpoints, clipping), resumable
/// checkpoints, Ctrl-C, and a cheap guard against non-finite losses on every step.
public final class Trainer {
    /// What happens to each batch.
    public let step: TrainingStep
    public var callbacks: [Callback]
    /// Writes the resumable checkpoint and the model files.
    public var writer = CheckpointWriter()
    /// Where `fit` saves a resumable checkpoint after every epoch and on interruption.
    public var checkpointPath: String? {
        get { writer.path }
        set { writer.path = newValue }
    }
    /// Extra strings stored in each checkpoint and model file (model name, options).
    public var checkpointMetadata: [String: String] {
        get { writer.metadata }
        set { writer.metadata = newValue }
    }
    /// Whether this process writes files and prints progress. Data-parallel training runs one
    /// trainer per process and sets it on one of them only; callbacks whose
    /// `mainProcessOnly` is true and checkpoint saving are skipped elsewhere.
    public var isMainProcess = true
    /// The gradient synchronisation of a data-parallel run (NeuronDistributed's
    /// `DataParallelTraining`); nil in a single process. Setting it makes process 0 the main
    /// one; figures, validation, stops and checkpoints then agree over the processes.
    public var parallel: GradientSynchronization? {
        didSet { isMainProcess = (parallel?.group.rank ?? 0) == 0 }
    }
    /// Checks every recorded op for non-finite outputs on every step (PyTorch's
    /// `detect_anomaly`; slow). Off, a step whose loss is not finite is re-run once with the
    /// check on to name the op, and training stops.
    public var detectAnomaly = false

    /// At most this many batches per epoch (Keras' `steps_per_epoch`); nil: the whole loader.
    public var stepsPerEpoch: Int?

    /// Epochs completed so far.
    public internal(set) var epoch = 0
    /// Batches completed in the current epoch.
    public internal(set) var batchIndex = 0
    /// Batches completed since training began.
    public internal(set) var globalStep = 0
    /// One dictionary of figures per completed epoch ("epoch", "loss", "val_accuracy", …).
    public internal(set) var history: [[String: Double]] = []
    public internal(set) var totalEpochs = 0
    public internal(set) var batchesPerEpoch = 0

    /// The current epoch's running sums of figure × batch size, and of the batch sizes of the
    /// batches that reported each figure (a GAN's generator loss comes every k-th batch).
    var figureSums: [String: Double] = [:]
    var figureWeights: [String: Double] = [:]
    var stopReason: String?
    let interrupt = Atomic<Bool>(false)
    /// Set by `backward` when a loss was not finite; later updates of that step are skipped.
    var nonFiniteLoss: Double?
    var updatesDisabled = false

    public init(step: TrainingStep, callbacks: [Callback] = []) {
        self.step = step
        self.callbacks = callbacks
    }

    /// Supervised training of one model (a `SupervisedStep`).
    public convenience init(
        model: any Layer, optimizer: Optimizer, loss: @escaping (Tensor, Tensor) -> Tensor,
        metrics: [Metric] = [Accuracy()], scheduler: LRScheduler? = nil, callbacks: [Callback] = []
    ) {
        self.init(
            step: SupervisedStep(model: model, optimizer: optimizer, loss: loss, metrics: metrics, scheduler: scheduler),
            callbacks: callbacks)
    }

    /// The step's first model (the only one of a supervised run).
    public var model: Module { step.models[0].module }

    /// The model named `name`; stops with the step's model names when there is none.
    public func model(_ name: String) -> Module {
        guard let found = step.models.first(where: { $0.name == name }) else {
            preconditionFailure("Trainer: no model '\(name)' (models: \(step.models.map { $0.name }.joined(separator: ", ")))")
        }
        return found.module
    }

    /// Asks `fit` to stop after the current batch's callbacks, with a reason.
    public func requestStop(_ reason: String) { stopReason = reason }

    /// Asks `fit` to stop after the current batch (safe to call from a signal handler's thread).
    public func requestInterrupt() { interrupt.store(true, ordering: .relaxed) }

    var activeCallbacks: [Callback] { isMainProcess ? callbacks : callbacks.filter { !$0.mainProcessOnly } }

    /// Back-propagates a step's loss, runs the after-backward hooks and returns the loss's
    /// value. A loss that is not finite is not back-propagated: it is noted, the step's
    /// remaining updates are skipped, and the loop stops after the step.
    @discardableResult
    public func backward(_ loss: Tensor, retainGraph: Bool = false) -> Double {
        let value = loss.item()
        guard value.isFinite else {
            if nonFiniteLoss == nil { nonFiniteLoss = value }
            return value
        }
        loss.backward(retainGraph: retainGraph)
        for callback in activeCallbacks { callback.afterBackward(self) }
        return value
    }

    /// What `backward` does after back-propagating, for a step whose backward already ran (a
    /// replayed `StepGraph`): returns the loss's value, notes it when it is not finite (the
    /// step's update is then skipped) and otherwise runs the after-backward hooks.
    @discardableResult
    public func backwardReplayed(_ loss: Tensor) -> Double {
        let value = loss.item()
        guard value.isFinite else {
            if nonFiniteLoss == nil { nonFiniteLoss = value }
            return value
        }
        for callback in activeCallbacks { callback.afterBackward(self) }
        return value
    }

    /// Runs the before-step hooks for `optimizer`'s parameters (clipping, gradient all-reduce),
    /// then `optimizer.step()`; skipped once a loss of this step was not finite. Returns
    /// whether the update ran.
    @discardableResult
    public func update(_ optimizer: Optimizer) -> Bool {
        guard !updatesDisabled else { return false }
        if let parallel {
            // Every process takes part in every reduction, so that none waits for another; a
            // loss that was not finite anywhere skips the update everywhere.
            parallel.synchronize(optimizer)
            if parallel.group.any(nonFiniteLoss != nil) && nonFiniteLoss == nil { nonFiniteLoss = .nan }
        }
        guard nonFiniteLoss == nil else { return false }
        for callback in activeCallbacks { callback.beforeOptimizerStep(self, optimizer: optimizer) }
        optimizer.step()
        return true
    }

    /// The step's validation figures averaged over a loader (weighted by batch size), with
    /// every model in evaluation mode and nothing recorded.
    public func evaluate(_ loader: DataLoader) throws -> [String: Double] {
        let models = step.models.map { $0.module }
        let modes = models.map { $0.isTraining }
        for model in models { model.eval() }
        defer { for (model, mode) in zip(models, modes) { model.train(mode) } }
        parallel?.stepBegins(share: 0)
        loader.device = models.first?.device ?? .cpu
        var sums: [String: Double] = [:], weight = 0.0
        try noGrad {
            for batch in loader.batches(epoch: 0) {
                let size = Double(batch.countedSize)
                for (key, value) in try step.validate(batch, trainer: self) { sums[key, default: 0] += value * size }
                weight += size
            }
        }
        if let group = parallel?.group { (sums, weight) = Self.summed(sums, weight, over: group) }
        return sums.mapValues { $0 / max(weight, 1) }
    }

    /// Figure sums and a weight, summed over the processes (every process holds the same keys).
    static func summed(_ sums: [String: Double], _ weight: Double, over group: ProcessGroup) -> ([String: Double], Double) {
        let keys = sums.keys.sorted()
        let total = group.sum(keys.map { sums[$0]! } + [weight])
        return (Dictionary(uniqueKeysWithValues: zip(keys, total)), total[keys.count])
    }

    /// The epoch's figure sums and weights over every process.
    func epochFigureSums() -> (sums: [String: Double], weights: [String: Double]) {
        guard let group = parallel?.group else { return (figureSums, figureWeights) }
        let keys = figureSums.keys.sorted()
        let total = group.sum(keys.map { figureSums[$0]! } + keys.map { figureWeights[$0] ?? 0 })
        return (
            Dictionary(uniqueKeysWithValues: zip(keys, total)),
            Dictionary(uniqueKeysWithValues: zip(keys, total[keys.count...]))
        )
    }

    /// The current epoch's figures so far (running means).
    public var runningFigures: [String: Double] { Self.means(figureSums, figureWeights) }

    static func means(_ sums: [String: Double], _ weights: [String: Double]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: sums.map { key, sum in (key, sum / max(weights[key] ?? 0, 1)) })
    }

    /// Every random generator the run draws from, by checkpoint name: the default one, the
    /// step's, and the models' own (dropout's), each once.
    public func namedGenerators() -> [(String, RandomGenerator)] {
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(Random.generator)]
        var result: [(String, RandomGenerator)] = [("default", Random.generator)]
        let candidates =
            step.generators.map { ($0.name, $0.generator) }
            + step.models.flatMap { model in model.module.namedGenerators().map { ("\(model.name).\($0.0)", $0.1) } }
        for (name, generator) in candidates where seen.insert(ObjectIdentifier(generator)).inserted {
            result.append((name, generator))
        }
        return result
    }

    /// Trains until `epochs` epochs are complete (continuing from `epoch` after a restore).
    public func fit(train: DataLoader, validation: DataLoader? = nil, epochs: Int) throws -> FitOutcome {
        totalEpochs = epochs
        batchesPerEpoch = min(train.batchesPerEpoch, stepsPerEpoch ?? .max)
        stopReason = nil
        interrupt.store(false, ordering: .relaxed)
        let callbacks = activeCallbacks
        for callback in callbacks { try callback.trainBegin(self) }
        defer { for callback in callbacks { try? callback.trainEnd(self) } }
        let generators = namedGenerators().map { $0.1 }
        let replay = NonFiniteReplay(generators: generators)
        let schedules = step.schedulers
        let previousLocator = NonFiniteLocator.isEnabled
        if detectAnomaly {
            NonFiniteLocator.reset()
            NonFiniteLocator.isEnabled = true
        }
        defer { NonFiniteLocator.isEnabled = previousLocator }
        for model in step.models { model.module.train() }
        train.device = model.device
        while epoch < epochs {
            for callback in callbacks { callback.epochBegin(self) }
            if batchIndex == 0 { (figureSums, figureWeights) = ([:], [:]) }
            let start = ProgressBar.now()
            var samples = 0
            for batch in train.batches(epoch: epoch, from: batchIndex).prefix(max(batchesPerEpoch - batchIndex, 0)) {
                let states = generators.map { $0.stateWords }
                nonFiniteLoss = nil
                parallel?.stepBegins(share: batch.share)
                let figures = try step.train(batch, trainer: self)
                let bad = nonFiniteLoss ?? figures["loss"].flatMap({ $0.isFinite ? nil : $0 })
                if let parallel {
                    if parallel.group.any(bad != nil) {
                        return .stopped(try agreedReason(bad, parallel: parallel, replay: replay, batch: batch, states: states))
                    }
                } else if let bad {
                    return .stopped(try replay.reason(bad, trainer: self, batch: batch, states: states))
                }
                let size = batch.countedSize
                for (key, value) in figures {
                    figureSums[key, default: 0] += value * Double(size)
                    figureWeights[key, default: 0] += Double(size)
                }
                samples += size
                for schedule in schedules where schedule.interval == .batch { schedule.scheduler.step() }
                batchIndex += 1
                globalStep += 1
                var logs = runningFigures
                logs["batch_size"] = Double(batch.stepSize)
                for callback in callbacks { try callback.batchEnd(self, logs: logs) }
                if let group = parallel?.group {
                    // One process's stop or Ctrl-C stops all of them after the same batch.
                    let flags = group.maximum([stopReason == nil ? 0 : 1, interrupt.load(ordering: .relaxed) ? 1 : 0])
                    if flags[0] > 0 && stopReason == nil { stopReason = "stopped by another process" }
                    if flags[1] > 0 { interrupt.store(true, ordering: .relaxed) }
                }
                if let stopReason { return .stopped(stopReason) }
                if interrupt.load(ordering: .relaxed) {
                    try saveCheckpoint()
                    return .interrupted
                }
            }
            let seconds = ProgressBar.now() - start
            let (sums, weights) = epochFigureSums()
            var logs = Self.means(sums, weights)
            logs["epoch"] = Double(epoch + 1)
            logs["seconds"] = seconds
            let allSamples = parallel?.group.sum([Double(samples)])[0] ?? Double(samples)
            logs["samples_per_s"] = allSamples / max(seconds, 1e-9)
            let optimizers = step.optimizers
            for (name, optimizer) in optimizers {
                logs[optimizers.count == 1 ? "lr" : "lr_\(name)"] = optimizer.parameterGroups[0].learningRate
            }
            if let validation {
                for (key, value) in try evaluate(validation) { logs["val_" + key] = value }
            }
            logs.merge(try step.epochEnd(trainer: self)) { _, new in new }
            history.append(logs)
            for callback in callbacks { try callback.epochEnd(self, logs: logs) }
            epoch += 1
            batchIndex = 0
            (figureSums, figureWeights) = ([:], [:])
            for schedule in schedules where schedule.interval == .epoch { schedule.scheduler.step() }
            try saveCheckpoint()
            if let stopReason { return .stopped(stopReason) }
            if interrupt.load(ordering: .relaxed) { return .interrupted }
        }
        return .completed
    }

    func saveCheckpoint() throws {
        guard writer.path != nil else { return }
        guard let group = parallel?.group else {
            if isMainProcess { try writer.saveCheckpoint(of: self) }
            return
        }
        // Process 0 writes the figures of all processes and every process's random streams.
        let streams = group.allGather(namedGenerators().flatMap { $0.1.stateWords })
        let (sums, weights) = epochFigureSums()
        if isMainProcess { try writer.saveCheckpoint(of: self, figures: (sums, weights), processStreams: streams) }
    }

    /// The reason to stop after a step whose loss was not finite on some process: each such
    /// process replays its step alone to name the op, and the first one's reason is shared.
    func agreedReason(
        _ bad: Double?, parallel: GradientSynchronization, replay: NonFiniteReplay, batch: Batch, states: [[UInt64]]
    ) throws -> String {
        parallel.isPaused = true
        let local = try bad.map { try replay.reason($0, trainer: self, batch: batch, states: states) }
        parallel.isPaused = false
        let group = parallel.group
        let first = -Int(group.maximum([local == nil ? -Double(group.size) : -Double(group.rank)])[0])
        return "process \(first): " + group.broadcast(local ?? "", from: first)
    }

    /// Writes every model to `<directory>/<name>.safetensors` in PyTorch's state-dict names,
    /// atomically, with the checkpoint metadata (and the model's name when there are several).
    /// Returns the paths written.
    @discardableResult
    public func saveModels(to directory: String) throws -> [String] {
        isMainProcess ? try writer.saveModels(of: step, to: directory) : []
    }
}
