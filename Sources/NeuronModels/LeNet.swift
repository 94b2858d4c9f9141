import Neuron
import NeuronNN

/// LeNet-5 for 1 × 28 × 28 images: Conv(1, 6, 5, pad 2)-ReLU-MaxPool(2)-Conv(6, 16, 5)-ReLU-
/// MaxPool(2)-Linear(400, 120)-ReLU-Linear(120, 84)-ReLU-Linear(84, 10). Parameter names are
/// those of the equivalent PyTorch `nn.Sequential` ("0.weight", "3.weight", "7.weight", …).
public final class LeNet5: Module, Layer {
    public let layers: Sequential

    public init(classes: Int = 10, generator: RandomGenerator = Random.generator) {
        layers = Sequential(
            Conv2d(1, 6, kernelSize: 5, padding: 2, generator: generator), ReLU(), MaxPool2d(2),
            Conv2d(6, 16, kernelSize: 5, generator: generator), ReLU(), MaxPool2d(2),
            Flatten(),
            Linear(400, 120, generator: generator), ReLU(),
            Linear(120, 84, generator: generator), ReLU(),
            Linear(84, classes, generator: generator))
        super.init()
    }

    public override func namedChildren() -> [(String, Module)] { layers.namedChildren() }

    public func forward(_ input: Tensor) -> Tensor { layers(input) }
}
