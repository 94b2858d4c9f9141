import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// The adding problem (Hochreiter & Schmidhuber): how far back can a plain RNN, a GRU and an
/// LSTM carry a number? (Chapters 4 and 5.)
struct LSTMMemoryExperiment: Experiment {
    let name = "lstm-memory"
    let chapter = "5. LSTM and the vanishing gradient over time"
    let summary = "the adding problem at lengths 20 to 200: plain RNN vs GRU vs LSTM accuracy by length"
    let details = """
        The adding problem: sequences of T pairs (a value uniform in 0…1, a marker); two values
        are marked, one in each half, and the target is their sum. A network must keep the
        first marked value for up to T steps. A plain RNN (tanh), a GRU and an LSTM of 64 units
        read the sequence and a linear layer reads their last state; each is trained on --steps
        batches of 64 fresh sequences (Adam 1e-3, gradients clipped at norm 1, so that the
        comparison is about memory, not explosion), and scored on 1,000 test sequences: accuracy
        is the fraction answered within 0.04, MSE the mean squared error. Always answering 1
        scores about 0.08 and MSE 0.167. Writes results.csv and memory.png. --quick: lengths
        10 and 20, 20 batches, one seed.

        options:
          --lengths LIST   sequence lengths (default 20,50,100,200)
          --steps S        training batches per network (default 1500)
          --forget-bias B  the LSTM's forget-gate bias at the start (default: PyTorch's)
        """
    let options: [Options.Spec] = [
        .init(name: "lengths", value: "LIST", help: "sequence lengths"),
        .init(name: "steps", value: "S", help: "training batches per network"),
        .init(name: "forget-bias", value: "B", help: "the LSTM's forget-gate bias at the start"),
    ]
    let defaultSeeds = 1

    /// `count` adding-problem sequences of `length`: inputs [count, length, 2], targets [count, 1].
    static func addingProblem(count: Int, length: Int, generator: RandomGenerator) -> TensorDataset {
        var inputs = [Float](repeating: 0, count: count * length * 2), targets = [Float](repeating: 0, count: count)
        for sample in 0..<count {
            let first = generator.next(below: max(length / 2, 1)), second = length / 2 + generator.next(below: max(length - length / 2, 1))
            for step in 0..<length {
                let value = Float(generator.nextUnit())
                inputs[(sample * length + step) * 2] = value
                if step == first || step == second {
                    inputs[(sample * length + step) * 2 + 1] = 1
                    targets[sample] += value
                }
            }
        }
        return TensorDataset(inputs: Tensor(inputs, shape: [count, length, 2]), targets: Tensor(targets, shape: [count, 1]))
    }

    func run(_ run: ExperimentRun) throws {
        let lengths = try (run.options.string("lengths") ?? run.size("20,50,100,200", quick: "10,20")).split(separator: ",").map {
            guard let length = Int($0), length >= 2 else { throw DataError("'--lengths' must be integers ≥ 2 separated by commas, got '\($0)'") }
            return length
        }
        let steps = run.options.int("steps", default: run.size(1_500, quick: 20))
        // --forget-bias sets the LSTM's forget-gate bias (PyTorch's initialisation otherwise).
        let cells = SequenceModel.Cell.allCases
        let forgetBias = run.options.double("forget-bias", positive: false)
        let names = cells.map(\.rawValue)
        let arms = names.flatMap { name in lengths.map { "\(name), T=\($0)" } }
        run.report("The adding problem, \(steps) batches of 64 per network, 64 units, test on 1,000 sequences:")
        let results = try run.measure(arms, columns: ["length", "test_accuracy", "test_mse", "train_loss"]) { arm, seed in
            let cell = cells[arm / lengths.count], length = lengths[arm % lengths.count]
            Random.seed(UInt64(seed))
            let train = Self.addingProblem(count: steps * 64, length: length, generator: RandomGenerator(seed: UInt64(seed) &+ 100))
            let test = Self.addingProblem(count: 1_000, length: length, generator: RandomGenerator(seed: 999))
            let model = SequenceModel(
                cell: cell, inputs: 2, hidden: 64, outputs: 1, forgetBias: forgetBias,
                generator: RandomGenerator(seed: UInt64(seed)))
            let optimizer = Adam(model.parameters(), lr: 1e-3)
            let trainer = Trainer(
                model: model, optimizer: optimizer, loss: { mseLoss($0, $1) }, metrics: [], callbacks: [GradientClipping(maxNorm: 1), ProgressBar()])
            _ = try trainer.fit(train: DataLoader(train, batchSize: 64, shuffle: true, seed: UInt64(seed)), epochs: 1)
            model.eval()
            let predictions = noGrad { model(test.inputs) }
            let errors = (predictions - test.targets).abs()
            return [
                "length": Double(length), "test_accuracy": (errors .< 0.04).to(.float64).mean().item(),
                "test_mse": errors.square().mean().item(), "train_loss": trainer.history.last?["loss"] ?? .nan,
            ]
        }
        for figures in results {
            run.report("- \(figures.arm): accuracy \(figures.text("test_accuracy", digits: 3)), MSE \(figures.text("test_mse"))")
        }
        let xs = lengths.map(Double.init)
        func series(_ key: String) -> [Plot.Series] {
            cells.indices.map { cell in
                Plot.Series(names[cell], xs: xs, ys: lengths.indices.map { results[cell * lengths.count + $0].mean(key) })
            } + [Plot.Series("always 1", xs: [xs.first!, xs.last!], ys: key == "test_mse" ? [1.0 / 6, 1.0 / 6] : [0.08, 0.08])]
        }
        try run.writePlot(
            "memory",
            [
                Plot.Chart(
                    title: "Adding problem: answers within 0.04", xLabel: "sequence length T (log scale)", yLabel: "test accuracy",
                    series: series("test_accuracy"), logX: true),
                Plot.Chart(
                    title: "Adding problem: squared error", xLabel: "sequence length T (log scale)", yLabel: "test MSE (log scale)",
                    series: series("test_mse"), logX: true, logY: true),
            ])
    }
}
