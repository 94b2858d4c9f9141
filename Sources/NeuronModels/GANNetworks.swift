import Neuron
import NeuronNN

/// The fully connected generator of the classic MNIST GAN: noise 64-256-512-784 with
/// LeakyReLU(0.2) and a tanh output, reshaped to [N, 1, 28, 28]. Parameter names are those of
/// PyTorch's `nn.Sequential` ("0.weight", "2.weight", "4.weight").
public final class MLPGenerator: Module, Layer, ImageGenerator {
    public let layers: Sequential
    public let latentSize: Int
    public var classCount: Int? { nil }

    public init(latent: Int = 64, generator: RandomGenerator = Random.generator) {
        latentSize = latent
        layers = Sequential(
            Linear(latent, 256, generator: generator), LeakyReLU(negativeSlope: 0.2),
            Linear(256, 512, generator: generator), LeakyReLU(negativeSlope: 0.2),
            Linear(512, 784, generator: generator), Tanh(), Unflatten(axis: 1, sizes: [1, 28, 28]))
        super.init()
    }

    public override func namedChildren() -> [(String, Module)] { layers.namedChildren() }
    public func generate(_ noise: Tensor, labels: Tensor?) -> Tensor { layers(noise) }
    public func forward(_ noise: Tensor) -> Tensor { layers(noise) }
}

/// The fully connected discriminator: 784-512-256-1 with LeakyReLU(0.2), one logit per image.
public final class MLPDiscriminator: Module, Layer, ImageDiscriminator {
    public let layers: Sequential
    public var classCount: Int? { nil }

    public init(generator: RandomGenerator = Random.generator) {
        layers = Sequential(
            Flatten(), Linear(784, 512, generator: generator), LeakyReLU(negativeSlope: 0.2),
            Linear(512, 256, generator: generator), LeakyReLU(negativeSlope: 0.2), Linear(256, 1, generator: generator))
        super.init()
    }

    public override func namedChildren() -> [(String, Module)] { layers.namedChildren() }
    public func score(_ images: Tensor, labels: Tensor?) -> Tensor { layers(images) }
    public func forward(_ images: Tensor) -> Tensor { layers(images) }
}

/// DCGAN's generator for 28 × 28 images (Radford et al., scaled to Fashion-MNIST): noise (and,
/// when conditional, a learned class embedding of `embedding` numbers, concatenated to it) →
/// Linear to 2w × 7 × 7 → BatchNorm-ReLU → ConvTranspose(2w → w, 4, stride 2) to 14 × 14 →
/// BatchNorm-ReLU → ConvTranspose(w → 1, 4, stride 2) to 28 × 28 → tanh. Weights start as
/// DCGAN's N(0, 0.02) (batch-norm scales N(1, 0.02)).
public final class DCGANGenerator: Module, ImageGenerator {
    @ModuleInfo(key: "label_embedding") public var labelEmbedding: Embedding? = nil
    public let project: Linear
    public let layers: Sequential
    public let latentSize: Int
    public let classCount: Int?

    public init(
        latent: Int = 64, width: Int = 32, classes: Int? = nil, embedding: Int = 16,
        generator: RandomGenerator = Random.generator
    ) {
        latentSize = latent
        classCount = classes
        labelEmbedding = classes.map { Embedding($0, embedding, generator: generator) }
        project = Linear(latent + (classes == nil ? 0 : embedding), 2 * width * 7 * 7, generator: generator)
        layers = Sequential(
            Unflatten(axis: 1, sizes: [2 * width, 7, 7]), BatchNorm2d(2 * width), ReLU(),
            ConvTranspose2d(2 * width, width, kernelSize: 4, stride: 2, padding: 1, generator: generator), BatchNorm2d(width), ReLU(),
            ConvTranspose2d(width, 1, kernelSize: 4, stride: 2, padding: 1, generator: generator), Tanh())
        super.init()
        dcganInitialize(self, generator: generator)
    }

    public func generate(_ noise: Tensor, labels: Tensor?) -> Tensor {
        precondition(
            noise.rank == 2 && noise.shape[1] == latentSize,
            "DCGANGenerator: expects noise [N, \(latentSize)], got \(noise.shape)")
        var input = noise
        if let labelEmbedding {
            guard let labels else { preconditionFailure("DCGANGenerator: a conditional generator needs labels [\(noise.shape[0])]") }
            input = Tensor.concat([noise, labelEmbedding(labels)], axis: 1)
        }
        return layers(project(input))
    }
}

/// DCGAN's discriminator for 28 × 28 images: Conv(c → w, 4, stride 2)-LeakyReLU(0.2) to 14 × 14,
/// Conv(w → 2w, 4, stride 2)-[BatchNorm]-LeakyReLU(0.2) to 7 × 7, Linear to one score. A
/// conditional one adds a learned 28 × 28 map per class as a second input channel. WGAN-GP's
/// critic is built with `batchNorm: false`, since the gradient penalty is taken per sample.
public final class DCGANDiscriminator: Module, ImageDiscriminator {
    @ModuleInfo(key: "label_embedding") public var labelEmbedding: Embedding? = nil
    public let layers: Sequential
    public let classCount: Int?

    public init(width: Int = 32, classes: Int? = nil, batchNorm: Bool = true, generator: RandomGenerator = Random.generator) {
        classCount = classes
        labelEmbedding = classes.map { Embedding($0, 28 * 28, generator: generator) }
        let middle: [any Layer] = batchNorm ? [BatchNorm2d(2 * width), LeakyReLU(negativeSlope: 0.2)] : [LeakyReLU(negativeSlope: 0.2)]
        layers = Sequential(
            [
                Conv2d(classes == nil ? 1 : 2, width, kernelSize: 4, stride: 2, padding: 1, generator: generator), LeakyReLU(negativeSlope: 0.2),
                Conv2d(width, 2 * width, kernelSize: 4, stride: 2, padding: 1, generator: generator),
            ] + middle
                + [Flatten(), Linear(2 * width * 7 * 7, 1, generator: generator)])
        super.init()
        dcganInitialize(self, generator: generator)
    }

    public func score(_ images: Tensor, labels: Tensor?) -> Tensor {
        precondition(
            images.rank == 4 && Array(images.shape.dropFirst()) == [1, 28, 28],
            "DCGANDiscriminator: expects images [N, 1, 28, 28], got \(images.shape)")
        var input = images
        if let labelEmbedding {
            guard let labels else { preconditionFailure("DCGANDiscriminator: a conditional discriminator needs labels [\(images.shape[0])]") }
            input = Tensor.concat([images, labelEmbedding(labels).reshaped([images.shape[0], 1, 28, 28])], axis: 1)
        }
        return layers(input)
    }
}

/// DCGAN's initialisation: convolution and linear weights N(0, 0.02), batch-norm scales
/// N(1, 0.02), biases zero; embeddings keep N(0, 1).
func dcganInitialize(_ model: Module, generator: RandomGenerator) {
    noGrad {
        for (name, module) in model.namedModules() where !name.hasSuffix("embedding") {
            switch module {
            case let layer as Conv2d:
                layer.weight.assign(Tensor.normal(layer.weight.shape, std: 0.02, generator: generator))
                layer.bias?.zero()
            case let layer as ConvTranspose2d:
                layer.weight.assign(Tensor.normal(layer.weight.shape, std: 0.02, generator: generator))
                layer.bias?.zero()
            case let layer as Linear:
                layer.weight.assign(Tensor.normal(layer.weight.shape, std: 0.02, generator: generator))
                layer.bias?.zero()
            case let layer as BatchNorm:
                layer.weight?.assign(Tensor.normal(layer.weight!.shape, mean: 1, std: 0.02, generator: generator))
                layer.bias?.zero()
            default: break
            }
        }
    }
}
