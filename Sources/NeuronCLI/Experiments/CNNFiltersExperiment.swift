import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// What convolutions learn, and what weight sharing and pooling buy: LeNet-5 against an MLP of
/// the same size and against itself without pooling. (Chapter 3.)
struct CNNFiltersExperiment: Experiment {
    let name = "cnn-filters"
    let chapter = "3. Convolutional networks"
    let summary = "LeNet-5's learned filters and feature maps; CNN vs MLP at an equal parameter count; with and without pooling"
    let details = """
        Trains, on Fashion-MNIST's 60,000 training images (Adam 1e-3, batch 128, --epochs
        epochs): LeNet-5; an MLP with one hidden layer as wide as LeNet-5's parameter count
        allows; and LeNet-5 without its two max-pooling layers (its first linear layer then
        reads 16 × 24 × 24 values). Each is scored on the 10,000 test images, and on the same
        images shifted 3 pixels to the right (weight sharing makes a convolution see a moved
        object the same way). Draws the first convolution's 6 learned 5 × 5 filters
        (filters.png) and its 6 feature maps for one test image (feature-maps.png). Writes
        results.csv, curves.csv and cnn.png. --quick: 1,000 training and 500 test images,
        one epoch, one seed.

        options:
          --epochs E   epochs (default 5)
        """
    let options: [Options.Spec] = [.init(name: "epochs", value: "E", help: "epochs")]

    /// LeNet-5's layers without the pooling.
    static func unpooledLeNet(generator: RandomGenerator) -> Sequential {
        Sequential(
            Conv2d(1, 6, kernelSize: 5, padding: 2, generator: generator), ReLU(),
            Conv2d(6, 16, kernelSize: 5, generator: generator), ReLU(), Flatten(),
            Linear(16 * 24 * 24, 120, generator: generator), ReLU(),
            Linear(120, 84, generator: generator), ReLU(), Linear(84, 10, generator: generator))
    }

    /// Standardised images moved `pixels` to the right, the background filling the gap.
    static func shifted(_ images: Tensor, by pixels: Int) -> Tensor {
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let background = Tensor.zeros([n, c, h, pixels]) + FashionMNIST.normalize(Tensor.zeros([1]))
        return Tensor.concat([background, images.narrowed(axis: 3, start: 0, length: w - pixels)], axis: 3)
    }

    func run(_ run: ExperimentRun) throws {
        let epochs = run.options.int("epochs", default: run.size(5, quick: 1))
        let data = try fashionSubset(run)
        let shiftedTest = TensorDataset(inputs: Self.shifted(data.test.inputs, by: 3), targets: data.test.targets)
        let lenetSize = LeNet5().parameters().reduce(0) { $0 + $1.count }
        let mlpWidth = DeepMLP.width(forParameters: lenetSize, depth: 1)
        let arms = ["LeNet-5", "MLP 784-\(mlpWidth)-10", "LeNet-5 without pooling"]
        run.report("Fashion-MNIST, \(data.train.count) training images, \(epochs) epochs, Adam 1e-3:")
        let curves = EpochCurves()
        var firstLeNet: LeNet5?
        let results = try run.measure(arms, columns: ["parameters", "test_accuracy", "shifted_test_accuracy"]) { arm, seed in
            Random.seed(UInt64(seed))
            let generator = RandomGenerator(seed: UInt64(seed))
            let model: any Module & Layer =
                switch arm {
                case 0: LeNet5(generator: generator)
                case 1: MLP(hidden: [mlpWidth], generator: generator)
                default: Self.unpooledLeNet(generator: generator)
                }
            let log = try trainClassifier(
                model, train: data.train, test: data.test, epochs: epochs, optimizer: Adam(model.parameters(), lr: 1e-3), seed: seed)
            curves.add(arm: arm, name: arms[arm], seed: seed, log)
            if seed == run.seed && arm == 0 { firstLeNet = model as? LeNet5 }
            model.eval()
            let shiftedAccuracy =
                try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0), loss: { crossEntropy($0, $1) })
                .evaluate(DataLoader(shiftedTest, batchSize: 1000))["accuracy"] ?? .nan
            return [
                "parameters": Double(model.parameters().reduce(0) { $0 + $1.count }),
                "test_accuracy": log.last?["val_accuracy"] ?? .nan, "shifted_test_accuracy": shiftedAccuracy,
            ]
        }
        try curves.write(run)
        for figures in results {
            run.report(
                "- \(figures.arm) (\(Int(figures.mean("parameters"))) weights): test accuracy \(figures.text("test_accuracy")), "
                    + "shifted 3 pixels \(figures.text("shifted_test_accuracy"))")
        }
        try run.writePlot(
            "cnn",
            [
                Plot.Chart(
                    title: "Test accuracy", xLabel: "epoch", yLabel: "test accuracy",
                    series: arms.indices.map { arm in
                        let log = curves.log(arm, seed: run.seed)
                        return Plot.Series(
                            arms[arm], xs: log.map { $0["epoch"] ?? 0 }, ys: log.map { $0["val_accuracy"] ?? .nan }, points: log.count == 1)
                    })
            ])
        // The first convolution of the first seed's LeNet-5: its filters, and its maps of one test image.
        guard let lenet = firstLeNet, let conv = lenet.layers[0] as? Conv2d else { return }
        func stretched(_ x: Tensor) -> Tensor {
            let flat = x.reshaped([x.shape[0], -1])
            let low = flat.min(axis: 1).values.reshaped([-1, 1, 1, 1]), high = flat.max(axis: 1).values.reshaped([-1, 1, 1, 1])
            return (x - low) / (high - low + 1e-8)
        }
        try run.writeImages("filters", stretched(conv.weight.detach()), columns: 6, scale: 12)
        let image = data.test.inputs.narrowed(axis: 0, start: 0, length: 1)
        let maps = noGrad { lenet.layers[1](conv(image)) }.reshaped([6, 1, 28, 28])
        try run.writeImages("feature-maps", Tensor.concat([stretched(image), stretched(maps)]), columns: 7, scale: 4)
    }
}
