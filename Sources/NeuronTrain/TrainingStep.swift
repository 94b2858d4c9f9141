import Neuron
import NeuronData
import NeuronNN

/// When the training loop steps a learning-rate schedule.
public enum ScheduleInterval: Sendable {
    /// After every epoch's validation (cosine over epochs, step decay).
    case epoch
    /// After every training batch (one-cycle, warm-up).
    case batch
}

/// What happens to one batch, supplied by the task (Keras' `train_step`, Lightning's
/// `training_step`); `Trainer` owns everything around it: epochs, batches, progress bar,
/// callbacks, validation, checkpoints, Ctrl-C and resume.
///
/// A step names the models, optimisers, schedules and random generators it uses, so that a
/// training checkpoint holds all of them and a resumed run continues bit for bit. `train`
/// returns named figures for the batch ("loss", "accuracy", "d_loss", "d_real", …); the loop
/// averages them over the epoch, weighted by the batch size, and passes them to the progress
/// bar, `metrics.csv` and TensorBoard. Gradients go through `trainer.backward(_:)` and updates
/// through `trainer.update(_:)`, which run the hooks (clipping, gradient all-reduce) and skip
/// the update after a non-finite loss.
public protocol TrainingStep: AnyObject {
    /// The models by name; each is saved as `<name>.safetensors` ("model", "generator", …).
    var models: [(name: String, module: Module)] { get }
    /// The optimisers by name; the loop logs each one's learning rate.
    var optimizers: [(name: String, optimizer: Optimizer)] { get }
    /// Schedules by name, stepped by the loop at their interval.
    var schedulers: [(name: String, scheduler: LRScheduler, interval: ScheduleInterval)] { get }
    /// Random generators the step draws from itself (noise for a generator), by name. The
    /// default generator and the models' own generators are saved without being listed.
    var generators: [(name: String, generator: RandomGenerator)] { get }
    /// Trains on one batch and returns its figures.
    func train(_ batch: Batch, trainer: Trainer) throws -> [String: Double]
    /// Figures of one validation batch (models in evaluation mode, nothing recorded); the loop
    /// averages them and logs them with a "val_" prefix.
    func validate(_ batch: Batch, trainer: Trainer) throws -> [String: Double]
    /// Figures computed once per epoch after validation (a sample grid, a Fréchet distance).
    func epochEnd(trainer: Trainer) throws -> [String: Double]
}

extension TrainingStep {
    public var schedulers: [(name: String, scheduler: LRScheduler, interval: ScheduleInterval)] { [] }
    public var generators: [(name: String, generator: RandomGenerator)] { [] }
    public func validate(_ batch: Batch, trainer: Trainer) throws -> [String: Double] { [:] }
    public func epochEnd(trainer: Trainer) throws -> [String: Double] { [:] }
}

/// Supervised learning: one model maps `batch.inputs` to outputs scored by `loss` against
/// `batch.targets`, one optimiser, optional schedule; figures "loss" and each metric's name.
public final class SupervisedStep: TrainingStep {
    public let model: any Layer
    public let optimizer: Optimizer
    public let loss: (Tensor, Tensor) -> Tensor
    public var metrics: [Metric]
    /// Stepped once per epoch, after validation (or per batch, with `scheduleInterval`).
    public var scheduler: LRScheduler?
    public var scheduleInterval = ScheduleInterval.epoch
    /// On a CUDA device, forward and backward replay as a CUDA graph once batch shapes repeat
    /// (`graphs.enabled = false` runs every step op by op).
    public let graphs = StepGraph()

    public init(
        model: any Layer, optimizer: Optimizer, loss: @escaping (Tensor, Tensor) -> Tensor,
        metrics: [Metric] = [Accuracy()], scheduler: LRScheduler? = nil
    ) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.scheduler = scheduler
    }

    public var models: [(name: String, module: Module)] { [("model", model)] }
    public var optimizers: [(name: String, optimizer: Optimizer)] { [("optimizer", optimizer)] }
    public var schedulers: [(name: String, scheduler: LRScheduler, interval: ScheduleInterval)] {
        scheduler.map { [("scheduler", $0, scheduleInterval)] } ?? []
    }

    public func train(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        if let replayed = graphs.run(
            batch, parameters: model.parameters(), zeroGrad: optimizer.zeroGrad,
            { b in
                let outputs = model(b.inputs)
                return (loss(outputs, b.targets), outputs)
            })
        {
            let value = trainer.backwardReplayed(replayed.loss)
            trainer.update(optimizer)
            return figures(loss: value, outputs: replayed.outputs, targets: batch.targets)
        }
        optimizer.zeroGrad()
        let outputs = model(batch.inputs)
        let value = trainer.backward(loss(outputs, batch.targets))
        trainer.update(optimizer)
        return figures(loss: value, outputs: outputs.detach(), targets: batch.targets)
    }

    public func validate(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        let outputs = model(batch.inputs)
        return figures(loss: loss(outputs, batch.targets).item(), outputs: outputs, targets: batch.targets)
    }

    func figures(loss: Double, outputs: Tensor, targets: Tensor) -> [String: Double] {
        var result = ["loss": loss]
        for metric in metrics {
            metric.reset()
            metric.update(outputs: outputs, targets: targets)
            result[metric.name] = metric.value
        }
        return result
    }
}
