import Neuron

/// A trained image classifier split into a feature extractor (its penultimate layer) and the
/// head that maps features to class logits; both take images in [0, 1].
public struct FeatureClassifier {
    public let features: (Tensor) -> Tensor
    public let head: (Tensor) -> Tensor
    public let name: String
    /// Where the classifier's parameters are: images are moved there.
    public var device: Device = .cpu

    public init(name: String, features: @escaping (Tensor) -> Tensor, head: @escaping (Tensor) -> Tensor) {
        (self.name, self.features, self.head) = (name, features, head)
    }

    /// Features of images [N, …] in [0, 1], in chunks of 1,000, without recording.
    public func features(of images: Tensor) -> Tensor {
        noGrad {
            Tensor.concat(
                stride(from: 0, to: images.shape[0], by: 1000).map { start in
                    features(images.narrowed(axis: 0, start: start, length: min(1000, images.shape[0] - start)).to(device))
                })
        }
    }
}
