import Neuron
import NeuronData
import NeuronViz

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
        try run.keep("\(run.out)/vae/samples.png", as: "vae-samples.png")
        try run.keep("\(run.out)/conv-autoencoder/reconstructions.png", as: "reconstructions.png")
    }
}
