import Glibc
import Neuron
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// A 20-layer MLP whose gradients vanish, and what the course's mitigations do about it:
/// initialisation, ReLU, batch norm and skip connections. (Chapter 7.)
struct VanishingGradientsExperiment: Experiment {
    let name = "vanishing-gradients"
    let chapter = "7. Training deep networks"
    let summary = "a 20-layer MLP: per-layer gradient norms and accuracy for sigmoid vs ReLU, four initialisations, batch norm, skips"
    let details = """
        MLPs of 20 hidden layers of 128 units on Fashion-MNIST's 60,000 training images, SGD
        (--lr, momentum 0.9), batch 128, --epochs epochs, one arm per variant: sigmoid with
        N(0, 1) and with Xavier initialisation; ReLU with tiny N(0, 0.01²) and with Kaiming
        initialisation; sigmoid N(0, 1) with batch norm; sigmoid Xavier with skip connections;
        ReLU Kaiming with both. The norm of each hidden layer's weight gradient is recorded on the
        first batch (at initialisation) and averaged over the last epoch. Writes results.csv,
        gradients.csv, curves.csv and gradients.png (log scale). --quick: 2,000 training and
        1,000 test images, 1 epoch, one seed.

        options:
          --epochs E   epochs (default 3)
          --lr X       SGD learning rate (default 0.01)
        """
    let options: [Options.Spec] = [
        .init(name: "epochs", value: "E", help: "epochs"),
        .init(name: "lr", value: "X", help: "SGD learning rate"),
    ]

    struct Variant {
        let name: String, activation: DeepMLP.Activation, initialization: DeepMLP.Initialization, batchNorm: Bool, skip: Bool
    }

    static let variants = [
        Variant(name: "sigmoid, N(0,1)", activation: .sigmoid, initialization: .standardNormal, batchNorm: false, skip: false),
        Variant(name: "sigmoid, Xavier", activation: .sigmoid, initialization: .xavier, batchNorm: false, skip: false),
        Variant(name: "ReLU, tiny", activation: .relu, initialization: .tiny, batchNorm: false, skip: false),
        Variant(name: "ReLU, Kaiming", activation: .relu, initialization: .kaiming, batchNorm: false, skip: false),
        Variant(name: "sigmoid, N(0,1) + batch norm", activation: .sigmoid, initialization: .standardNormal, batchNorm: true, skip: false),
        Variant(name: "sigmoid, Xavier + skips", activation: .sigmoid, initialization: .xavier, batchNorm: false, skip: true),
        Variant(name: "ReLU, Kaiming + BN + skips", activation: .relu, initialization: .kaiming, batchNorm: true, skip: true),
    ]

    /// Each hidden layer's weight-gradient norm: on the first batch, and averaged per epoch.
    final class GradientNorms: Callback {
        let layers: [Linear]
        var atInitialisation: [Double] = []
        var perEpoch: [[Double]] = []
        var sums: [Double], steps = 0

        init(_ layers: [Linear]) {
            self.layers = layers
            sums = [Double](repeating: 0, count: layers.count)
        }

        func afterBackward(_ trainer: Trainer) {
            let norms = layers.map { layer in layer.weight.grad.map { $0.to(.float64).square().sum().item().squareRoot() } ?? 0 }
            if atInitialisation.isEmpty { atInitialisation = norms }
            for index in norms.indices { sums[index] += norms[index] }
            steps += 1
        }

        func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
            perEpoch.append(sums.map { $0 / Double(max(steps, 1)) })
            sums = sums.map { _ in 0 }
            steps = 0
        }
    }

    func run(_ run: ExperimentRun) throws {
        let epochs = run.options.int("epochs", default: run.size(3, quick: 1))
        let lr = run.options.double("lr", default: 0.01)!
        let depth = 20, width = 128
        let data = try fashionSubset(run)
        let variants = Self.variants
        run.report("Fashion-MNIST, \(depth) hidden layers × \(width), SGD lr \(lr) momentum 0.9, \(epochs) epochs:")
        var gradientRows: [[String]] = []
        var initial: [Int: [Double]] = [:], trained: [Int: [Double]] = [:]
        let curves = EpochCurves()
        let results = try run.measure(
            variants.map(\.name), columns: ["first_layer_gradient", "last_layer_gradient", "ratio_last_to_first", "test_accuracy"]
        ) { arm, seed in
            Random.seed(UInt64(seed))
            let variant = variants[arm]
            let model = DeepMLP(
                width: width, depth: depth, activation: variant.activation, initialization: variant.initialization, batchNorm: variant.batchNorm,
                skipConnections: variant.skip, generator: RandomGenerator(seed: UInt64(seed)))
            let norms = GradientNorms(model.hidden)
            let log = try trainClassifier(
                model, train: data.train, test: data.test, epochs: epochs, optimizer: SGD(model.parameters(), lr: lr, momentum: 0.9),
                seed: seed, callbacks: [norms])
            let last = norms.perEpoch.last ?? norms.atInitialisation.map { _ in .nan }
            for layer in 0..<depth {
                gradientRows.append([variant.name, "\(seed)", "\(layer + 1)", "\(norms.atInitialisation[layer])", "\(last[layer])"])
            }
            curves.add(arm: arm, name: variant.name, seed: seed, log)
            if seed == run.seed { (initial[arm], trained[arm]) = (norms.atInitialisation, last) }
            let first = norms.atInitialisation.first ?? .nan, top = norms.atInitialisation.last ?? .nan
            return [
                "first_layer_gradient": first, "last_layer_gradient": top, "ratio_last_to_first": top / first,
                "test_accuracy": log.count == epochs ? (log.last?["val_accuracy"] ?? .nan) : .nan,
            ]
        }
        try run.writeCSV(
            "gradients", header: ["arm", "seed", "layer", "gradient_norm_at_initialisation", "gradient_norm_last_epoch"], rows: gradientRows)
        try curves.write(run)
        run.report("Weight-gradient norm of hidden layer 1 and 20 on the first batch, and test accuracy after training:")
        for figures in results {
            let accuracy = figures.mean("test_accuracy")
            run.report(
                "- \(figures.arm): layer 1 \(scientific(figures.mean("first_layer_gradient"))), layer 20 "
                    + "\(scientific(figures.mean("last_layer_gradient"))) (×\(scientific(figures.mean("ratio_last_to_first")))); "
                    + (accuracy.isNaN ? "training diverged" : "test accuracy \(figures.text("test_accuracy"))"))
        }
        let layers = (1...depth).map(Double.init)
        try run.writePlot(
            "gradients",
            [
                Plot.Chart(
                    title: "At initialisation (first batch)", xLabel: "hidden layer (1 = input side)", yLabel: "weight-gradient norm (log)",
                    series: variants.indices.map { Plot.Series(variants[$0].name, xs: layers, ys: initial[$0] ?? []) }, logY: true),
                Plot.Chart(
                    title: "Last epoch (mean over steps)", xLabel: "hidden layer (1 = input side)", yLabel: "weight-gradient norm (log)",
                    series: variants.indices.map { Plot.Series(variants[$0].name, xs: layers, ys: trained[$0] ?? []) }, logY: true),
                Plot.Chart(
                    title: "Test accuracy", xLabel: "epoch", yLabel: "test accuracy",
                    series: variants.indices.map { arm in
                        let log = curves.log(arm, seed: run.seed)
                        return Plot.Series(
                            variants[arm].name, xs: log.map { $0["epoch"] ?? 0 }, ys: log.map { $0["val_accuracy"] ?? .nan }, points: log.count == 1)
                    }),
            ], panelWidth: 560, height: 460)
    }
}

/// "3.2e-05": a figure that spans decades.
func scientific(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    var buffer = [CChar](repeating: 0, count: 32)
    _ = withVaList([value]) { vsnprintf(&buffer, 32, "%.2g", $0) }
    return String(cString: buffer)
}
