import Neuron

/// A network that draws images from noise (and, when conditional, from class labels).
public protocol ImageGenerator: Module {
    /// The size of the noise vector per image.
    var latentSize: Int { get }
    /// The number of classes a conditional generator takes; nil when unconditional.
    var classCount: Int? { get }
    /// Images [N, C, H, W] in [−1, 1] for noise [N, latentSize] and, when conditional, int64
    /// class labels [N].
    func generate(_ noise: Tensor, labels: Tensor?) -> Tensor
}

/// A network that scores images as real or generated: a logit, or a critic's score for a
/// Wasserstein GAN.
public protocol ImageDiscriminator: Module {
    /// The number of classes a conditional discriminator takes; nil when unconditional.
    var classCount: Int? { get }
    /// One score per image, [N, 1], for images [N, C, H, W] in [−1, 1] and, when conditional,
    /// int64 labels [N].
    func score(_ images: Tensor, labels: Tensor?) -> Tensor
}

extension ImageGenerator {
    /// `count` images in [0, 1] from noise drawn with `generator`, in evaluation mode and
    /// without recording. A conditional generator needs `labels` (int64 [count]).
    public func sample(count: Int, labels: Tensor? = nil, generator: RandomGenerator) -> Tensor {
        sample(noise: Tensor.normal([count, latentSize], generator: generator), labels: labels)
    }

    /// Images in [0, 1] from given noise [N, latentSize], in evaluation mode and without recording,
    /// on the generator's device (noise and labels are moved there).
    public func sample(noise: Tensor, labels: Tensor? = nil) -> Tensor {
        precondition(
            (classCount == nil) == (labels == nil),
            classCount == nil
                ? "sample: an unconditional generator takes no labels"
                : "sample: a conditional generator needs labels [\(noise.shape.first ?? 0)]")
        let mode = isTraining
        eval()
        defer { train(mode) }
        let device = self.device
        return noGrad { (generate(noise.to(device), labels: labels?.to(device)) + 1) * 0.5 }
    }
}
