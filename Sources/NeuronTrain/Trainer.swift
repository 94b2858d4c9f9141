import Glibc
import Neuron
import NeuronData
import NeuronNN
import Synchronization

/// How `fit` ended.
public enum FitOutcome: Equatable, Sendable {
    /// Every epoch ran.
    case completed
    /// A callback asked to stop (early stopping, NaN loss), with its reason.
    case stopped(String)
    /// `requestInterrupt()` (Ctrl-C) stopped it between two batches; the state is resumable.
    case interrupted
}

/// A training loop built from public pieces: `trainStep`, `evaluate` and callbacks. `fit`
/// runs epochs with validation, metrics, clipping, a per-epoch schedule and callbacks; a
/// user's own loop can call the same pieces.
public final class Trainer {
    public let model: any Layer
    public let optimizer: Optimizer
    public let loss: (Tensor, Tensor) -> Tensor
    public var metrics: [Metric]
    public var callbacks: [Callback]
    /// Stepped once per epoch, after validation.
    public var scheduler: LRScheduler?
    /// Clip the gradients' global norm to this value before each update.
    public var clipNorm: Double?
    /// Where `fit` saves a resumable checkpoint after every epoch and on interruption.
    public var checkpointPath: String?
    /// Extra strings stored in each checkpoint (model name, options).
    public var checkpointMetadata: [String: String] = [:]

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

    var stopReason: String?
    let interrupt = Atomic<Bool>(false)

    public init(model: any Layer, optimizer: Optimizer, loss: @escaping (Tensor, Tensor) -> Tensor,
                metrics: [Metric] = [Accuracy()], callbacks: [Callback] = []) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.callbacks = callbacks
    }

    /// Asks `fit` to stop after the current epoch, with a reason.
    public func requestStop(_ reason: String) { stopReason = reason }

    /// Asks `fit` to stop after the current batch (safe to call from a signal handler's thread).
    public func requestInterrupt() { interrupt.store(true, ordering: .relaxed) }

    /// One optimisation step on a batch: forward, loss, backward, optional clipping, update.
    /// Returns the loss and the model's outputs (detached).
    @discardableResult
    public func trainStep(_ batch: Batch) -> (loss: Double, outputs: Tensor) {
        optimizer.zeroGrad()
        let outputs = model(batch.inputs)
        let value = loss(outputs, batch.targets)
        value.backward()
        if let clipNorm { clipGradNorm(optimizer.parameterGroups.flatMap { $0.parameters }, maxNorm: clipNorm) }
        optimizer.step()
        return (value.item(), outputs.detach())
    }

    /// Loss and metrics over a loader, in evaluation mode and without recording.
    public func evaluate(_ loader: DataLoader) -> [String: Double] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        for metric in metrics { metric.reset() }
        var total = 0.0, count = 0
        noGrad {
            for batch in loader.batches(epoch: 0) {
                let outputs = model(batch.inputs)
                total += loss(outputs, batch.targets).item() * Double(batch.targets.shape[0])
                count += batch.targets.shape[0]
                for metric in metrics { metric.update(outputs: outputs, targets: batch.targets) }
            }
        }
        var result = ["loss": total / Double(max(count, 1))]
        for metric in metrics { result[metric.name] = metric.value }
        return result
    }

    /// Trains until `epochs` epochs are complete (continuing from `epoch` after a restore).
    public func fit(train: DataLoader, validation: DataLoader? = nil, epochs: Int) throws -> FitOutcome {
        totalEpochs = epochs
        batchesPerEpoch = train.batchesPerEpoch
        stopReason = nil
        interrupt.store(false, ordering: .relaxed)
        for callback in callbacks { try callback.trainBegin(self) }
        defer { for callback in callbacks { try? callback.trainEnd(self) } }
        model.train()
        while epoch < epochs {
            for callback in callbacks { callback.epochBegin(self) }
            for metric in metrics { metric.reset() }
            var lossSum = 0.0, samples = 0
            let start = ProgressBar.now()
            for batch in train.batches(epoch: epoch, from: batchIndex) {
                let (value, outputs) = trainStep(batch)
                let size = batch.targets.shape[0]
                lossSum += value * Double(size)
                samples += size
                for metric in metrics { metric.update(outputs: outputs, targets: batch.targets) }
                batchIndex += 1
                globalStep += 1
                var logs = ["loss": value.isFinite ? lossSum / Double(samples) : value, "batch_size": Double(size)]
                for metric in metrics { logs[metric.name] = metric.value }
                for callback in callbacks { try callback.batchEnd(self, logs: logs) }
                if let stopReason { return .stopped(stopReason) }
                if interrupt.load(ordering: .relaxed) {
                    if let checkpointPath { try TrainingCheckpoint.save(self, to: checkpointPath, metadata: checkpointMetadata) }
                    return .interrupted
                }
            }
            let seconds = ProgressBar.now() - start
            var logs: [String: Double] = ["epoch": Double(epoch + 1), "loss": lossSum / Double(max(samples, 1)),
                                          "lr": optimizer.parameterGroups[0].learningRate, "seconds": seconds,
                                          "samples_per_s": Double(samples) / max(seconds, 1e-9)]
            for metric in metrics { logs[metric.name] = metric.value }
            if let validation {
                for (key, value) in evaluate(validation) { logs["val_" + key] = value }
            }
            history.append(logs)
            for callback in callbacks { try callback.epochEnd(self, logs: logs) }
            epoch += 1
            batchIndex = 0
            scheduler?.step()
            if let checkpointPath { try TrainingCheckpoint.save(self, to: checkpointPath, metadata: checkpointMetadata) }
            if let stopReason { return .stopped(stopReason) }
            if interrupt.load(ordering: .relaxed) { return .interrupted }
        }
        return .completed
    }
}
