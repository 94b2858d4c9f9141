import Neuron
import NeuronData
import NeuronNN

/// The objective of an adversarial game, written for the discriminator's raw scores.
public enum AdversarialLoss: Equatable, Sendable {
    /// Goodfellow's GAN with the non-saturating generator loss: binary cross-entropy on logits;
    /// the generator maximises log D(G(z)).
    case nonSaturating
    /// Least-squares GAN (Mao et al.): D's scores regressed to 1 (real) and 0 (fake), G's to 1.
    case leastSquares
    /// Wasserstein GAN with gradient penalty (Gulrajani et al.) of weight `penalty` (10 in
    /// the paper): the critic maximises E[D(real)] − E[D(fake)].
    case wasserstein(penalty: Double)

    /// The discriminator's loss for scores of real and of generated images; `realTarget` is
    /// 1, or less for one-sided label smoothing (ignored by the Wasserstein loss).
    public func discriminatorLoss(real: Tensor, fake: Tensor, realTarget: Double) -> Tensor {
        switch self {
        case .nonSaturating:
            return binaryCrossEntropyWithLogits(real, Tensor.full(real.shape, realTarget, dtype: real.dtype, device: real.device))
                + binaryCrossEntropyWithLogits(fake, Tensor.zeros(fake.shape, dtype: fake.dtype, device: fake.device))
        case .leastSquares:
            return ((real - realTarget).square().mean() + fake.square().mean()) * 0.5
        case .wasserstein:
            return fake.mean() - real.mean()
        }
    }

    /// The generator's loss for the discriminator's scores of generated images.
    public func generatorLoss(fake: Tensor) -> Tensor {
        switch self {
        case .nonSaturating: binaryCrossEntropyWithLogits(fake, Tensor.ones(fake.shape, dtype: fake.dtype, device: fake.device))
        case .leastSquares: (fake - 1).square().mean() * 0.5
        case .wasserstein: -fake.mean()
        }
    }

    /// How the discriminator's mean score is shown: a probability for the logit losses, the
    /// raw score for the others.
    func shown(_ scores: Tensor) -> Double {
        self == .nonSaturating ? scores.sigmoid().mean().item() : scores.mean().item()
    }
}

/// Adversarial training of a generator against a discriminator, one discriminator update per
/// batch and one generator update every `discriminatorSteps` batches (WGAN-GP's n_critic).
///
/// Real images arrive in [0, 1] (`batch.inputs`; class labels in `batch.targets` for a
/// conditional pair) and are mapped to the generator's [−1, 1]. The discriminator sees the
/// generated batch detached from the generator; the generator's update scores the same batch
/// again with the updated discriminator. Figures: "d_loss", "g_loss" (on generator batches),
/// "d_real" and "d_fake" (D(x) and D(G(z)) before the update: probabilities for the
/// non-saturating loss, raw scores otherwise), and for WGAN-GP "gp" and "wasserstein"
/// (E[D(real)] − E[D(fake)]). With `averageDecay`, a copy of the generator keeps an exponential
/// moving average of its weights (and copies its batch-norm statistics); samples and quality
/// figures come from it.
public final class AdversarialStep: TrainingStep {
    public let generator: any ImageGenerator
    public let discriminator: any ImageDiscriminator
    public let generatorOptimizer: Optimizer
    public let discriminatorOptimizer: Optimizer
    public let loss: AdversarialLoss
    public let discriminatorSteps: Int
    /// The discriminator's target for real images: 1, or 0.9 with one-sided label smoothing.
    public let realTarget: Double
    /// The moving average of the generator, and its decay per generator update.
    public let averaged: (generator: any ImageGenerator, decay: Double)?
    /// Draws the noise, the interpolation weights of the gradient penalty.
    public let noise: RandomGenerator
    /// Whether real and generated batches share one discriminator pass (no batch norm in it).
    let scoresJointly: Bool
    /// Measured after every epoch when set (Fréchet distance, class accuracy).
    public var quality: GeneratorQuality?
    /// Learning-rate schedules of the two optimisers, by name, stepped after every epoch.
    public var epochSchedules: [(name: String, scheduler: LRScheduler)] = []
    /// On the CPU, the discriminator's and the generator's forward and backward replay as
    /// recorded graphs once batch shapes repeat (see `AdversarialReplay.swift`); false runs
    /// every step op by op.
    public var replays = true
    var replay = AdversarialReplayState()

    /// `averaged` is a freshly built generator of the same architecture; it starts as a copy.
    public init(
        generator: any ImageGenerator, discriminator: any ImageDiscriminator,
        generatorOptimizer: Optimizer, discriminatorOptimizer: Optimizer,
        loss: AdversarialLoss = .nonSaturating, discriminatorSteps: Int = 1, labelSmoothing: Double = 0,
        averaged: (generator: any ImageGenerator, decay: Double)? = nil, noise: RandomGenerator = RandomGenerator(seed: 0)
    ) {
        precondition(discriminatorSteps >= 1, "AdversarialStep: discriminatorSteps must be ≥ 1, got \(discriminatorSteps)")
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "AdversarialStep: labelSmoothing must be in [0, 1), got \(labelSmoothing)")
        precondition(
            generator.classCount == discriminator.classCount,
            "AdversarialStep: the generator takes \(generator.classCount.map(String.init) ?? "no") classes, the discriminator \(discriminator.classCount.map(String.init) ?? "none")"
        )
        if let averaged {
            precondition(averaged.decay > 0 && averaged.decay < 1, "AdversarialStep: the average's decay must be in (0, 1), got \(averaged.decay)")
            do {
                try averaged.generator.load(stateDict: generator.stateDict())
            } catch {
                preconditionFailure("AdversarialStep: the averaged generator differs from the generator: \(error)")
            }
        }
        (self.generator, self.discriminator, self.generatorOptimizer, self.discriminatorOptimizer) =
            (generator, discriminator, generatorOptimizer, discriminatorOptimizer)
        (self.loss, self.discriminatorSteps, self.realTarget, self.averaged, self.noise) =
            (loss, discriminatorSteps, 1 - labelSmoothing, averaged, noise)
        scoresJointly = !discriminator.modules().contains { $0 is BatchNorm }
    }

    public var models: [(name: String, module: Module)] {
        [("generator", generator), ("discriminator", discriminator)] + (averaged.map { [("generator_ema", $0.generator)] } ?? [])
    }
    public var optimizers: [(name: String, optimizer: Optimizer)] {
        [("generator_optimizer", generatorOptimizer), ("discriminator_optimizer", discriminatorOptimizer)]
    }
    public var generators: [(name: String, generator: RandomGenerator)] { [("noise", noise)] }
    public var schedulers: [(name: String, scheduler: LRScheduler, interval: ScheduleInterval)] {
        epochSchedules.map { ($0.name, $0.scheduler, .epoch) }
    }

    /// The generator samples are drawn from: the moving average when kept.
    public var sampler: any ImageGenerator { averaged?.generator ?? generator }

    public func train(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        let images = batch.inputs
        let count = images.shape[0]
        let labels = generator.classCount == nil ? nil : batch.targets
        let updatesGenerator = (trainer.globalStep + 1) % discriminatorSteps == 0
        // Drawn on the CPU and moved, so a seed gives the same noise on every device.
        let noiseBatch = Tensor.normal([count, generator.latentSize], dtype: images.dtype, device: .cpu, generator: noise).to(images.device)
        if let figures = replayedStep(batch, noise: noiseBatch, labels: labels, trainer: trainer) { return figures }
        let real = images * 2 - 1
        let fake =
            updatesGenerator
            ? generator.generate(noiseBatch, labels: labels)
            : noGrad { generator.generate(noiseBatch, labels: labels) }

        discriminatorOptimizer.zeroGrad()
        let (realScores, fakeScores) = scoreRealAndFake(real, fake.detach(), labels: labels)
        var discriminatorLoss = loss.discriminatorLoss(real: realScores, fake: fakeScores, realTarget: realTarget)
        var figures = discriminatorFigures(realScores, fakeScores)
        if case .wasserstein(let weight) = loss {
            let alpha = Tensor.uniform([count], dtype: real.dtype, device: .cpu, generator: noise).to(real.device)
            let penalty = gradientPenalty(critic: { self.discriminator.score($0, labels: labels) }, real: real, fake: fake, alpha: alpha)
            discriminatorLoss = discriminatorLoss + penalty * weight
            figures["gp"] = penalty.item()
            figures["wasserstein"] = figures["d_real"]! - figures["d_fake"]!
        }
        figures["d_loss"] = trainer.backward(discriminatorLoss)
        trainer.update(discriminatorOptimizer)

        if updatesGenerator {
            generatorOptimizer.zeroGrad()
            figures["g_loss"] = withDiscriminatorFrozen {
                trainer.backward(loss.generatorLoss(fake: discriminator.score(fake, labels: labels)))
            }
            if trainer.update(generatorOptimizer) { updateAverage() }
        }
        return figures
    }

    /// The discriminator's scores of the real and the generated batch. Without batch norm the
    /// discriminator treats every image on its own, so both go through one pass of twice the
    /// batch (larger matrix products, half the ops); with batch norm each batch keeps its own
    /// statistics, as in PyTorch's DCGAN.
    func scoreRealAndFake(_ real: Tensor, _ fake: Tensor, labels: Tensor?) -> (Tensor, Tensor) {
        guard scoresJointly else {
            return (discriminator.score(real, labels: labels), discriminator.score(fake, labels: labels))
        }
        let count = real.shape[0]
        let scores = discriminator.score(Tensor.concat([real, fake]), labels: labels.map { Tensor.concat([$0, $0]) })
        return (scores.narrowed(axis: 0, start: 0, length: count), scores.narrowed(axis: 0, start: count, length: count))
    }

    /// D(x) and D(G(z)) as the figures show them.
    func discriminatorFigures(_ realScores: Tensor, _ fakeScores: Tensor) -> [String: Double] {
        ["d_real": loss.shown(realScores.detach()), "d_fake": loss.shown(fakeScores.detach())]
    }

    /// Runs `body` with the discriminator's parameters not requiring gradients: the generator's
    /// update needs gradients through it, not of it.
    func withDiscriminatorFrozen<Result>(_ body: () -> Result) -> Result {
        let trainable = discriminator.parameters().map { ($0, $0.requiresGrad) }
        for (parameter, _) in trainable { parameter.requiresGrad = false }
        defer { for (parameter, flag) in trainable { parameter.requiresGrad = flag } }
        return body()
    }

    /// Moves the averaged generator's weights towards the generator's and copies its buffers.
    func updateAverage() {
        guard let (average, decay) = averaged else { return }
        noGrad {
            for (target, source) in zip(average.parameters(), generator.parameters()) {
                target.assign(target * decay + source * (1 - decay))
            }
            for (target, source) in zip(average.buffers(), generator.buffers()) { target.assign(source) }
        }
    }

    public func epochEnd(trainer: Trainer) throws -> [String: Double] {
        quality?.measure(sampler, over: trainer.parallel?.group) ?? [:]
    }
}
