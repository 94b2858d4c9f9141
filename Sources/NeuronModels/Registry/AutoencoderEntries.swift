import Neuron
import NeuronNN

/// The autoencoders and variational autoencoders of Fashion-MNIST's raw [0, 1] pixels.
extension ModelEntry {
    static let latent = ModelOption("latent", "Z", .integer(default: 32, minimum: 1), help: "size of the codes")

    public static let autoencoder = autoencoder(
        "autoencoder", "dense autoencoder 784-128-Z-128-784, reconstruction MSE"
    ) { DenseAutoencoder(latent: $0, generator: $1) }

    public static let convAutoencoder = autoencoder(
        "conv-autoencoder", "convolutional autoencoder (strided convolutions, transposed convolutions)"
    ) {
        ConvAutoencoder(latent: $0, generator: $1)
    }

    public static let denoisingAutoencoder = autoencoder(
        "denoising-autoencoder", "the convolutional autoencoder trained to undo pixel noise",
        options: [
            ModelOption(
                "noise", "KIND", .choice(["gaussian", "masking"], default: "gaussian"),
                help: "gaussian (clamped to [0, 1]) or masking", group: "noise"),
            ModelOption(
                "noise-level", "X", .number(default: 0.3, nonNegative: false),
                help: "the Gaussian's std or the masking probability", group: "noise"),
        ]
    ) { ConvAutoencoder(latent: $0, generator: $1) }

    public static let vae = variational("vae", "dense VAE 784-400-(2×Z), Bernoulli decoder", importanceSamples: 100) {
        DenseVAE(latent: $0, generator: $1)
    }

    public static let convVAE = variational("conv-vae", "convolutional VAE, Bernoulli decoder", importanceSamples: 10) {
        ConvVAE(latent: $0, generator: $1)
    }

    /// An autoencoder with a `--latent` code size, built by `make(latent, generator)`.
    public static func autoencoder(
        _ name: String, _ summary: String, family: ModelFamily = .autoencoder, options: [ModelOption] = [],
        make: @escaping @Sendable (Int, RandomGenerator) -> any Layer
    ) -> ModelEntry {
        ModelEntry(
            name: name, family: family, summary: summary, defaults: TrainingDefaults(learningRate: 1e-3),
            options: [latent] + options
        ) { config, generator in
            // Files written before the code size was stored hold the default, 32.
            .network(make(try config.integer("latent", default: 32), generator))
        }
    }

    static func variational(
        _ name: String, _ summary: String, importanceSamples: Int,
        make: @escaping @Sendable (Int, RandomGenerator) -> any Layer
    ) -> ModelEntry {
        autoencoder(
            name, summary, family: .variationalAutoencoder,
            options: [
                ModelOption("beta", "B", .number(default: 1, nonNegative: true), help: "weight of the KL term"),
                ModelOption("binarize", "", .flag, help: "pixels redrawn as Bernoulli samples each time an image is seen"),
                ModelOption(
                    "iw-samples", "K", .integer(default: importanceSamples, minimum: 1),
                    help: "importance samples of the test NLL estimate"),
            ], make: make)
    }
}
