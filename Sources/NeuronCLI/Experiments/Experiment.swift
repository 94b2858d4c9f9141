import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// One experiment of `neuron experiment`: a principle of the guide shown happening on real
/// data. It trains through `Trainer`, and writes CSV files, PNG plots and a summary through
/// the `ExperimentRun` it is given.
protocol Experiment {
    /// The name on the command line.
    var name: String { get }
    /// The guide chapter, as "3. Convolutional networks".
    var chapter: String { get }
    /// One line for `neuron experiment --list`.
    var summary: String { get }
    /// What it does and what it writes, for `--help`.
    var details: String { get }
    /// Options beyond the shared --quick, --seed, --seeds, --out and --data.
    var options: [Options.Spec] { get }
    /// Seeds per arm unless --seeds says otherwise (one under --quick).
    var defaultSeeds: Int { get }
    func run(_ run: ExperimentRun) throws
}

extension Experiment {
    var options: [Options.Spec] { [] }
    var defaultSeeds: Int { 3 }
}

/// Every experiment, in the guide's order.
let experiments: [any Experiment] = [
    DepthExperiment(), ActivationsExperiment(), CNNFiltersExperiment(), LSTMMemoryExperiment(), AutoencoderLatentExperiment(),
    VanishingGradientsExperiment(), ExplodingGradientsExperiment(), TransferExperiment(), GANProgressExperiment(),
    GANAugmentationExperiment(),
]

/// What one run of an experiment shares: its options, its output folder, and the CSV files,
/// plots and summary lines it writes there (`summary.md` lists them at the end).
final class ExperimentRun {
    let name: String, options: Options, out: String
    /// `--quick`: a smoke version that finishes in seconds (fewer examples, epochs and seeds).
    let quick: Bool
    /// The first seed, and how many seeds each arm is run with.
    let seed: Int, seeds: Int
    private(set) var lines: [String] = []
    private(set) var files: [String] = []

    init(name: String, options: Options, defaultSeeds: Int) {
        self.name = name
        self.options = options
        quick = options.flag("quick")
        seed = CommonOptions.seed(options)
        seeds = options.int("seeds", default: quick ? 1 : defaultSeeds)
        out = options.string("out", default: "runs/experiments/\(name)")!
    }

    /// `full`, or `quick` under `--quick`.
    func size<T>(_ full: T, quick small: T) -> T { quick ? small : full }

    /// Prints a line of the summary and keeps it for `summary.md`.
    func report(_ line: String) {
        print(line)
        lines.append(line)
    }

    /// Writes OUT/NAME.csv.
    func writeCSV(_ file: String, header: [String], rows: [[String]]) throws {
        let text = CSV.format(header: header, rows: rows)
        try Array(text.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/\(file).csv", [$0]) }
        files.append("\(file).csv")
    }

    /// Draws the charts side by side into OUT/NAME.png.
    func writePlot(_ file: String, _ charts: [Plot.Chart], panelWidth: Double = 520, height: Double = 400) throws {
        try Plot.write(charts, to: "\(out)/\(file).png", panelWidth: panelWidth, height: height)
        files.append("\(file).png")
    }

    /// Tiles images [N, C, H, W] in 0…1 into OUT/NAME.png.
    func writeImages(_ file: String, _ images: Tensor, columns: Int, scale: Int) throws {
        try ImageGrid.write(images, to: "\(out)/\(file).png", columns: columns, scale: scale)
        files.append("\(file).png")
    }

    /// Names a file that another command wrote into OUT, for `summary.md`.
    func record(_ file: String) { files.append(file) }

    /// Copies `from` (another command's output) to OUT/NAME and records it.
    func keep(_ from: String, as name: String) throws {
        let bytes = try readFileBytes(from)
        try bytes.withUnsafeBytes { try writeFileAtomically("\(out)/\(name)", [$0]) }
        files.append(name)
    }

    /// Writes OUT/summary.md: the summary lines, then the files written.
    func finish() throws {
        let text =
            "# neuron experiment \(name)\n\n" + lines.map { $0 + "\n" }.joined() + "\nFiles: "
            + files.joined(separator: ", ") + "\n"
        try Array(text.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/summary.md", [$0]) }
        print("wrote \(out)/: \((files + ["summary.md"]).joined(separator: ", "))")
    }
}

/// The figures of one arm of an experiment over its seeds: a mean and a spread per figure.
struct ArmFigures {
    let arm: String
    var perSeed: [[String: Double]] = []

    init(_ arm: String) { self.arm = arm }

    func mean(_ key: String) -> Double {
        let values = perSeed.compactMap { $0[key] }
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    func spread(_ key: String) -> Double {
        let values = perSeed.compactMap { $0[key] }
        guard values.count > 1 else { return 0 }
        let average = mean(key)
        return (values.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }

    /// "0.8712 ± 0.0031" (the spread over seeds when there are several).
    func text(_ key: String, digits: Int = 4) -> String {
        perSeed.count > 1 ? "\(formatFixed(mean(key), digits)) ± \(formatFixed(spread(key), digits))" : formatFixed(mean(key), digits)
    }
}

extension ExperimentRun {
    /// Runs `body` for every arm and seed (seed, seed + 1, …), reporting each result, and
    /// writes OUT/FILE.csv with one row per arm and seed and the figures named in `columns`.
    func measure(
        _ arms: [String], columns: [String], file: String = "results", _ body: (_ arm: Int, _ seed: Int) throws -> [String: Double]
    ) throws -> [ArmFigures] {
        var results = arms.map(ArmFigures.init)
        var rows: [[String]] = []
        for index in arms.indices {
            for seed in seed..<(seed + seeds) {
                let start = ProgressBar.now()
                let figures = try body(index, seed)
                results[index].perSeed.append(figures)
                rows.append([arms[index], "\(seed)"] + columns.map { figures[$0].map { "\($0)" } ?? "" })
                let shown = columns.compactMap { key in figures[key].map { "\(key)=\(figureText($0))" } }
                print("\(arms[index]) · seed \(seed): \(shown.joined(separator: " ")) (\(formatFixed(ProgressBar.now() - start, 1)) s)")
            }
        }
        try writeCSV(file, header: ["arm", "seed"] + columns, rows: rows)
        return results
    }
}

/// The per-epoch histories of an experiment's training runs (`Trainer.history`), by arm and
/// seed: written as curves.csv, and averaged over seeds for the plots.
final class EpochCurves {
    private var rows: [[String]] = []
    private var histories: [Int: [(seed: Int, log: [[String: Double]])]] = [:]

    func add(arm: Int, name: String, seed: Int, _ log: [[String: Double]]) {
        histories[arm, default: []].append((seed, log))
        for entry in log {
            rows.append([name, "\(seed)", "\(Int(entry["epoch"] ?? 0))", "\(entry["loss"] ?? .nan)", "\(entry["val_accuracy"] ?? .nan)"])
        }
    }

    /// `key` after each epoch, the mean over the arm's seeds (runs that stopped early leave it out).
    func mean(_ arm: Int, _ key: String, epochs: Int) -> [Double] {
        let logs = (histories[arm] ?? []).map(\.log).filter { $0.count >= epochs }
        return (0..<epochs).map { epoch in logs.map { $0[epoch][key] ?? .nan }.reduce(0, +) / Double(max(logs.count, 1)) }
    }

    /// A chart of `key` against the epoch, one line per arm (the mean over its seeds).
    func chart(_ title: String, yLabel: String, key: String, arms: [String], epochs: Int, logY: Bool = false) -> Plot.Chart {
        let xs = (1...epochs).map(Double.init)
        return Plot.Chart(
            title: title, xLabel: "epoch", yLabel: yLabel,
            series: arms.indices.map { Plot.Series(arms[$0], xs: xs, ys: mean($0, key, epochs: epochs)) }, logY: logY)
    }

    /// One seed's history of an arm.
    func log(_ arm: Int, seed: Int) -> [[String: Double]] { histories[arm]?.first { $0.seed == seed }?.log ?? [] }

    /// OUT/curves.csv: arm, seed, epoch, training loss, test accuracy.
    func write(_ run: ExperimentRun) throws {
        try run.writeCSV("curves", header: ["arm", "seed", "epoch", "train_loss", "test_accuracy"], rows: rows)
    }
}

/// A figure with 4 decimals, or in scientific notation when that would hide it.
func figureText(_ value: Double) -> String {
    value != 0 && value.isFinite && (abs(value) < 1e-3 || abs(value) >= 1e6) ? scientific(value) : formatFixed(value, 4)
}

/// Fashion-MNIST standardised: all 60,000 training and 10,000 test images, or under --quick
/// the first 1,000 and 500.
func fashionSubset(_ run: ExperimentRun) throws -> (train: TensorDataset, test: TensorDataset) {
    func first(_ data: TensorDataset, _ count: Int) -> TensorDataset {
        let kept = min(count, data.count)
        return TensorDataset(
            inputs: data.inputs.narrowed(axis: 0, start: 0, length: kept), targets: data.targets.narrowed(axis: 0, start: 0, length: kept))
    }
    return (
        first(try FashionMNIST.load(.train, directory: run.options.string("data"), normalized: true), run.size(60_000, quick: 1_000)),
        first(try FashionMNIST.load(.test, directory: run.options.string("data"), normalized: true), run.size(10_000, quick: 500))
    )
}

/// LeNet-5 trained on Fashion-MNIST (Adam 1e-3, `epochs`), written to OUT/lenet-fashion.safetensors
/// for the experiments that start from it (transfer, the GAN's Fréchet distance); returns the path.
func fashionLeNet(_ run: ExperimentRun, epochs: Int) throws -> String {
    let data = try fashionSubset(run)
    Random.seed(UInt64(run.seed))
    let lenet = LeNet5(generator: RandomGenerator(seed: UInt64(run.seed)))
    let log = try trainClassifier(
        lenet, train: data.train, test: data.test, epochs: epochs, optimizer: Adam(lenet.parameters(), lr: 1e-3), seed: run.seed)
    let path = "\(run.out)/lenet-fashion.safetensors"
    try SafeTensors.write(lenet.stateDict(), metadata: ["model": "lenet", "classes": "10"], to: path)
    run.report(
        "LeNet-5 trained on Fashion-MNIST (\(data.train.count) images, \(epochs) epochs): test accuracy "
            + formatFixed(log.last?["val_accuracy"] ?? .nan, 4))
    return path
}

/// Trains a classifier on `train` through `Trainer` (cross-entropy, batch 128) with
/// `optimizer` for `epochs`, scoring `test` after each; returns the per-epoch history (loss,
/// accuracy, val_loss, val_accuracy, …).
func trainClassifier(
    _ model: Module & Layer, train: TensorDataset, test: TensorDataset, epochs: Int, optimizer: Optimizer, seed: Int,
    callbacks: [Callback] = [], batchSize: Int = 128
) throws -> [[String: Double]] {
    let trainer = Trainer(model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) }, callbacks: callbacks + [ProgressBar()])
    _ = try trainer.fit(
        train: DataLoader(train, batchSize: batchSize, shuffle: true, seed: UInt64(seed)),
        validation: DataLoader(test, batchSize: 1000), epochs: epochs)
    return trainer.history
}

let experimentUsage = """
    usage: neuron experiment NAME [--quick] [--seed S] [--seeds N] [--out DIR] [options]
           neuron experiment --list
           neuron experiment NAME --help

    Runs one experiment of the guide (docs/guide/): it trains on real data, writes CSV files,
    PNG plots and summary.md under --out (default runs/experiments/NAME), and prints the
    figures. --quick runs a smoke version in seconds.
    """

func runExperiment(_ arguments: [String]) {
    guard let name = arguments.first, name != "--help", name != "-h" else {
        if arguments.first != nil {
            print(experimentUsage)
            return
        }
        fail("experiment: missing experiment name; run `neuron experiment --list`")
    }
    if name == "--list" {
        for experiment in experiments {
            print("\(experiment.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(experiment.chapter): \(experiment.summary)")
        }
        return
    }
    guard let experiment = experiments.first(where: { $0.name == name }) else {
        fail("experiment: unknown experiment '\(name)' (known: \(experiments.map(\.name).joined(separator: ", ")))")
    }
    let usage = "usage: neuron experiment \(name) [options]\n\n\(experiment.details)"
    let options = Options(
        command: "experiment \(name)",
        specs: [
            .init(name: "quick", value: nil, help: "a smoke version that runs in seconds"),
            CommonOptions.seed,
            .init(name: "seeds", value: "N", help: "seeds per arm"),
            .init(name: "out", value: "DIR", help: "output folder (default runs/experiments/\(name))"),
            fashionDataSpec,
        ] + experiment.options, arguments: Array(arguments.dropFirst()), usage: usage)
    let run = ExperimentRun(name: name, options: options, defaultSeeds: experiment.defaultSeeds)
    do {
        try makeDirectories(run.out)
        try experiment.run(run)
        try run.finish()
    } catch {
        fail("experiment \(name): \(error)")
    }
}

/// The rows of a metrics.csv that `neuron train` wrote, as numbers by column.
func metricsColumns(_ path: String) throws -> [String: [Double]] {
    let table = try CSV.read(path)
    var columns: [String: [Double]] = [:]
    for (index, name) in table.header.enumerated() {
        columns[name] = table.rows.map { index < $0.count ? Double($0[index]) ?? .nan : .nan }
    }
    return columns
}
