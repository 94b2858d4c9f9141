import Neuron
import NeuronNN

/// The Fashion-MNIST classifiers the command-line tool can train by name.
public enum ModelZoo {
    /// Names accepted by `make`, with a one-line description each.
    public static let catalogue: [(name: String, description: String)] = [
        ("mlp", "784-256-128-10 multi-layer perceptron with ReLU"),
        ("lenet", "LeNet-5: two 5×5 convolutions with max pooling, three linear layers"),
        ("resnet20", "ResNet-20: 3×3 stem, 3 stages of 3 basic residual blocks (16/32/64), batch norm"),
        ("lstm", "LSTM(128) reading each image row by row (28 steps of 28 pixels), then a linear layer"),
    ]

    public static var names: [String] { catalogue.map { $0.name } }

    /// The Adam learning rate each model trains best with in five epochs here.
    public static func defaultLearningRate(_ name: String) -> Double {
        name == "lenet" || name == "lstm" ? 3e-3 : 1e-3
    }

    /// A freshly initialised model with `classes` outputs, or nil for an unknown name.
    public static func make(_ name: String, classes: Int = 10, generator: RandomGenerator = Random.generator) -> (any Layer)? {
        switch name {
        case "mlp": MLP(outputs: classes, generator: generator)
        case "lenet": LeNet5(classes: classes, generator: generator)
        case "resnet20": ResNet20(classes: classes, generator: generator)
        case "lstm": RowLSTM(classes: classes, generator: generator)
        default: nil
        }
    }
}
