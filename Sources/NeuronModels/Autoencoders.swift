import Neuron
import NeuronNN

/// A model that maps images to codes: an autoencoder's bottleneck, a VAE's posterior mean.
public protocol CodeEncoder: Module {
    /// The codes [N, Z] of images [N, 1, 28, 28].
    func codes(_ images: Tensor) -> Tensor
}

extension DenseAutoencoder: CodeEncoder {
    public func codes(_ images: Tensor) -> Tensor { encode(images) }
}

extension ConvAutoencoder: CodeEncoder {
    public func codes(_ images: Tensor) -> Tensor { encode(images) }
}

/// The dense autoencoder of the peers' benchmark: 784-128-`latent`-128-784 with ReLU and a
/// sigmoid output, for raw [0, 1] pixels. Takes [N, 1, 28, 28] (or [N, 784]) and returns the
/// reconstruction in the input's shape.
public final class DenseAutoencoder: Module, Layer {
    public let encoder: Sequential, decoder: Sequential
    public let latentSize: Int

    public init(inputs: Int = 784, hidden: Int = 128, latent: Int = 32, generator: RandomGenerator = Random.generator) {
        latentSize = latent
        encoder = Sequential(Flatten(), Linear(inputs, hidden, generator: generator), ReLU(), Linear(hidden, latent, generator: generator))
        decoder = Sequential(Linear(latent, hidden, generator: generator), ReLU(), Linear(hidden, inputs, generator: generator), Sigmoid())
        super.init()
    }

    /// The codes [N, latent] of a batch of images.
    public func encode(_ input: Tensor) -> Tensor { encoder(input) }

    /// Images [N, 784] in [0, 1] from codes.
    public func decode(_ codes: Tensor) -> Tensor { decoder(codes) }

    public func forward(_ input: Tensor) -> Tensor { decode(encode(input)).reshaped(input.shape) }
}

/// A convolutional autoencoder for 1 × 28 × 28 images: two stride-2 3×3 convolutions
/// (16 and 32 channels, 28 → 14 → 7) and a linear map to `latent` codes; the decoder mirrors
/// it with transposed convolutions (7 → 14 → 28) and a sigmoid output.
public final class ConvAutoencoder: Module, Layer {
    public let encoder: Sequential, decoder: Sequential
    public let latentSize: Int

    public init(latent: Int = 32, generator: RandomGenerator = Random.generator) {
        latentSize = latent
        encoder = Sequential(
            Conv2d(1, 16, kernelSize: 3, stride: 2, padding: 1, generator: generator), ReLU(),
            Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1, generator: generator), ReLU(),
            Flatten(), Linear(32 * 7 * 7, latent, generator: generator))
        decoder = Sequential(
            Linear(latent, 32 * 7 * 7, generator: generator), ReLU(), Unflatten(axis: 1, sizes: [32, 7, 7]),
            ConvTranspose2d(32, 16, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, generator: generator), ReLU(),
            ConvTranspose2d(16, 1, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, generator: generator), Sigmoid())
        super.init()
    }

    /// The codes [N, latent] of images [N, 1, 28, 28].
    public func encode(_ input: Tensor) -> Tensor { encoder(input) }

    /// Images [N, 1, 28, 28] in [0, 1] from codes.
    public func decode(_ codes: Tensor) -> Tensor { decoder(codes) }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            input.rank == 4 && Array(input.shape.dropFirst()) == [1, 28, 28],
            "ConvAutoencoder: expects images [N, 1, 28, 28], got \(input.shape)")
        return decode(encode(input))
    }
}
