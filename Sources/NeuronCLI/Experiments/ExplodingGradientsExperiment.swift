import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// A plain RNN language model on long windows of text, trained without and with gradient
/// clipping: the gradient norm at every step, and what it does to the loss. (Chapter 7.)
struct ExplodingGradientsExperiment: Experiment {
    let name = "exploding-gradients"
    let chapter = "7. Training deep networks"
    let summary = "a plain RNN on 200-character windows of fortunes: gradient norms and loss without and with clipping"
    let details = """
        A character-level language model, one plain tanh RNN layer of 128 units over an
        embedding of 32, reads windows of --length characters of Debian's fortunes and predicts
        each next character; backpropagation runs through all the steps of a window. It is
        trained with SGD (--lr, no momentum), batch 32, for --steps batches, once without
        clipping and once with the gradients clipped to a global norm of 1. The norm of the
        whole gradient (before clipping) and the loss are recorded at every step; the
        held-out text's bits per character are measured at the end. Writes results.csv,
        steps.csv and exploding.png. --quick: 20,000 characters, 8 steps, one seed.

        options:
          --length T   characters per window (default 200)
          --steps S    training batches (default 600)
          --lr X       SGD learning rate (default 1)
          --text-dir D the fortunes folder (default: Debian's)
        """
    let options: [Options.Spec] = [
        .init(name: "length", value: "T", help: "characters per window"),
        .init(name: "steps", value: "S", help: "training batches"),
        .init(name: "lr", value: "X", help: "SGD learning rate"),
        .init(name: "text-dir", value: "DIR", help: "fortunes folder"),
    ]
    let defaultSeeds = 1

    /// The loss and the unclipped gradient norm of every step. The logs hold the epoch's
    /// running mean; with batches of one size, each step's own loss follows from two of them.
    final class StepTrace: Callback {
        let clipping: GradientClipping
        var losses: [Double] = [], norms: [Double] = []
        var previousMean = 0.0

        init(_ clipping: GradientClipping) { self.clipping = clipping }

        func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {
            let mean = logs["loss"] ?? .nan, count = Double(trainer.batchIndex)
            losses.append(count <= 1 ? mean : mean * count - previousMean * (count - 1))
            previousMean = mean
            norms.append(clipping.lastNorm)
        }
    }

    func run(_ run: ExperimentRun) throws {
        let length = run.options.int("length", default: 200, minimum: 2)
        let steps = run.options.int("steps", default: run.size(600, quick: 8))
        let lr = run.options.double("lr", default: 1)!
        let corpus = try TextCorpus.fortunes(directory: run.options.string("text-dir"))
        let used = min(corpus.indices.count, run.size(2_000_000, quick: 20_000)), trainEnd = used * 9 / 10
        let streams = 32
        let train = try corpus.streamWindows(0..<trainEnd, streams: streams, length: length)
        let heldOut = try corpus.streamWindows(trainEnd..<used, streams: 4, length: length)
        let vocabulary = corpus.vocabulary.count
        let batchesPerEpoch = train.count / streams, epochs = (steps + batchesPerEpoch - 1) / batchesPerEpoch
        run.report(
            "Fortunes, \(used) characters (vocabulary \(vocabulary)), windows of \(length), plain RNN of 128, SGD lr \(lr), \(steps) steps:")
        let arms = ["no clipping", "clipped at norm 1"]
        var traces: [StepTrace] = []
        var stepRows: [[String]] = []
        let loss: (Tensor, Tensor) -> Tensor = { crossEntropy($0.reshaped([-1, vocabulary]), $1.reshaped([-1])) }
        let results = try run.measure(arms, columns: ["steps_run", "largest_gradient_norm", "final_train_bpc", "held_out_bpc"]) { arm, seed in
            Random.seed(UInt64(seed))
            let model = SequenceModel(
                cell: .rnn, inputs: 32, hidden: 128, outputs: vocabulary, vocabulary: vocabulary, everyStep: true,
                generator: RandomGenerator(seed: UInt64(seed)))
            // An infinite bound records the norm without changing the gradient.
            let clipping = GradientClipping(maxNorm: arm == 0 ? .infinity : 1)
            let trace = StepTrace(clipping)
            let trainer = Trainer(
                model: model, optimizer: SGD(model.parameters(), lr: lr), loss: loss, metrics: [], callbacks: [clipping, trace, ProgressBar()])
            trainer.stepsPerEpoch = min(batchesPerEpoch, steps)
            // Consecutive windows of a stream are unrelated here (the state is not carried), but
            // the order is kept as the language-model recipe keeps it.
            _ = try trainer.fit(train: DataLoader(train, batchSize: streams), epochs: epochs)
            let trained = Array(trace.losses.prefix(steps))
            if seed == run.seed { traces.append(trace) }
            for (step, (value, norm)) in zip(trace.losses, trace.norms).enumerated().prefix(steps) {
                stepRows.append([arms[arm], "\(seed)", "\(step + 1)", "\(value / log(2))", "\(norm)"])
            }
            let heldOutLoss =
                trained.last.map { $0.isFinite } == true ? try trainer.evaluate(DataLoader(heldOut, batchSize: 4))["loss"] ?? .nan : .nan
            return [
                "steps_run": Double(trained.count), "largest_gradient_norm": trace.norms.filter { $0.isFinite }.max() ?? .nan,
                "final_train_bpc": (trained.suffix(50).reduce(0, +) / Double(max(min(trained.count, 50), 1))) / log(2),
                "held_out_bpc": heldOutLoss / log(2),
            ]
        }
        try run.writeCSV("steps", header: ["arm", "seed", "step", "train_bpc", "gradient_norm"], rows: stepRows)
        for figures in results {
            let heldOut = figures.mean("held_out_bpc")
            run.report(
                "- \(figures.arm): largest gradient norm \(scientific(figures.mean("largest_gradient_norm"))), "
                    + "training loss over the last 50 steps \(figures.text("final_train_bpc", digits: 3)) bits/char, "
                    + (heldOut.isFinite ? "held-out \(formatFixed(heldOut, 3)) bits/char" : "diverged (non-finite loss)"))
        }
        func series(_ values: (StepTrace) -> [Double]) -> [Plot.Series] {
            zip(arms, traces).map { arm, trace in
                let ys = Array(values(trace).prefix(steps))
                return Plot.Series(arm, xs: ys.indices.map { Double($0 + 1) }, ys: ys)
            }
        }
        try run.writePlot(
            "exploding",
            [
                Plot.Chart(
                    title: "Gradient norm before clipping", xLabel: "training step", yLabel: "global gradient norm (log scale)",
                    series: series { $0.norms }, logY: true),
                Plot.Chart(
                    title: "Training loss", xLabel: "training step", yLabel: "bits per character", series: series { $0.losses.map { $0 / log(2) } }),
            ])
    }
}
