import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import Testing

@testable import NeuronTrain

/// Random "images" in [0, 1] with labels, for fast adversarial steps.
func randomImages(_ count: Int) -> TensorDataset {
    let generator = RandomGenerator(seed: 21)
    return TensorDataset(
        inputs: Tensor.uniform([count, 1, 28, 28], generator: generator),
        targets: Tensor.randint(0, 10, [count], generator: generator))
}

/// A small conditional DCGAN (or WGAN-GP) step with every option on.
func smallAdversarialStep(seed: UInt64, wasserstein: Bool) -> AdversarialStep {
    let initialiser = RandomGenerator(seed: seed)
    let generator = DCGANGenerator(latent: 8, width: 4, classes: 10, embedding: 4, generator: initialiser)
    let discriminator = DCGANDiscriminator(width: 4, classes: 10, batchNorm: !wasserstein, generator: initialiser)
    let average = DCGANGenerator(latent: 8, width: 4, classes: 10, embedding: 4, generator: RandomGenerator(seed: 99))
    return AdversarialStep(
        generator: generator, discriminator: discriminator,
        generatorOptimizer: Adam(generator.parameters(), lr: 2e-3, betas: (0.5, 0.999)),
        discriminatorOptimizer: Adam(discriminator.parameters(), lr: 2e-3, betas: (0.5, 0.999)),
        loss: wasserstein ? .wasserstein(penalty: 10) : .nonSaturating, discriminatorSteps: 2,
        labelSmoothing: wasserstein ? 0 : 0.1, averaged: (average, 0.9), noise: RandomGenerator(seed: seed &+ 5))
}

@Suite(.serialized) struct AdversarialStepTests {
    /// In a child process, as the loop also saves and restores the process-wide default generator.
    @Test func ganResumesBitIdenticallyAfterAnInterruptMidEpoch() async {
        await #expect(processExitsWith: .success) { try! AdversarialStepTests.checkResume(wasserstein: false) }
    }

    @Test func wganGPResumesBitIdenticallyAfterAnInterruptMidEpoch() async {
        await #expect(processExitsWith: .success) { try! AdversarialStepTests.checkResume(wasserstein: true) }
    }

    static func checkResume(wasserstein: Bool) throws {
        let loader = DataLoader(randomImages(40), batchSize: 8, shuffle: true, seed: 3)  // 5 batches per epoch
        let full = smallAdversarialStep(seed: 1, wasserstein: wasserstein)
        let fullTrainer = Trainer(step: full)
        let fullTrainerOutcome = try fullTrainer.fit(train: loader, epochs: 2)
        precondition(fullTrainerOutcome == .completed)

        let folder = temporaryFolder("adversarial")
        let first = smallAdversarialStep(seed: 1, wasserstein: wasserstein)
        let firstTrainer = Trainer(step: first, callbacks: [InterruptAt(7)])
        firstTrainer.checkpointPath = folder + "/checkpoint.safetensors"
        let firstTrainerOutcome = try firstTrainer.fit(train: loader, epochs: 2)
        precondition(firstTrainerOutcome == .interrupted)
        let saved = try SafeTensors.read(folder + "/checkpoint.safetensors")
        precondition(saved.metadata["models"] == "generator,discriminator,generator_ema", "\(saved.metadata["models"] ?? "")")

        Random.seed(4242)
        let second = smallAdversarialStep(seed: 50, wasserstein: wasserstein)
        let secondTrainer = Trainer(step: second)
        try TrainingCheckpoint.restore(secondTrainer, from: folder + "/checkpoint.safetensors")
        let secondTrainerOutcome = try secondTrainer.fit(train: loader, epochs: 2)
        precondition(secondTrainerOutcome == .completed)

        for ((name, a), (_, b)) in zip(full.models, second.models) {
            for ((key, x), (_, y)) in zip(a.stateDict().sorted { $0.key < $1.key }, b.stateDict().sorted { $0.key < $1.key }) {
                precondition(x.to(.float64).toArray(Double.self) == y.to(.float64).toArray(Double.self), "\(name).\(key) differs after resuming")
            }
        }
        for ((name, a), (_, b)) in zip(full.optimizers, second.optimizers) {
            for ((key, x), (_, y)) in zip(a.stateDict().sorted { $0.key < $1.key }, b.stateDict().sorted { $0.key < $1.key }) {
                precondition(x.to(.float64).toArray(Double.self) == y.to(.float64).toArray(Double.self), "\(name).\(key) differs after resuming")
            }
        }
        func figures(_ history: [[String: Double]]) -> [[String: Double]] {
            history.map { $0.filter { $0.key != "seconds" && $0.key != "samples_per_s" } }
        }
        precondition(figures(secondTrainer.history) == figures(fullTrainer.history), "epoch figures differ")
        let keys = Set(fullTrainer.history[0].keys)
        let expected: Set<String> =
            wasserstein ? ["d_loss", "g_loss", "d_real", "d_fake", "gp", "wasserstein"] : ["d_loss", "g_loss", "d_real", "d_fake"]
        precondition(expected.isSubset(of: keys), "figures: \(keys.sorted())")
    }

    /// One discriminator update per batch, one generator update every k batches; the generator
    /// loss is averaged over the batches that report it; the average moves towards the generator.
    @Test func generatorUpdatesEveryKthBatch() throws {
        let step = smallAdversarialStep(seed: 2, wasserstein: false)
        let counter = HookCounter()
        let trainer = Trainer(step: step, callbacks: [counter])
        var generatorLosses: [Double] = []
        final class Recorder: Callback {
            var seen: [[String: Double]] = []
            func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws { seen.append(logs) }
        }
        let recorder = Recorder()
        trainer.callbacks.append(recorder)
        let before = step.averaged!.generator.parameters()[1].toArray(Float.self)
        #expect(try trainer.fit(train: DataLoader(randomImages(48), batchSize: 8), epochs: 1) == .completed)
        let discriminatorUpdates = counter.updates.filter { $0 == ObjectIdentifier(step.discriminatorOptimizer) }.count
        #expect(discriminatorUpdates == 6 && counter.updates.count == 9)
        #expect(recorder.seen[0]["g_loss"] == nil && recorder.seen[1]["g_loss"] != nil)
        generatorLosses = recorder.seen.compactMap { $0["g_loss"] }
        #expect(generatorLosses.count == 5)
        #expect(step.averaged!.generator.parameters()[1].toArray(Float.self) != before)
        #expect(step.averaged!.generator.parameters()[1].toArray(Float.self) != step.generator.parameters()[1].toArray(Float.self))
    }

    /// A discriminator without batch norm scores real and generated images in one pass, with
    /// the same scores as two; one with batch norm keeps two passes.
    @Test func jointDiscriminatorPassGivesTheSameScores() {
        let generator = MLPGenerator(latent: 8, generator: RandomGenerator(seed: 1))
        let discriminator = MLPDiscriminator(generator: RandomGenerator(seed: 2))
        let step = AdversarialStep(
            generator: generator, discriminator: discriminator,
            generatorOptimizer: Adam(generator.parameters()), discriminatorOptimizer: Adam(discriminator.parameters()))
        #expect(step.scoresJointly)
        #expect(!smallAdversarialStep(seed: 1, wasserstein: false).scoresJointly && smallAdversarialStep(seed: 1, wasserstein: true).scoresJointly)
        let real = Tensor.uniform([5, 1, 28, 28]) * 2 - 1, fake = Tensor.uniform([5, 1, 28, 28]) * 2 - 1
        let (jointReal, jointFake) = step.scoreRealAndFake(real, fake, labels: nil)
        #expect((jointReal - discriminator.score(real, labels: nil)).abs().max().item() < 1e-5)
        #expect((jointFake - discriminator.score(fake, labels: nil)).abs().max().item() < 1e-5)
    }

    /// An optimiser step between a forward pass and its backward pass (the generator's loss
    /// computed through the discriminator before the discriminator's update) stops backward
    /// with a message naming the op.
    @Test func optimiserStepBetweenForwardAndBackwardStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let generator = MLPGenerator(latent: 8, generator: RandomGenerator(seed: 1))
            let discriminator = MLPDiscriminator(generator: RandomGenerator(seed: 2))
            let optimizer = Adam(discriminator.parameters(), lr: 1e-3)
            let fake = generator.generate(Tensor.normal([4, 8]), labels: nil)
            let generatorLoss = AdversarialLoss.nonSaturating.generatorLoss(fake: discriminator.score(fake, labels: nil))
            let real = Tensor.uniform([4, 1, 28, 28]) * 2 - 1
            AdversarialLoss.nonSaturating.discriminatorLoss(
                real: discriminator.score(real, labels: nil),
                fake: discriminator.score(fake.detach(), labels: nil), realTarget: 1
            ).backward()
            optimizer.step()
            generatorLoss.backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("modified in place") && message.contains("of "), "\(message)")
    }
}
