import Neuron
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// One network, four activation functions: how fast each trains, and how many ReLUs die.
/// (Chapter 2.)
struct ActivationsExperiment: Experiment {
    let name = "activations"
    let chapter = "2. Activation functions"
    let summary = "sigmoid, tanh, ReLU and GELU in one MLP: training curves and the fraction of dead ReLUs"
    let details = """
        An MLP of 4 hidden layers of 256 units (PyTorch's default initialisation) with sigmoid,
        tanh, ReLU or GELU, trained on Fashion-MNIST's 60,000 training images with SGD (--lr,
        momentum 0.9), batch 128, for --epochs epochs. In the ReLU network, every 50 steps, a
        probe batch of 1,000 training images measures the fraction of hidden units that output
        zero for all of them: dead ReLUs, which no gradient reaches any more. Writes results.csv, curves.csv, dead.csv and
        activations.png. --quick: 1,000 training and 500 test images, 2 epochs, one seed.

        options:
          --epochs E   epochs (default 8)
          --lr X       SGD learning rate (default 0.05)
        """
    let options: [Options.Spec] = [
        .init(name: "epochs", value: "E", help: "epochs"),
        .init(name: "lr", value: "X", help: "SGD learning rate"),
    ]

    /// The fraction of ReLU units that output zero for every probe image, every `every` steps.
    final class DeadUnits: Callback {
        let model: DeepMLP, probe: Tensor, every: Int
        var trace: [(step: Int, fraction: Double)] = []

        init(model: DeepMLP, probe: Tensor, every: Int) {
            (self.model, self.probe, self.every) = (model, probe, every)
        }

        func measure(step: Int) {
            let hidden = noGrad { model.activations(probe).hidden }
            let dead = hidden.map { ($0.max(axis: 0).values .<= 0).to(.float64).sum().item() }.reduce(0, +)
            trace.append((step, dead / Double(hidden.reduce(0) { $0 + $1.shape[1] })))
        }

        func trainBegin(_ trainer: Trainer) throws { measure(step: 0) }
        func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {
            if trainer.globalStep % every == 0 { measure(step: trainer.globalStep) }
        }
    }

    func run(_ run: ExperimentRun) throws {
        let epochs = run.options.int("epochs", default: run.size(8, quick: 2))
        let lr = run.options.double("lr", default: 0.05)!
        let data = try fashionSubset(run)
        let probe = data.train.inputs.narrowed(axis: 0, start: 0, length: min(1_000, data.train.count))
        let activations = DeepMLP.Activation.allCases
        let arms = activations.map { $0.rawValue }
        run.report("Fashion-MNIST, 4 hidden layers × 256, SGD lr \(lr) momentum 0.9, \(epochs) epochs:")
        let curves = EpochCurves()
        var deadRows: [[String]] = []
        var deadTraces: [Int: [(step: Int, fraction: Double)]] = [:]
        let results = try run.measure(arms, columns: ["train_loss", "test_accuracy", "dead_fraction"]) { arm, seed in
            Random.seed(UInt64(seed))
            let model = DeepMLP(width: 256, depth: 4, activation: activations[arm], generator: RandomGenerator(seed: UInt64(seed)))
            let dead = DeadUnits(model: model, probe: probe, every: run.size(50, quick: 5))
            let log = try trainClassifier(
                model, train: data.train, test: data.test, epochs: epochs, optimizer: SGD(model.parameters(), lr: lr, momentum: 0.9),
                seed: seed, callbacks: activations[arm] == .relu ? [dead] : [])
            curves.add(arm: arm, name: arms[arm], seed: seed, log)
            if activations[arm] == .relu {
                let steps = epochs * ((data.train.count + 127) / 128)
                if dead.trace.last?.step != steps { dead.measure(step: steps) }
                deadRows += dead.trace.map { [arms[arm], "\(seed)", "\($0.step)", "\($0.fraction)"] }
                if seed == run.seed { deadTraces[arm] = dead.trace }
            }
            var figures = ["train_loss": log.last?["loss"] ?? .nan, "test_accuracy": log.last?["val_accuracy"] ?? .nan]
            if activations[arm] == .relu { figures["dead_fraction"] = dead.trace.last?.fraction ?? .nan }
            return figures
        }
        try curves.write(run)
        try run.writeCSV("dead", header: ["arm", "seed", "step", "dead_relu_fraction"], rows: deadRows)
        for figures in results {
            let dead = figures.arm.hasPrefix("relu") ? ", dead ReLUs at the end \(figures.text("dead_fraction", digits: 3))" : ""
            run.report(
                "- \(figures.arm): test accuracy \(figures.text("test_accuracy")), final training loss \(figures.text("train_loss"))\(dead)")
        }
        try run.writePlot(
            "activations",
            [
                curves.chart("Training loss", yLabel: "cross-entropy (log scale)", key: "loss", arms: arms, epochs: epochs, logY: true),
                curves.chart("Test accuracy", yLabel: "test accuracy", key: "val_accuracy", arms: arms, epochs: epochs),
                Plot.Chart(
                    title: "Dead ReLUs (seed \(run.seed))", xLabel: "training step", yLabel: "fraction of hidden units never active",
                    series: arms.indices.filter { activations[$0] == .relu }.map { arm in
                        let trace = deadTraces[arm] ?? []
                        return Plot.Series(arms[arm], xs: trace.map { Double($0.step) }, ys: trace.map { $0.fraction })
                    }),
            ])
    }
}
