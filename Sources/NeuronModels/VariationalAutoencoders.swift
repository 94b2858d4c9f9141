import Neuron
import NeuronNN

/// A dense variational autoencoder for 28 × 28 images: 784-400 ReLU, then the mean and
/// log-variance of a `latent`-dimensional Gaussian; the decoder maps codes through 400 ReLU to
/// 784 Bernoulli logits. `forward` returns the mean reconstruction (pixel probabilities) of
/// the posterior mean, in the input's shape.
public final class DenseVAE: Module, Layer, VariationalAutoencoderModel {
    public let encoder: Sequential, mean: Linear, logVariance: Linear, decoder: Sequential
    public let latentSize: Int

    public init(hidden: Int = 400, latent: Int = 32, generator: RandomGenerator = Random.generator) {
        latentSize = latent
        encoder = Sequential(Flatten(), Linear(784, hidden, generator: generator), ReLU())
        mean = Linear(hidden, latent, generator: generator)
        logVariance = Linear(hidden, latent, generator: generator)
        decoder = Sequential(Linear(latent, hidden, generator: generator), ReLU(), Linear(hidden, 784, generator: generator))
        super.init()
    }

    public func encode(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        let h = encoder(images)
        return (mean(h), logVariance(h))
    }

    public func decodeLogits(_ codes: Tensor) -> Tensor { decoder(codes) }

    public func forward(_ input: Tensor) -> Tensor { decodeLogits(encode(input).mean).sigmoid().reshaped(input.shape) }
}

/// A convolutional variational autoencoder: the convolutional autoencoder's encoder trunk
/// (two stride-2 convolutions, 28 → 7) with Gaussian heads, and its transposed-convolution
/// decoder ending in Bernoulli logits.
public final class ConvVAE: Module, Layer, VariationalAutoencoderModel {
    public let encoder: Sequential, mean: Linear, logVariance: Linear, decoder: Sequential
    public let latentSize: Int

    public init(latent: Int = 32, generator: RandomGenerator = Random.generator) {
        latentSize = latent
        encoder = Sequential(
            Conv2d(1, 32, kernelSize: 3, stride: 2, padding: 1, generator: generator), ReLU(),
            Conv2d(32, 64, kernelSize: 3, stride: 2, padding: 1, generator: generator), ReLU(), Flatten())
        mean = Linear(64 * 7 * 7, latent, generator: generator)
        logVariance = Linear(64 * 7 * 7, latent, generator: generator)
        decoder = Sequential(
            Linear(latent, 64 * 7 * 7, generator: generator), ReLU(), Unflatten(axis: 1, sizes: [64, 7, 7]),
            ConvTranspose2d(64, 32, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, generator: generator), ReLU(),
            ConvTranspose2d(32, 1, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, generator: generator), Flatten())
        super.init()
    }

    public func encode(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        precondition(
            images.rank == 4 && Array(images.shape.dropFirst()) == [1, 28, 28],
            "ConvVAE: expects images [N, 1, 28, 28], got \(images.shape)")
        let h = encoder(images)
        return (mean(h), logVariance(h))
    }

    public func decodeLogits(_ codes: Tensor) -> Tensor { decoder(codes) }

    public func forward(_ input: Tensor) -> Tensor { decodeLogits(encode(input).mean).sigmoid().reshaped(input.shape) }
}

extension DenseVAE: CodeEncoder {
    public func codes(_ images: Tensor) -> Tensor { encode(images).mean }
}

extension ConvVAE: CodeEncoder {
    public func codes(_ images: Tensor) -> Tensor { encode(images).mean }
}
