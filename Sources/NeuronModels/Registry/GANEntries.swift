import Neuron
import NeuronNN

/// The adversarial pairs of Fashion-MNIST: a generator and a discriminator each.
extension ModelEntry {
    public static let gan = adversarial(
        "gan", "MLP GAN: generator 64-256-512-784, discriminator 784-512-256-1, LeakyReLU 0.2, non-saturating loss"
    ) {
        (MLPGenerator(latent: $0, generator: $1), MLPDiscriminator(generator: $1))
    }

    public static let dcgan = adversarial(
        "dcgan", "DCGAN: transposed convolutions with batch norm in G, strided convolutions with LeakyReLU in D"
    ) {
        (DCGANGenerator(latent: $0, generator: $1), DCGANDiscriminator(generator: $1))
    }

    public static let cgan = adversarial(
        "cgan", "conditional DCGAN: a class embedding into G's input and D's second channel"
    ) {
        (DCGANGenerator(latent: $0, classes: 10, generator: $1), DCGANDiscriminator(classes: 10, generator: $1))
    }

    public static let wganGP = adversarial(
        "wgan-gp", "WGAN-GP on the DCGAN networks (critic without batch norm), gradient penalty 10, 5 critic steps",
        loss: "wasserstein", discriminatorSteps: 5, betas: (0, 0.9)
    ) {
        (DCGANGenerator(latent: $0, generator: $1), DCGANDiscriminator(batchNorm: false, generator: $1))
    }

    /// A generator and discriminator for noise of `--latent` numbers, built by `make(latent, generator)`.
    public static func adversarial(
        _ name: String, _ summary: String, loss: String = "non-saturating", discriminatorSteps: Int = 1,
        betas: (Double, Double) = (0.5, 0.999),
        make: @escaping @Sendable (Int, RandomGenerator) -> (any ImageGenerator, any ImageDiscriminator)
    ) -> ModelEntry {
        ModelEntry(
            name: name, family: .gan, summary: summary,
            defaults: TrainingDefaults(epochs: 10, learningRate: 2e-4, schedule: "constant", betas: betas),
            options: [
                ModelOption("latent", "Z", .integer(default: 64, minimum: 1), help: "size of the generator's noise"),
                ModelOption(
                    "loss", "NAME", .choice(["non-saturating", "least-squares", "wasserstein"], default: loss),
                    help: "non-saturating, least-squares or wasserstein (WGAN-GP)"),
                ModelOption(
                    "d-steps", "K", .integer(default: discriminatorSteps, minimum: 1),
                    help: "discriminator updates per generator update"),
            ]
        ) { config, generator in
            let (g, d) = make(try config.integer("latent"), generator)
            return .adversarial(generator: g, discriminator: d)
        }
    }
}
