import Foundation
import NeuronData
import Testing

/// Every experiment of the guide runs in its `--quick` form and writes the CSV columns and the
/// PNG plots (of the expected size) that its page draws on.
@Suite(.serialized) struct ExperimentCLITests {
    /// Name, CSV files with the columns each must have, PNG files with their width and height.
    static let cases: [(String, [String: [String]], [String: (Int, Int)])] = [
        (
            "depth",
            [
                "results": ["arm", "seed", "depth", "width", "parameters", "train_loss", "test_accuracy"],
                "curves": ["arm", "seed", "epoch", "train_loss", "test_accuracy"],
            ], ["depth": (1040, 400)]
        ),
        (
            "activations",
            [
                "results": ["arm", "seed", "train_loss", "test_accuracy", "dead_fraction"],
                "curves": ["arm", "seed", "epoch", "train_loss", "test_accuracy"], "dead": ["arm", "seed", "step", "dead_relu_fraction"],
            ], ["activations": (1560, 400)]
        ),
        (
            "cnn-filters",
            [
                "results": ["arm", "seed", "parameters", "test_accuracy", "shifted_test_accuracy"],
                "curves": ["arm", "seed", "epoch", "train_loss", "test_accuracy"],
            ], ["cnn": (520, 400), "filters": (374, 64), "feature-maps": (800, 116)]
        ),
        (
            "lstm-memory", ["results": ["arm", "seed", "length", "test_accuracy", "test_mse", "train_loss"]],
            ["memory": (1040, 400)]
        ),
        (
            "autoencoder-latent", ["curves": ["model", "epoch", "train_loss", "validation_loss"]],
            ["curves": (1040, 400), "codes": (760, 620), "vae-samples": (466, 234), "reconstructions": (466, 234)]
        ),
        (
            "vanishing-gradients",
            [
                "results": ["arm", "seed", "first_layer_gradient", "last_layer_gradient", "ratio_last_to_first", "test_accuracy"],
                "gradients": ["arm", "seed", "layer", "gradient_norm_at_initialisation", "gradient_norm_last_epoch"],
            ], ["gradients": (1680, 460)]
        ),
        (
            "exploding-gradients",
            [
                "results": ["arm", "seed", "steps_run", "largest_gradient_norm", "final_train_bpc", "held_out_bpc"],
                "steps": ["arm", "seed", "step", "train_bpc", "gradient_norm"],
            ], ["exploding": (1040, 400)]
        ),
        (
            "transfer-few-labels", ["results": ["arm", "seed", "labels_per_class", "train_examples", "test_accuracy"]],
            ["transfer": (520, 400)]
        ),
        ("gan-progress", ["fid": ["epoch", "fid", "d_loss", "g_loss"]], ["progress": (470, 124), "fid": (1040, 400)]),
        ("gan-augmentation", ["results": ["arm", "seed", "images", "test_accuracy"]], ["augmentation": (520, 400)]),
    ]

    /// Width and height from a PNG's header (signature, then the IHDR chunk).
    static func pngSize(_ path: String) throws -> (Int, Int)? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == Array("IHDR".utf8)[...]
        else { return nil }
        let word = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    @Test func listNamesEveryExperiment() throws {
        let list = try runNeuron(["experiment", "--list"])
        #expect(list.status == 0)
        for (name, _, _) in Self.cases { #expect(list.stdout.contains(name + " "), "\(name) not listed") }
        let unknown = try runNeuron(["experiment", "nope"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown experiment 'nope'") && !unknown.stderr.contains("\n\n"))
    }

    @Test(arguments: cases.indices) func quickVersionWritesItsFiles(_ index: Int) throws {
        let (name, csvs, pngs) = Self.cases[index]
        let out = NSTemporaryDirectory() + "neuron-experiment-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        let run = try runNeuron(["experiment", name, "--quick", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        for (file, columns) in csvs {
            let table = try CSV.read("\(out)/\(file).csv")
            #expect(table.header == columns, "\(file).csv")
            #expect(!table.rows.isEmpty, "\(file).csv has no rows")
        }
        for (file, size) in pngs {
            let actual = try Self.pngSize("\(out)/\(file).png")
            #expect(actual?.0 == size.0 && actual?.1 == size.1, "\(file).png is \(String(describing: actual))")
        }
        #expect(FileManager.default.fileExists(atPath: "\(out)/summary.md"))
        try? FileManager.default.removeItem(atPath: out)
    }
}
