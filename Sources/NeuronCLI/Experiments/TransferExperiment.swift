import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronViz

/// Transfer with few labels: the UCI digits from a Fashion-MNIST LeNet-5 and from ImageNet's
/// EfficientNet-Lite0, through `neuron finetune`'s own tasks. (Chapter 8.)
struct TransferExperiment: Experiment {
    let name = "transfer-few-labels"
    let chapter = "8. Transfer learning"
    let summary = "the UCI digits with 10, 50 and all labels per class: from scratch, from a Fashion-MNIST LeNet-5, from ImageNet"
    let details = """
        First trains LeNet-5 on Fashion-MNIST (Adam 1e-3, --pretrain-epochs epochs; or takes
        --pretrained FILE), then runs `neuron finetune --task digits` for 10, 50 and all labels
        per class in the modes scratch, frozen (new head only), frozen-convs (convolutions
        frozen) and finetune (all trained), and, when EfficientNet-Lite0's ImageNet weights are
        installed (`make models`), the ImageNet probe. Writes results.csv and transfer.png; the
        fuller tables (Fashion-MNIST from ImageNet, fortunes with MiniLM) are in
        docs/transfer.md. --quick: 10 labels per class, scratch and frozen-convs for 10 epochs, a
        LeNet-5 pretrained for one epoch on 1,000 images, one seed.

        options:
          --pretrained FILE      a Fashion-MNIST LeNet-5 (default: trained here)
          --pretrain-epochs E    epochs of that training (default 3)
        """
    let options: [Options.Spec] = [
        .init(name: "pretrained", value: "FILE", help: "a Fashion-MNIST LeNet-5"),
        .init(name: "pretrain-epochs", value: "E", help: "epochs of LeNet-5 on Fashion-MNIST"),
    ]

    func run(_ run: ExperimentRun) throws {
        let pretrained =
            try run.options.string("pretrained")
            ?? fashionLeNet(run, epochs: run.options.int("pretrain-epochs", default: run.size(3, quick: 1)))
        let imageNet = !run.quick && access(efficientNetWeights, R_OK) == 0
        let modes = run.quick ? ["scratch", "frozen-convs"] : ["scratch", "frozen", "frozen-convs", "finetune"] + (imageNet ? ["probe"] : [])
        let counts: [Int?] = run.quick ? [10] : [10, 50, nil]
        let label = { (count: Int?) in count.map(String.init) ?? "all" }
        let arms = modes.flatMap { mode in counts.map { "\(mode == "probe" ? "ImageNet probe" : mode), N=\(label($0))" } }
        guard let digits = finetuneTasks.first(where: { $0.name == "digits" }) else { return }
        let results = try run.measure(arms, columns: ["labels_per_class", "train_examples", "test_accuracy"]) { arm, seed in
            let mode = modes[arm / counts.count], count = counts[arm % counts.count]
            let arguments =
                ["--task", "digits", "--mode", mode, "--seed", "\(seed)", "--pretrained", mode == "probe" ? "efficientnet-lite0" : pretrained]
                + (count.map { ["--labels-per-class", "\($0)"] } ?? []) + (run.quick ? ["--epochs", "10"] : [])
            let options = Options(command: "finetune", specs: finetuneSpecs, arguments: arguments)
            let out = "\(run.out)/runs/\(mode)-\(label(count))-\(seed)"
            try makeDirectories(out)
            let result = try digits.run(options, mode, count, seed, out)
            return ["labels_per_class": Double(count ?? -1), "train_examples": Double(result.trainCount), "test_accuracy": result.accuracy]
        }
        run.report("UCI digits, test accuracy on the held-out fifth (stratified, seed 0):")
        for figures in results { run.report("- \(figures.arm): \(figures.text("test_accuracy"))") }
        // "All" is drawn at the mean training examples per class.
        let series = modes.indices.map { modeIndex in
            let rows = counts.indices.map { results[modeIndex * counts.count + $0] }
            let xs = zip(counts, rows).map { count, figures in count.map(Double.init) ?? figures.mean("train_examples") / 10 }
            return Plot.Series(
                modes[modeIndex] == "probe" ? "ImageNet probe" : modes[modeIndex], xs: xs, ys: rows.map { $0.mean("test_accuracy") },
                points: xs.count == 1)
        }
        try run.writePlot(
            "transfer",
            [
                Plot.Chart(
                    title: "UCI digits from Fashion-MNIST and ImageNet", xLabel: "labelled examples per class (log scale; last: all)",
                    yLabel: "test accuracy", series: series, logX: counts.count > 1)
            ])
    }
}
