import Neuron
import NeuronData
import NeuronNN

extension SavedModel {
    /// A Fashion-MNIST classifier written by `neuron train` (`lenet` or `mlp`, trained on
    /// standardised pixels) as a feature extractor and head: the features are its penultimate
    /// layer's activations (LeNet-5: the 84 ReLU outputs before the last linear layer), the
    /// head is that last layer. Both take images in [0, 1].
    public static func featureClassifier(_ path: String) throws -> FeatureClassifier {
        let (model, metadata) = try load(path)
        let layers: Sequential
        switch model {
        case let lenet as LeNet5: layers = lenet.layers
        case let mlp as MLP: layers = mlp.layers
        default:
            throw DataError("\(path) holds a '\(metadata["model"] ?? "?")' model; the quality classifier must be a lenet or mlp")
        }
        let trunk = Sequential((0..<(layers.count - 1)).map { layers[$0] })
        let head = layers[layers.count - 1]
        return FeatureClassifier(
            name: "\(metadata["model"] ?? "classifier") (\(path))",
            features: { trunk(FashionMNIST.normalize($0)) }, head: { head($0) })
    }
}
