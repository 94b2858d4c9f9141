import Neuron
import NeuronNN

/// A multi-layer perceptron for images: flatten, then Linear + ReLU blocks, then a linear
/// classifier. `MLP(inputs: 784, hidden: [256, 128], outputs: 10)` is the Fashion-MNIST model.
public final class MLP: Module, Layer {
    public let layers: Sequential

    public init(
        inputs: Int = 784, hidden: [Int] = [256, 128], outputs: Int = 10,
        generator: RandomGenerator = Random.generator
    ) {
        var stack: [any Layer] = [Flatten()]
        var width = inputs
        for size in hidden {
            stack.append(Linear(width, size, generator: generator))
            stack.append(ReLU())
            width = size
        }
        stack.append(Linear(width, outputs, generator: generator))
        layers = Sequential(stack)
        super.init()
    }

    /// PyTorch's `nn.Sequential(nn.Flatten(), nn.Linear(…), nn.ReLU(), …)` names: "1.weight", ….
    public override func namedChildren() -> [(String, Module)] { layers.namedChildren() }

    public func forward(_ input: Tensor) -> Tensor { layers(input) }
}
