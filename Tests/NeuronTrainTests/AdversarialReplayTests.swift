import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import Testing

@testable import NeuronTrain

/// Adversarial steps replayed from recorded graphs train exactly as op-by-op steps: the same
/// figures every step and the same weights, buffers and moving average to the last bit.
@Suite struct AdversarialReplayTests {
    /// A conditional DCGAN with batch norm in both networks (each batch scored apart), label
    /// smoothing and a moving average; or the MLP GAN (real and generated scored jointly).
    static func step(conditional: Bool, replays: Bool) -> AdversarialStep {
        let initialiser = RandomGenerator(seed: 41)
        let generator: any ImageGenerator, discriminator: any ImageDiscriminator, average: (any ImageGenerator)?
        if conditional {
            generator = DCGANGenerator(latent: 8, width: 4, classes: 10, embedding: 4, generator: initialiser)
            discriminator = DCGANDiscriminator(width: 4, classes: 10, batchNorm: true, generator: initialiser)
            average = DCGANGenerator(latent: 8, width: 4, classes: 10, embedding: 4, generator: RandomGenerator(seed: 42))
        } else {
            (generator, discriminator, average) = (MLPGenerator(latent: 16, generator: initialiser), MLPDiscriminator(generator: initialiser), nil)
        }
        let step = AdversarialStep(
            generator: generator, discriminator: discriminator,
            generatorOptimizer: Adam(generator.parameters(), lr: 2e-3, betas: (0.5, 0.999)),
            discriminatorOptimizer: Adam(discriminator.parameters(), lr: 2e-3, betas: (0.5, 0.999)),
            labelSmoothing: conditional ? 0.1 : 0, averaged: average.map { ($0, 0.9) }, noise: RandomGenerator(seed: 43))
        step.replays = replays
        return step
    }

    @Test(arguments: [true, false])
    func replayedStepsTrainExactlyAsOpByOpSteps(_ conditional: Bool) throws {
        func run(replays: Bool) throws -> (figures: [[String: Double]], weights: [[Float]], recorded: Bool) {
            let step = Self.step(conditional: conditional, replays: replays)
            let trainer = Trainer(step: step)
            let loader = DataLoader(randomImages(44), batchSize: 8, shuffle: true, seed: 5)  // the last batch has 4
            var figures: [[String: Double]] = []
            for batch in loader.batches(epoch: 0) { figures.append(try step.train(batch, trainer: trainer)) }
            let weights = step.models.flatMap { $0.module.parameters() + $0.module.buffers() }.map { $0.to(.float32).toArray(Float.self) }
            return (figures, weights, step.replay.recorded != nil)
        }
        let eager = try run(replays: false), replayed = try run(replays: true)
        #expect(!eager.recorded && replayed.recorded)
        #expect(replayed.figures == eager.figures)
        #expect(replayed.weights == eager.weights)
    }
}
