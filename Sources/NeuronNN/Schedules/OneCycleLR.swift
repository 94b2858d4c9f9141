import Glibc
import Neuron

/// The one-cycle policy (Smith 2018), stepped once per batch: the rate rises from
/// maxRate/divFactor to maxRate, then anneals to maxRate/(divFactor·finalDivFactor), while
/// momentum (or Adam's β₁) moves the opposite way. Ignores the optimiser's own rate.
public final class OneCycleLR: LRScheduler {
    public enum Annealing: Sendable { case cosine, linear }

    public let totalSteps: Int
    let phases: [(end: Double, lrFrom: Double, lrTo: Double, momentumFrom: Double, momentumTo: Double)]
    let annealing: Annealing
    let momentumKey: Hyperparameter?

    public init(
        _ optimizer: Optimizer, maxRate: Double, totalSteps: Int, warmupFraction: Double = 0.3,
        annealing: Annealing = .cosine, cycleMomentum: Bool = true, baseMomentum: Double = 0.85,
        maxMomentum: Double = 0.95, divFactor: Double = 25, finalDivFactor: Double = 1e4,
        threePhase: Bool = false
    ) {
        precondition(
            totalSteps > 1 && warmupFraction > 0 && warmupFraction < 1,
            "OneCycleLR: needs totalSteps > 1 and 0 < warmupFraction < 1")
        let initial = maxRate / divFactor, final = initial / finalDivFactor
        let rise = warmupFraction * Double(totalSteps) - 1
        if threePhase {
            phases = [
                (rise, initial, maxRate, maxMomentum, baseMomentum),
                (2 * warmupFraction * Double(totalSteps) - 2, maxRate, initial, baseMomentum, maxMomentum),
                (Double(totalSteps - 1), initial, final, maxMomentum, maxMomentum),
            ]
        } else {
            phases = [
                (rise, initial, maxRate, maxMomentum, baseMomentum),
                (Double(totalSteps - 1), maxRate, final, baseMomentum, maxMomentum),
            ]
        }
        self.totalSteps = totalSteps
        self.annealing = annealing
        let options = optimizer.parameterGroups.first?.options ?? [:]
        momentumKey = !cycleMomentum ? nil : options[.beta1] != nil ? .beta1 : options[.momentum] != nil ? .momentum : nil
        super.init(optimizer)
        start()
    }

    func anneal(_ from: Double, _ to: Double, _ fraction: Double) -> Double {
        switch annealing {
        case .cosine: to + (from - to) / 2 * (cos(Double.pi * fraction) + 1)
        case .linear: (to - from) * fraction + from
        }
    }

    public override func apply(epoch: Int) {
        precondition(epoch <= totalSteps, "OneCycleLR: stepped \(epoch) times, past its \(totalSteps) total steps")
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if Double(epoch) <= phase.end || i == phases.count - 1 {
                let fraction = (Double(epoch) - start) / (phase.end - start)
                for g in optimizer.parameterGroups.indices {
                    optimizer.parameterGroups[g].learningRate = anneal(phase.lrFrom, phase.lrTo, fraction)
                    if let momentumKey {
                        optimizer.parameterGroups[g][momentumKey] = anneal(phase.momentumFrom, phase.momentumTo, fraction)
                    }
                }
                return
            }
            start = phase.end
        }
    }
}

/// Cuts the rate by `factor` once a metric has stopped improving for `patience` steps
/// (PyTorch's `ReduceLROnPlateau`, relative threshold). Call `step(metric:)` each epoch.
public final class ReduceLROnPlateau {
    public enum Mode: Sendable { case min, max }

    public let optimizer: Optimizer
    public let mode: Mode, factor: Double, patience: Int, threshold: Double, cooldown: Int, minimumRate: Double
    public private(set) var best: Double
    public private(set) var badSteps = 0
    public private(set) var cooldownLeft = 0

    public init(
        _ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
        threshold: Double = 1e-4, cooldown: Int = 0, minimumRate: Double = 0
    ) {
        precondition(factor < 1, "ReduceLROnPlateau: factor \(factor) must be below 1")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimumRate = minimumRate
        best = mode == .min ? .infinity : -.infinity
    }

    func isBetter(_ value: Double) -> Bool {
        mode == .min ? value < best * (1 - threshold) : value > best * (1 + threshold)
    }

    public func step(metric: Double) {
        if isBetter(metric) {
            best = metric
            badSteps = 0
        } else {
            badSteps += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badSteps = 0
        }
        if badSteps > patience {
            for g in optimizer.parameterGroups.indices {
                let old = optimizer.parameterGroups[g].learningRate
                let new = Swift.max(old * factor, minimumRate)
                if old - new > 1e-8 { optimizer.parameterGroups[g].learningRate = new }
            }
            cooldownLeft = cooldown
            badSteps = 0
        }
    }

    public func stateDict() -> StateDict {
        [
            "best": Tensor(best, dtype: .float64), "bad_steps": Tensor(Double(badSteps), dtype: .float64),
            "cooldown_left": Tensor(Double(cooldownLeft), dtype: .float64),
        ]
    }

    public func load(stateDict: StateDict) {
        best = stateDict["best"]?.item() ?? best
        badSteps = Int(stateDict["bad_steps"]?.item() ?? 0)
        cooldownLeft = Int(stateDict["cooldown_left"]?.item() ?? 0)
    }
}
