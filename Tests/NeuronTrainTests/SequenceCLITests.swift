import Foundation
import Neuron
import NeuronData
import Testing

/// Smoke runs of the sequence tasks through the command-line tool, on small inputs.
@Suite struct SequenceCLITests {
    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "neuron-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func charModelTrainsAndGenerates() throws {
        let folder = Self.temporaryDirectory("char")
        let text = String(repeating: "the cat sat on the mat. the dog ate the hat.\n", count: 80)
        try text.write(toFile: folder + "/text.txt", atomically: true, encoding: .utf8)
        let run = try runNeuron([
            "train", "--model", "char-lstm", "--text", folder + "/text.txt", "--epochs", "2", "--hidden", "32",
            "--layers", "1", "--seq-len", "16", "--batch-size", "8", "--lr", "0.01", "--out", folder + "/run",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("validation_bpc=") } ?? ""
        let bpc = Double(line.split(separator: " ")[0].dropFirst("validation_bpc=".count)) ?? .nan
        // Eleven distinct characters: a uniform guess costs log2(11) ≈ 3.46 bits.
        #expect(bpc < 3.0, "\(run.stdout)")
        for file in ["model.safetensors", "best.safetensors", "checkpoint.safetensors", "curves.png", "metrics.csv"] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/run/\(file)"), "\(file)")
        }
        let sample = try runNeuron([
            "generate", "--checkpoint", folder + "/run/model.safetensors", "--prompt", "the ", "--length", "40",
            "--temperature", "0.5", "--seed", "3",
        ])
        #expect(sample.status == 0, "\(sample.stderr)")
        #expect(sample.stdout.hasPrefix("the ") && sample.stdout.count >= 44, "\(sample.stdout)")
        #expect(Set(sample.stdout).isSubset(of: Set(text)), "\(sample.stdout)")
        let again = try runNeuron([
            "generate", "--checkpoint", folder + "/run/best.safetensors", "--prompt", "the ", "--length", "40",
            "--temperature", "0.5", "--seed", "3",
        ])
        #expect(again.status == 0, "\(again.stderr)")
        let wrong = try runNeuron(["generate", "--checkpoint", folder + "/run/metrics.csv"])
        #expect(wrong.status == 2 && wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
    }

    @Test func forecasterBeatsNaiveForecastsOnAQuasiPeriodicSeries() throws {
        let folder = Self.temporaryDirectory("forecast")
        // A quasi-periodic AR(2) series (period ≈ 11, like the sunspot cycle): its best
        // one-step forecast is linear in the last two values, which neither naive forecast is.
        let generator = RandomGenerator(seed: 4)
        var values = [0.0, 1.0]
        for t in 2..<300 { values.append(1.6 * values[t - 1] - 0.9 * values[t - 2] + generator.nextNormal()) }
        let rows = values.enumerated().map { "\(1700 + $0.offset),\($0.element)" }
        try (["year,value"] + rows).joined(separator: "\n").write(toFile: folder + "/series.csv", atomically: true, encoding: .utf8)
        let run = try runNeuron([
            "train", "--model", "forecaster", "--csv", folder + "/series.csv", "--column", "value", "--window", "12",
            "--season", "11", "--epochs", "60", "--out", folder + "/run",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("test_rmse=") } ?? ""
        let figures = Dictionary(
            uniqueKeysWithValues: line.split(separator: " ").compactMap { part -> (String, Double)? in
                let pair = part.split(separator: "=")
                return pair.count == 2 ? (String(pair[0]), Double(pair[1]) ?? .nan) : nil
            })
        let model = figures["test_rmse"] ?? .nan
        #expect(model < figures["naive_rmse"] ?? 0 && model < figures["seasonal_naive_rmse"] ?? 0, "\(line)")
        #expect(FileManager.default.fileExists(atPath: folder + "/run/forecast.png"))
        let missing = try runNeuron(["train", "--model", "forecaster", "--csv", folder + "/series.csv", "--column", "sales"])
        #expect(missing.status == 2 && missing.stderr.contains("no column 'sales'"), "\(missing.stderr)")
    }
}
