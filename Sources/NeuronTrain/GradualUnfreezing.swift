import Neuron
import NeuronNN

/// Gradual unfreezing (ULMFiT): at the start of each listed epoch, the parameters matching
/// that epoch's patterns become trainable. Build the optimiser over every parameter (frozen
/// ones included: they have no gradient, so it skips them until they thaw).
public final class GradualUnfreezing: Callback {
    public let model: Module
    /// Epoch (0-based) → patterns to unfreeze when it begins.
    public let schedule: [Int: [String]]
    /// The names unfrozen so far, in order.
    public private(set) var unfrozen: [String] = []

    public init(model: Module, schedule: [Int: [String]]) {
        (self.model, self.schedule) = (model, schedule)
    }

    public func epochBegin(_ trainer: Trainer) {
        // Resuming past several steps of the schedule applies every earlier one as well.
        for (epoch, patterns) in schedule.sorted(by: { $0.key < $1.key }) where epoch <= trainer.epoch {
            let names = model.unfreeze(matching: patterns).filter { !unfrozen.contains($0) }
            unfrozen += names
        }
    }
}
