import Neuron
import NeuronData
import NeuronNN

/// What an `AdversarialStep` keeps to replay its steps: two recorded graphs (the discriminator's
/// update pass, the generator's) and the tensors they read and write.
struct AdversarialReplayState {
    /// Eager steps seen for the recorded batch shape, before recording.
    var eagerSteps = 0
    /// Set when a recording turned out not replayable: every later step runs op by op.
    var refused = false
    var budget = CPUGraphBudget()
    var recorded: RecordedAdversarialStep?
}

struct RecordedAdversarialStep {
    /// Static copies of the batch's images in [0, 1], the noise and the labels, read by the graphs.
    let images: Tensor, noise: Tensor, labels: Tensor?
    let discriminatorPass: CPUGraph, generatorPass: CPUGraph
    let realScores: Tensor, fakeScores: Tensor, discriminatorLoss: Tensor, generatorLoss: Tensor
    /// The gradients each graph writes, re-attached after its replay.
    let discriminatorGradients: [(parameter: Tensor, gradient: Tensor)]
    let generatorGradients: [(parameter: Tensor, gradient: Tensor)]
}

extension AdversarialStep {
    /// Eager steps before a step is recorded (they build kernels and the optimisers' state).
    static let eagerStepsBeforeRecording = 2

    /// The step replayed from recorded graphs, or recorded now; nil when it runs op by op: on a
    /// GPU, with the Wasserstein loss (its penalty draws random numbers) or several
    /// discriminator steps per generator step, before the third batch, for a batch of another
    /// shape than the recorded one (the last, shorter one), for a step that allocates more than
    /// `CPUGraphBudget` allows, or once a recording was refused (random numbers drawn, values
    /// read on the host).
    ///
    /// The discriminator's update and the generator's are two graphs, with each optimiser's
    /// update between them outside any graph, so the generator's pass scores the batch with the
    /// updated discriminator as the eager step does; the figures are read after each replay.
    func replayedStep(_ batch: Batch, noise: Tensor, labels: Tensor?, trainer: Trainer) -> [String: Double]? {
        guard replays, !replay.refused, batch.inputs.device.isCPU, discriminatorSteps == 1 else { return nil }
        if case .wasserstein = loss { return nil }
        replay.budget.stepBegins()
        if let recorded = replay.recorded {
            guard recorded.images.shape == batch.inputs.shape else { return nil }
            recorded.images.assign(batch.inputs)
            recorded.noise.assign(noise)
            if let labels { recorded.labels?.assign(labels) }
            return run(recorded, trainer: trainer)
        }
        guard replay.eagerSteps >= Self.eagerStepsBeforeRecording else {
            replay.eagerSteps += 1
            return nil
        }
        guard replay.budget.allowsRecording else {
            replay.refused = true
            return nil
        }
        return record(batch, noise: noise, labels: labels, trainer: trainer)
    }

    /// Replays both graphs, with the optimisers' updates after each.
    private func run(_ recorded: RecordedAdversarialStep, trainer: Trainer) -> [String: Double] {
        discriminatorOptimizer.zeroGrad()
        recorded.discriminatorPass.replay()
        for (parameter, gradient) in recorded.discriminatorGradients { parameter.grad = gradient }
        var figures = discriminatorFigures(recorded.realScores, recorded.fakeScores)
        figures["d_loss"] = trainer.backwardReplayed(recorded.discriminatorLoss)
        trainer.update(discriminatorOptimizer)
        generatorOptimizer.zeroGrad()
        recorded.generatorPass.replay()
        for (parameter, gradient) in recorded.generatorGradients { parameter.grad = gradient }
        figures["g_loss"] = trainer.backwardReplayed(recorded.generatorLoss)
        if trainer.update(generatorOptimizer) { updateAverage() }
        return figures
    }

    /// Runs the step once while recording its two passes (the recordings run the work).
    private func record(_ batch: Batch, noise: Tensor, labels: Tensor?, trainer: Trainer) -> [String: Double] {
        let images = batch.inputs.copy(), staticNoise = noise.copy(), staticLabels = labels?.copy()
        discriminatorOptimizer.zeroGrad()
        var fake: Tensor!, realScores: Tensor!, fakeScores: Tensor!, discriminatorLoss: Tensor!
        let discriminatorPass = CPUGraph {
            let real = images * 2 - 1
            fake = generator.generate(staticNoise, labels: staticLabels)
            (realScores, fakeScores) = scoreRealAndFake(real, fake.detach(), labels: staticLabels)
            discriminatorLoss = loss.discriminatorLoss(real: realScores, fake: fakeScores, realTarget: realTarget)
            discriminatorLoss.backward()
        }
        let discriminatorGradients = gradients(of: discriminatorOptimizer.parameterGroups.flatMap(\.parameters))
        var figures = discriminatorFigures(realScores, fakeScores)
        figures["d_loss"] = trainer.backwardReplayed(discriminatorLoss)
        trainer.update(discriminatorOptimizer)

        generatorOptimizer.zeroGrad()
        var generatorLoss: Tensor!
        let generatorPass = withDiscriminatorFrozen {
            CPUGraph {
                generatorLoss = loss.generatorLoss(fake: discriminator.score(fake, labels: staticLabels))
                generatorLoss.backward()
            }
        }
        let generatorGradients = gradients(of: generatorOptimizer.parameterGroups.flatMap(\.parameters))
        figures["g_loss"] = trainer.backwardReplayed(generatorLoss)
        if trainer.update(generatorOptimizer) { updateAverage() }

        if let discriminatorPass, let generatorPass, !discriminatorPass.drewRandomNumbers, !generatorPass.drewRandomNumbers {
            replay.recorded = RecordedAdversarialStep(
                images: images, noise: staticNoise, labels: staticLabels, discriminatorPass: discriminatorPass,
                generatorPass: generatorPass, realScores: realScores.detach(), fakeScores: fakeScores.detach(),
                discriminatorLoss: discriminatorLoss, generatorLoss: generatorLoss,
                discriminatorGradients: discriminatorGradients, generatorGradients: generatorGradients)
        } else {
            replay.refused = true
        }
        return figures
    }
}
