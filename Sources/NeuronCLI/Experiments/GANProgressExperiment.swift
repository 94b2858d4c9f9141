import Neuron
import NeuronData
import NeuronViz

/// A DCGAN learning Fashion-MNIST, epoch by epoch: its samples and Fréchet distance as it
/// trains, through `neuron train --model dcgan` resumed one epoch at a time. (Chapter 9.)
struct GANProgressExperiment: Experiment {
    let name = "gan-progress"
    let chapter = "9. GANs"
    let summary = "a DCGAN's samples and Fréchet distance, epoch by epoch"
    let details = """
        Trains a LeNet-5 on Fashion-MNIST for the Fréchet distance's features (or takes
        --classifier FILE), then `neuron train --model dcgan` one epoch at a time (resuming its
        checkpoint) for --epochs epochs, keeping the fixed-noise samples after every epoch.
        Writes progress.png (one row of samples per epoch, first epoch on top), fid.csv and
        fid.png (the Fréchet distance of 2,000 samples to the test set in LeNet-5's feature
        space, and the losses, by epoch). --quick: 2 epochs of 5 batches, 100 samples.

        options:
          --epochs E         epochs (default 8)
          --classifier FILE  a Fashion-MNIST LeNet-5 for the distance (default: trained here)
        """
    let options: [Options.Spec] = [
        .init(name: "epochs", value: "E", help: "epochs"),
        .init(name: "classifier", value: "FILE", help: "a Fashion-MNIST LeNet-5"),
    ]
    let defaultSeeds = 1

    func run(_ run: ExperimentRun) throws {
        let epochs = run.options.int("epochs", default: run.size(8, quick: 2))
        let classifier = try run.options.string("classifier") ?? fashionLeNet(run, epochs: run.size(3, quick: 1))
        let folder = "\(run.out)/dcgan"
        let arguments =
            [
                "--model", "dcgan", "--seed", "\(run.seed)", "--out", folder, "--classifier", classifier, "--fid-samples",
                run.size("2000", quick: "100"),
            ]
            + (run.quick ? ["--steps-per-epoch", "5"] : []) + (run.options.string("data").map { ["--data", $0] } ?? [])
        var rows: [Tensor] = []
        for epoch in 1...epochs {
            runTrain(arguments + ["--epochs", "\(epoch)"] + (epoch > 1 ? ["--resume"] : []))
            // The first 8 fixed-noise samples of this epoch, as one row.
            let grid = try ImageFile.read("\(folder)/samples.png")
            rows.append(grid.narrowed(axis: 1, start: 0, length: min(grid.shape[1], 60)) / 255)
        }
        let width = rows.map { $0.shape[2] }.min() ?? 0
        let image = Tensor.concat(rows.map { $0.narrowed(axis: 2, start: 0, length: width) }, axis: 1)
        try run.writeImages("progress", image.unsqueezed(axis: 0), columns: 1, scale: 1)
        let metrics = try metricsColumns("\(folder)/metrics.csv")
        let epochColumn = metrics["epoch"] ?? [], fid = metrics["fid"] ?? []
        let dLoss = metrics["d_loss"] ?? [], gLoss = metrics["g_loss"] ?? []
        try run.writeCSV(
            "fid", header: ["epoch", "fid", "d_loss", "g_loss"],
            rows: epochColumn.indices.map { ["\(Int(epochColumn[$0]))", "\(fid[$0])", "\(dLoss[$0])", "\(gLoss[$0])"] })
        run.report("Fréchet distance by epoch: " + zip(epochColumn, fid).map { "\(Int($0)): \(formatFixed($1, 1))" }.joined(separator: ", "))
        try run.writePlot(
            "fid",
            [
                Plot.Chart(
                    title: "Fréchet distance to the test set (LeNet-5 features)", xLabel: "epoch", yLabel: "Fréchet distance",
                    series: [Plot.Series("DCGAN", xs: epochColumn, ys: fid, points: epochs <= 2)]),
                Plot.Chart(
                    title: "Losses", xLabel: "epoch", yLabel: "mean loss",
                    series: [
                        Plot.Series("discriminator", xs: epochColumn, ys: dLoss, points: epochs <= 2),
                        Plot.Series("generator", xs: epochColumn, ys: gLoss, points: epochs <= 2),
                    ]),
            ])
    }
}
