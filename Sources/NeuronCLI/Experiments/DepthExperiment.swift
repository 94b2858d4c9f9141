import Neuron
import NeuronModels
import NeuronNN
import NeuronViz

/// Does depth help at an equal number of weights? MLPs of 1, 2, 4 and 8 hidden layers on
/// Fashion-MNIST, each as wide as the parameter budget allows. (Chapter 1.)
struct DepthExperiment: Experiment {
    let name = "depth"
    let chapter = "1. Neural networks and depth"
    let summary = "MLPs of 1, 2, 4 and 8 hidden layers at an equal parameter budget on Fashion-MNIST"
    let details = """
        MLPs of 1, 2, 4 and 8 ReLU hidden layers (Kaiming initialisation), each as wide as
        --parameters weights allow, trained on Fashion-MNIST's 60,000 training images with Adam
        1e-3, batch 128, for --epochs epochs; test accuracy on the 10,000 test images after each
        epoch. Writes results.csv (final figures per arm and seed), curves.csv (per epoch) and
        depth.png. --quick: 1,000 training and 500 test images, 2 epochs, one seed.

        options:
          --parameters P   weights per network (default 200000)
          --epochs E       epochs (default 10)
        """
    let options: [Options.Spec] = [
        .init(name: "parameters", value: "P", help: "weights per network"),
        .init(name: "epochs", value: "E", help: "epochs"),
    ]

    func run(_ run: ExperimentRun) throws {
        let budget = run.options.int("parameters", default: 200_000, minimum: 1_000)
        let epochs = run.options.int("epochs", default: run.size(10, quick: 2))
        let data = try fashionSubset(run)
        let depths = [1, 2, 4, 8]
        let widths = depths.map { DeepMLP.width(forParameters: budget, depth: $0) }
        let arms = zip(depths, widths).map { "\($0.0) hidden × \($0.1)" }
        run.report("Fashion-MNIST, \(data.train.count) training images, \(epochs) epochs, at most \(budget) weights per network:")
        let curves = EpochCurves()
        let results = try run.measure(arms, columns: ["depth", "width", "parameters", "train_loss", "test_accuracy"]) { arm, seed in
            Random.seed(UInt64(seed))
            let model = DeepMLP(
                width: widths[arm], depth: depths[arm], activation: .relu, initialization: .kaiming, generator: RandomGenerator(seed: UInt64(seed)))
            let epochsLog = try trainClassifier(
                model, train: data.train, test: data.test, epochs: epochs, optimizer: Adam(model.parameters(), lr: 1e-3), seed: seed)
            curves.add(arm: arm, name: arms[arm], seed: seed, epochsLog)
            return [
                "depth": Double(depths[arm]), "width": Double(widths[arm]),
                "parameters": Double(model.parameters().reduce(0) { $0 + $1.count }),
                "train_loss": epochsLog.last?["loss"] ?? .nan, "test_accuracy": epochsLog.last?["val_accuracy"] ?? .nan,
            ]
        }
        try curves.write(run)
        for figures in results {
            run.report(
                "- \(figures.arm) (\(Int(figures.mean("parameters"))) weights): test accuracy \(figures.text("test_accuracy")), "
                    + "final training loss \(figures.text("train_loss"))")
        }
        try run.writePlot(
            "depth",
            [
                curves.chart(
                    "Test accuracy at \(budget / 1000)k weights", yLabel: "test accuracy", key: "val_accuracy", arms: arms, epochs: epochs),
                curves.chart("Training loss", yLabel: "cross-entropy (log scale)", key: "loss", arms: arms, epochs: epochs, logY: true),
            ])
    }
}
