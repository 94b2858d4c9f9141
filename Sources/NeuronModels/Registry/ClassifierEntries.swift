import Neuron
import NeuronNN

/// The Fashion-MNIST image classifiers. Their head has `classes` outputs (metadata "classes",
/// default 10), so a saved classifier of another class count rebuilds too.
extension ModelEntry {
    public static let mlp = classifier(
        "mlp", "784-256-128-10 multi-layer perceptron with ReLU", learningRate: 1e-3
    ) { MLP(outputs: $0, generator: $1) }

    public static let lenet = classifier(
        "lenet", "LeNet-5: two 5×5 convolutions with max pooling, three linear layers", learningRate: 3e-3
    ) {
        LeNet5(classes: $0, generator: $1)
    }

    public static let resnet20 = classifier(
        "resnet20", "ResNet-20: 3×3 stem, 3 stages of 3 basic residual blocks (16/32/64), batch norm", learningRate: 1e-3
    ) {
        ResNet20(classes: $0, generator: $1)
    }

    public static let lstm = classifier(
        "lstm", "LSTM(128) reading each image row by row (28 steps of 28 pixels), then a linear layer", epochs: 3, learningRate: 3e-3
    ) {
        RowLSTM(classes: $0, generator: $1)
    }

    /// An image classifier of Fashion-MNIST, built by `make(classes, generator)`.
    public static func classifier(
        _ name: String, _ summary: String, epochs: Int = 5, learningRate: Double,
        make: @escaping @Sendable (Int, RandomGenerator) -> any Layer
    ) -> ModelEntry {
        ModelEntry(
            name: name, family: .classifier, summary: summary,
            defaults: TrainingDefaults(epochs: epochs, learningRate: learningRate)
        ) { config, generator in
            .network(make(try config.integer("classes", default: 10), generator))
        }
    }
}
