import Glibc
import Neuron

/// A learning-rate schedule: a function of the step count, applied to every parameter group
/// of an optimiser. Call `step()` once per epoch (or per batch for one-cycle) after
/// `optimizer.step()`, as in PyTorch.
open class LRScheduler {
    public let optimizer: Optimizer
    /// Each group's learning rate when the scheduler was created.
    public let baseLearningRates: [Double]
    /// Steps taken so far (PyTorch's `last_epoch`).
    public private(set) var epoch = 0

    public init(_ optimizer: Optimizer) {
        self.optimizer = optimizer
        baseLearningRates = optimizer.parameterGroups.map { $0.learningRate }
    }

    /// The learning rate of group `group` at `epoch`.
    open func learningRate(group: Int, base: Double, epoch: Int) -> Double { base }

    /// Sets each group's learning rate (and whatever else the schedule drives) for `epoch`.
    open func apply(epoch: Int) {
        for g in optimizer.parameterGroups.indices {
            optimizer.parameterGroups[g].learningRate = learningRate(group: g, base: baseLearningRates[g], epoch: epoch)
        }
    }

    /// Advances the schedule by one step.
    public func step() {
        epoch += 1
        apply(epoch: epoch)
    }

    /// The learning rates in force now.
    public var currentLearningRates: [Double] { optimizer.parameterGroups.map { $0.learningRate } }

    /// The step count, for checkpoints.
    public func stateDict() -> StateDict { ["epoch": Tensor(Double(epoch), dtype: .float64)] }

    /// Restores the step count and the learning rates that go with it.
    public func load(stateDict: StateDict) {
        epoch = Int(stateDict["epoch"]?.item() ?? 0)
        apply(epoch: epoch)
    }

    /// Applies epoch 0; subclasses call this at the end of their initialiser.
    func start() { apply(epoch: 0) }
}

/// Multiplies the rate by `gamma` every `stepSize` steps.
public final class StepLR: LRScheduler {
    public let stepSize: Int, gamma: Double
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer)
        start()
    }
    public override func learningRate(group: Int, base: Double, epoch: Int) -> Double {
        base * pow(gamma, Double(epoch / stepSize))
    }
}

/// Multiplies the rate by `gamma` at each milestone.
public final class MultiStepLR: LRScheduler {
    public let milestones: [Int], gamma: Double
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
        super.init(optimizer)
        start()
    }
    public override func learningRate(group: Int, base: Double, epoch: Int) -> Double {
        base * pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
    }
}

/// Multiplies the rate by `gamma` every step.
public final class ExponentialLR: LRScheduler {
    public let gamma: Double
    public init(_ optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer)
        start()
    }
    public override func learningRate(group: Int, base: Double, epoch: Int) -> Double {
        base * pow(gamma, Double(epoch))
    }
}

/// Cosine from the base rate down to `minimum` over `period` steps (continuing as a cosine
/// of period 2·`period` afterwards, as PyTorch's `CosineAnnealingLR`).
public final class CosineAnnealingLR: LRScheduler {
    public let period: Int, minimum: Double
    public init(_ optimizer: Optimizer, period: Int, minimum: Double = 0) {
        precondition(period > 0, "CosineAnnealingLR: period must be positive, got \(period)")
        self.period = period
        self.minimum = minimum
        super.init(optimizer)
        start()
    }
    public override func learningRate(group: Int, base: Double, epoch: Int) -> Double {
        minimum + (base - minimum) * (1 + cos(Double.pi * Double(epoch) / Double(period))) / 2
    }
}

/// A linear warm-up from `startFactor`·base to base over `warmupSteps`, then `schedule`
/// (counted from the end of the warm-up), like PyTorch's `SequentialLR(LinearLR, …)`.
public final class LinearWarmup: LRScheduler {
    public let warmupSteps: Int, startFactor: Double
    public let schedule: LRScheduler

    public init(_ schedule: LRScheduler, warmupSteps: Int, startFactor: Double = 1.0 / 3) {
        precondition(warmupSteps > 0, "LinearWarmup: warm-up steps must be positive, got \(warmupSteps)")
        self.warmupSteps = warmupSteps
        self.startFactor = startFactor
        self.schedule = schedule
        super.init(schedule.optimizer)
        start()
    }

    public override func apply(epoch: Int) {
        if epoch >= warmupSteps {
            schedule.apply(epoch: epoch - warmupSteps)
            return
        }
        let factor = startFactor + (1 - startFactor) * Double(epoch) / Double(warmupSteps)
        for g in optimizer.parameterGroups.indices {
            optimizer.parameterGroups[g].learningRate = schedule.baseLearningRates[g] * factor
        }
    }
}
