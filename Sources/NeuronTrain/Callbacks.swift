import Neuron
import NeuronData
import NeuronNN
import NeuronViz

/// Hooks into `Trainer.fit`. Every method has an empty default.
public protocol Callback: AnyObject {
    func trainBegin(_ trainer: Trainer) throws
    func epochBegin(_ trainer: Trainer)
    /// After each `trainer.backward(loss)` of a step: the gradients are complete.
    func afterBackward(_ trainer: Trainer)
    /// Before `optimizer` updates its parameters (clipping; a gradient all-reduce).
    func beforeOptimizerStep(_ trainer: Trainer, optimizer: Optimizer)
    /// After each training batch; `logs` holds the running means of the step's figures
    /// ("loss", metrics) and "batch_size".
    func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws
    /// After each epoch's validation; `logs` holds every epoch figure.
    func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws
    func trainEnd(_ trainer: Trainer) throws
    /// True for callbacks that write files or print: they run only where
    /// `trainer.isMainProcess` (one process of a data-parallel run).
    var mainProcessOnly: Bool { get }
}

extension Callback {
    public func trainBegin(_ trainer: Trainer) throws {}
    public func epochBegin(_ trainer: Trainer) {}
    public func afterBackward(_ trainer: Trainer) {}
    public func beforeOptimizerStep(_ trainer: Trainer, optimizer: Optimizer) {}
    public func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {}
    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {}
    public func trainEnd(_ trainer: Trainer) throws {}
    public var mainProcessOnly: Bool { false }
}

/// Clips the gradients of each optimiser's parameters to a global norm before its update
/// (PyTorch's `clip_grad_norm_` between `backward()` and `step()`).
public final class GradientClipping: Callback {
    public let maxNorm: Double
    /// The norm before clipping at the last update.
    public private(set) var lastNorm = 0.0

    public init(maxNorm: Double) {
        precondition(maxNorm > 0, "GradientClipping: maxNorm must be positive, got \(maxNorm)")
        self.maxNorm = maxNorm
    }

    public func beforeOptimizerStep(_ trainer: Trainer, optimizer: Optimizer) {
        lastNorm = clipGradNorm(optimizer.parameterGroups.flatMap { $0.parameters }, maxNorm: maxNorm)
    }
}

/// Whether a smaller or a larger value of a monitored figure is better.
public enum MonitorMode: Sendable {
    case min, max

    func improves(_ value: Double, on best: Double?, by delta: Double = 0) -> Bool {
        guard let best else { return value.isFinite }
        return self == .min ? value < best - delta : value > best + delta
    }
}

/// Saves a model's weights (safetensors) whenever the monitored figure improves, with the
/// trainer's checkpoint metadata (model name, vocabulary, …) so the file can be loaded alone.
public final class ModelCheckpoint: Callback {
    public let path: String, monitor: String, mode: MonitorMode
    /// The step's model to save; nil for its first.
    public let model: String?
    public private(set) var best: Double?
    public var mainProcessOnly: Bool { true }

    public init(path: String, monitor: String = "val_loss", mode: MonitorMode = .min, model: String? = nil) {
        self.path = path
        self.monitor = monitor
        self.mode = mode
        self.model = model
    }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        guard let value = logs[monitor], mode.improves(value, on: best) else { return }
        best = value
        let metadata = trainer.checkpointMetadata.merging(["epoch": "\(trainer.epoch)", monitor: "\(value)"]) { _, new in new }
        try SafeTensors.write((model.map(trainer.model) ?? trainer.model).stateDict(), metadata: metadata, to: path)
    }
}

/// Stops training once the monitored figure has not improved by `minDelta` for `patience` epochs.
public final class EarlyStopping: Callback {
    public let monitor: String, patience: Int, minDelta: Double, mode: MonitorMode
    public private(set) var best: Double?
    public private(set) var waited = 0

    public init(monitor: String = "val_loss", patience: Int = 3, minDelta: Double = 0, mode: MonitorMode = .min) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
        self.mode = mode
    }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        guard let value = logs[monitor] else { return }
        if mode.improves(value, on: best, by: minDelta) {
            best = value
            waited = 0
        } else {
            waited += 1
            if waited >= patience { trainer.requestStop("early stopping: \(monitor) has not improved for \(patience) epochs") }
        }
    }
}

/// Feeds an epoch figure to a `ReduceLROnPlateau` schedule.
public final class ReduceLROnPlateauCallback: Callback {
    public let schedule: ReduceLROnPlateau, monitor: String

    public init(_ schedule: ReduceLROnPlateau, monitor: String = "val_loss") {
        self.schedule = schedule
        self.monitor = monitor
    }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        if let value = logs[monitor] { schedule.step(metric: value) }
    }
}

/// Writes every epoch's figures to a CSV file (epoch first), rewritten atomically each epoch
/// from the trainer's history, so a resumed run keeps the earlier rows.
public final class CSVLogger: Callback {
    public let path: String
    public var mainProcessOnly: Bool { true }

    public init(path: String) { self.path = path }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        let keys = trainer.history.flatMap { $0.keys }.reduce(into: [String]()) { if !$0.contains($1) && $1 != "epoch" { $0.append($1) } }
        let columns = ["epoch"] + keys.sorted()
        let rows = trainer.history.map { row in
            columns.map { key in row[key].map { $0 == $0.rounded() && key == "epoch" ? String(Int($0)) : "\($0)" } ?? "" }
        }
        let text = CSV.format(header: columns, rows: rows)
        try Array(text.utf8).withUnsafeBytes { try writeFileAtomically(path, [$0]) }
    }
}

/// Logs epoch figures (and the training loss every `every` steps) to TensorBoard.
public final class TensorBoardLogger: Callback {
    public let writer: TensorBoardWriter
    public let every: Int
    public var mainProcessOnly: Bool { true }

    public init(directory: String, every: Int = 50) throws {
        writer = try TensorBoardWriter(directory: directory)
        self.every = every
    }

    public func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        if trainer.globalStep % every == 0 {
            for (key, value) in logs.sorted(by: { $0.key < $1.key }) where key != "batch_size" {
                try writer.scalar("batch/\(key)", value, step: trainer.globalStep)
            }
        }
    }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        for (key, value) in logs.sorted(by: { $0.key < $1.key }) where key != "epoch" {
            let tag = key.hasPrefix("val_") ? "\(key.dropFirst(4))/validation" : "\(key)/train"
            try writer.scalar(tag, value, step: trainer.epoch + 1)
        }
        writer.flush()
    }
}

/// After every epoch, draws an image grid from `render` (samples from fixed noise,
/// reconstructions of fixed images) to `path` and, when given, to TensorBoard under `tag`
/// at the epoch's step.
public final class EpochImages: Callback {
    public let path: String, tag: String
    public let board: TensorBoardLogger?
    public let columns: Int
    let render: (Trainer) -> Tensor
    public var mainProcessOnly: Bool { true }

    /// `render` returns images [N, C, H, W] in [0, 1].
    public init(path: String, tag: String, board: TensorBoardLogger? = nil, columns: Int = 8, render: @escaping (Trainer) -> Tensor) {
        (self.path, self.tag, self.board, self.columns, self.render) = (path, tag, board, columns, render)
    }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        let models = trainer.step.models.map { $0.module }
        let modes = models.map { $0.isTraining }
        for model in models { model.eval() }
        defer { for (model, mode) in zip(models, modes) { model.train(mode) } }
        let images = noGrad { render(trainer) }
        try ImageGrid.write(images, to: path, columns: columns)
        if let board {
            let png = try ImageGrid.png(images, columns: columns)
            try board.writer.image(tag, png: png.bytes, width: png.width, height: png.height, channels: 3, step: trainer.epoch + 1)
            board.writer.flush()
        }
    }
}
