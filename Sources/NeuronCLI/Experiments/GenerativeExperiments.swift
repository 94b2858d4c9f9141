import Glibc
import Neuron
import NeuronData
import NeuronViz

/// The rows of a metrics.csv that `neuron train` wrote, as numbers by column.
func metricsColumns(_ path: String) throws -> [String: [Double]] {
    let table = try CSV.read(path)
    var columns: [String: [Double]] = [:]
    for (index, name) in table.header.enumerated() {
        columns[name] = table.rows.map { index < $0.count ? Double($0[index]) ?? .nan : .nan }
    }
    return columns
}

/// Copies `from` to OUT/NAME and records it.
func keep(_ run: ExperimentRun, _ from: String, as name: String) throws {
    let bytes = try readFileBytes(from)
    try bytes.withUnsafeBytes { try writeFileAtomically("\(run.out)/\(name)", [$0]) }
    run.record(name)
}

/// What autoencoders learn to keep: a VAE with 2-D codes and a convolutional autoencoder,
/// trained by `neuron train`, their codes drawn by `neuron encode`. (Chapter 6.)
struct AutoencoderLatentExperiment: Experiment {
    let name = "autoencoder-latent"
    let chapter = "6. Autoencoders"
    let summary = "a VAE's 2-D codes of the test set, its samples, and a convolutional autoencoder's reconstructions"
    let details = """
        Runs `neuron train --model vae --latent 2` and `neuron train --model conv-autoencoder`
        on Fashion-MNIST for --epochs epochs each, then `neuron encode` on the VAE: the 10,000
        test images' 2-D codes coloured by class (codes.png), with the nearest-neighbour accuracy
        of the codes. Keeps the VAE's samples and the autoencoder's reconstructions
        (vae-samples.png, reconstructions.png), writes curves.csv (per-epoch losses of both)
        and curves.png. --quick: one epoch of 5 batches each.

        options:
          --epochs E   epochs of each training (default 10)
        """
    let options: [Options.Spec] = [.init(name: "epochs", value: "E", help: "epochs of each training")]
    let defaultSeeds = 1

    func run(_ run: ExperimentRun) throws {
        let epochs = run.options.int("epochs", default: run.size(10, quick: 1))
        let limit = run.quick ? ["--steps-per-epoch", "5"] : []
        let data = run.options.string("data").map { ["--data", $0] } ?? []
        var curves: [[String]] = [], charts: [Plot.Chart] = []
        let likelihood = run.quick ? ["--iw-samples", "1"] : []
        for (model, extra) in [("vae", ["--latent", "2"] + likelihood), ("conv-autoencoder", [])] {
            let folder = "\(run.out)/\(model)"
            runTrain(
                ["--model", model, "--epochs", "\(epochs)", "--seed", "\(run.seed)", "--out", folder] + extra + limit + data)
            let metrics = try metricsColumns("\(folder)/metrics.csv")
            let epochColumn = metrics["epoch"] ?? [], loss = metrics["loss"] ?? [], validation = metrics["val_loss"] ?? []
            for row in epochColumn.indices {
                curves.append([model, "\(Int(epochColumn[row]))", "\(loss[row])", row < validation.count ? "\(validation[row])" : ""])
            }
            run.report(
                "- \(model): training loss \(formatFixed(loss.last ?? .nan, 4)), validation loss "
                    + "\(formatFixed(validation.last ?? .nan, 4)) after \(epochs) epochs")
            charts.append(
                Plot.Chart(
                    title: model == "vae" ? "VAE, 2-D codes: negative ELBO" : "Convolutional autoencoder: reconstruction loss",
                    xLabel: "epoch", yLabel: "loss",
                    series: [
                        Plot.Series("training", xs: epochColumn, ys: loss, points: epochs == 1),
                        Plot.Series("validation", xs: epochColumn, ys: validation, points: epochs == 1),
                    ]))
        }
        try run.writeCSV("curves", header: ["model", "epoch", "train_loss", "validation_loss"], rows: curves)
        try run.writePlot("curves", charts)
        runEncode(["--checkpoint", "\(run.out)/vae/model.safetensors", "--output", "\(run.out)/codes.npy", "--plot", "\(run.out)/codes.png"] + data)
        run.record("codes.npy")
        run.record("codes.png")
        try keep(run, "\(run.out)/vae/samples.png", as: "vae-samples.png")
        try keep(run, "\(run.out)/conv-autoencoder/reconstructions.png", as: "reconstructions.png")
    }
}

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
