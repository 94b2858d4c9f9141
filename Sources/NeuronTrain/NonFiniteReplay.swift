import Neuron
import NeuronData

/// Names the op behind a loss that was not finite: the failing step is re-run once from the
/// random-generator states it started with, with every op's output checked and the updates
/// off, so the usual steps pay nothing for the check.
struct NonFiniteReplay {
    let generators: [RandomGenerator]

    /// The reason to stop for a step of `trainer` on `batch` whose loss was `value`, given the
    /// generator states the step started from.
    func reason(_ value: Double, trainer: Trainer, batch: Batch, states: [[UInt64]]) throws -> String {
        var text = "loss became \(value) at step \(trainer.globalStep + 1) (epoch \(trainer.epoch + 1), batch \(trainer.batchIndex + 1))"
        if !trainer.detectAnomaly {
            for (generator, state) in zip(generators, states) { generator.stateWords = state }
            NonFiniteLocator.reset()
            NonFiniteLocator.isEnabled = true
            trainer.updatesDisabled = true
            defer {
                NonFiniteLocator.isEnabled = false
                trainer.updatesDisabled = false
            }
            _ = try? trainer.step.train(batch, trainer: trainer)
        }
        if let finding = NonFiniteLocator.firstFinding { text += "; first non-finite value from \(finding)" }
        return text
    }
}
