import Neuron
import NeuronNN

/// Keras' "simple MNIST convnet" for 1 × 28 × 28 images: Conv(1, 32, 3)-ReLU-MaxPool(2)-
/// Conv(32, 64, 3)-ReLU-MaxPool(2)-Flatten-Dropout(0.5)-Linear(1600, classes), 34,826
/// parameters for ten classes. Parameter names are those of the equivalent PyTorch
/// `nn.Sequential` ("0.weight", "3.weight", "8.weight").
public final class ConvNet: Module, Layer {
    public let layers: Sequential

    public init(classes: Int = 10, generator: RandomGenerator = Random.generator) {
        layers = Sequential(
            Conv2d(1, 32, kernelSize: 3, generator: generator), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, kernelSize: 3, generator: generator), ReLU(), MaxPool2d(2),
            Flatten(), Dropout(0.5, generator: generator),
            Linear(64 * 5 * 5, classes, generator: generator))
        super.init()
    }

    public override func namedChildren() -> [(String, Module)] { layers.namedChildren() }

    public func forward(_ input: Tensor) -> Tensor { layers(input) }
}

extension ModelEntry {
    /// `neuron train --model convnet`: trains like the other classifiers (Adam 1e-3, 5 epochs).
    public static let convnet = classifier(
        "convnet", "Keras' MNIST convnet: 3×3 convolutions (32, 64) with max pooling, dropout 0.5, one linear layer",
        learningRate: 1e-3
    ) { ConvNet(classes: $0, generator: $1) }
}
