import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import Testing

@testable import NeuronTrain

@Suite struct GANTests {
    let fixtures: [String: Tensor]

    init() throws { fixtures = try SafeTensors.read(DataFixtures.path("gans.safetensors")).tensors }

    func section(_ prefix: String, _ part: String = "state") -> StateDict {
        KeyRemap.section("\(prefix).\(part)", of: fixtures)
    }

    /// The conditional DCGAN's generator and discriminator give PyTorch's outputs for the same
    /// weights (PyTorch's state-dict names, loaded strictly), with batch and running statistics.
    @Test func conditionalDCGANMatchesPyTorch() throws {
        let generator = DCGANGenerator(latent: 8, width: 4, classes: 10, embedding: 3)
        let discriminator = DCGANDiscriminator(width: 4, classes: 10)
        try generator.load(stateDict: section("cgan_g"))
        try discriminator.load(stateDict: section("cgan_d"))
        let noise = fixtures["noise"]!, labels = fixtures["labels"]!, images = fixtures["images"]!
        for training in [false, true] {
            generator.train(training)
            discriminator.train(training)
            let mode = training ? "train" : "eval"
            let generated = noGrad { generator.generate(noise, labels: labels) }
            let scores = noGrad { discriminator.score(images, labels: labels) }
            #expect(generated.shape == [5, 1, 28, 28] && scores.shape == [5, 1])
            #expect((generated - fixtures["cgan_g.\(mode)_output"]!).abs().max().item() < 1e-5, "generator, \(mode)")
            #expect((scores - fixtures["cgan_d.\(mode)_output"]!).abs().max().item() < 1e-5, "discriminator, \(mode)")
        }
    }

    /// The gradient penalty and its gradient with respect to the critic's weights (a
    /// second-order gradient through convolutions and LeakyReLU) match PyTorch's.
    @Test func gradientPenaltyMatchesPyTorch() throws {
        let critic = DCGANDiscriminator(width: 4, batchNorm: false)
        try critic.load(stateDict: section("critic"))
        let penalty = gradientPenalty(
            critic: { critic.score($0, labels: nil) }, real: fixtures["gp.real"]!,
            fake: fixtures["gp.fake"]!, alpha: fixtures["gp.alpha"]!)
        #expect(Swift.abs(penalty.item() - fixtures["gp.penalty"]!.item()) < 1e-5)
        penalty.backward()
        let expected = section("critic", "grad")
        for (name, parameter) in critic.namedParameters() {
            let grad = parameter.grad ?? parameter.zerosLike()
            let reference = expected[name]!
            let scale = max(reference.abs().max().item(), 1e-3)
            #expect((grad - reference).abs().max().item() / scale < 1e-4, "\(name)")
        }
    }

    /// Central differences in Float64 agree with the penalty's gradient with respect to a
    /// small dense critic's weights.
    @Test func gradientPenaltyGradientCheck() {
        let generator = RandomGenerator(seed: 4)
        let real = Tensor.normal([4, 3], dtype: .float64, generator: generator)
        let fake = Tensor.normal([4, 3], dtype: .float64, generator: generator)
        let alpha = Tensor.uniform([4], dtype: .float64, generator: generator)
        let weights = [Tensor.normal([5, 3], dtype: .float64, generator: generator), Tensor.normal([1, 5], dtype: .float64, generator: generator)]
        let failure = GradientCheck.check(weights) { w in
            gradientPenalty(critic: { $0.matmul(w[0].T).tanh().matmul(w[1].T) }, real: real, fake: fake, alpha: alpha)
        }
        #expect(failure == nil, "\(failure!)")
    }

    /// The three objectives on known scores: BCE with logits (PyTorch's formula), least squares
    /// with one-sided smoothing, and the Wasserstein difference of means.
    @Test func adversarialLossesOnKnownScores() {
        let real = Tensor([2.0, -1.0], shape: [2, 1]), fake = Tensor([0.5, -3.0], shape: [2, 1])
        func bce(_ x: Double, _ y: Double) -> Double { Swift.max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
        let nonSaturating = (bce(2, 0.9) + bce(-1, 0.9)) / 2 + (bce(0.5, 0) + bce(-3, 0)) / 2
        #expect(Swift.abs(AdversarialLoss.nonSaturating.discriminatorLoss(real: real, fake: fake, realTarget: 0.9).item() - nonSaturating) < 1e-6)
        #expect(Swift.abs(AdversarialLoss.nonSaturating.generatorLoss(fake: fake).item() - (bce(0.5, 1) + bce(-3, 1)) / 2) < 1e-6)
        let leastSquares = 0.5 * (((2 - 0.9) * (2 - 0.9) + (-1 - 0.9) * (-1 - 0.9)) / 2 + (0.25 + 9) / 2)
        #expect(Swift.abs(AdversarialLoss.leastSquares.discriminatorLoss(real: real, fake: fake, realTarget: 0.9).item() - leastSquares) < 1e-6)
        #expect(Swift.abs(AdversarialLoss.leastSquares.generatorLoss(fake: fake).item() - 0.5 * (0.25 + 16) / 2) < 1e-6)
        let wasserstein = AdversarialLoss.wasserstein(penalty: 10)
        #expect(Swift.abs(wasserstein.discriminatorLoss(real: real, fake: fake, realTarget: 1).item() - (-1.25 - 0.5)) < 1e-6)
        #expect(Swift.abs(wasserstein.generatorLoss(fake: fake).item() - 1.25) < 1e-6)
    }

    @Test func frechetDistanceMatchesNumPy() {
        let a = FeatureStatistics(features: fixtures["fid.a"]!), b = FeatureStatistics(features: fixtures["fid.b"]!)
        #expect(Swift.abs(frechetDistance(a, b) - fixtures["fid.value"]!.item()) < 1e-8)
        #expect(Swift.abs(frechetDistance(a, a)) < 1e-8)
        // Diagonal covariances: ‖μ₁ − μ₂‖² + Σ (σ₁ − σ₂)².
        let x = Tensor([0.0, 0, 2, 0, 0, 4, 2, 4], shape: [4, 2], dtype: .float64)
        let y = x * Tensor([3.0, 1], dtype: .float64) + 1
        let expected = 10 + 16.0 / 3  // means [1, 2] and [4, 3]; σ² 4/3 and 36/3, 16/3 and 16/3
        #expect(Swift.abs(frechetDistance(FeatureStatistics(features: x), FeatureStatistics(features: y)) - expected) < 1e-9)
    }

    @Test func zooBuildsEveryPairWithTheirShapes() throws {
        for name in ModelRegistry.names(in: [.gan]) {
            let (generator, discriminator) = try ModelRegistry.adversarialPair(name, ["latent": "16"], generator: RandomGenerator(seed: 1))
            let labels = generator.classCount.map { _ in Tensor([0, 4, 9]) }
            let images = noGrad { generator.generate(Tensor.normal([3, 16]), labels: labels) }
            #expect(images.shape == [3, 1, 28, 28], "\(name)")
            #expect(images.abs().max().item() <= 1, "\(name): tanh output")
            #expect(noGrad { discriminator.score(images, labels: labels) }.shape == [3, 1], "\(name)")
        }
        #expect(throws: DataError.self) { try ModelRegistry.adversarialPair("nope") }
    }
}
