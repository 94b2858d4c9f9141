import Foundation
import Neuron
import NeuronData
import Testing

/// `neuron train --device cuda` for every task family on a small slice of Fashion-MNIST (and a
/// small text and series), and a checkpoint trained on the GPU scored on the CPU. `make test`
/// runs these on the emulated GPU, where kernels are slow: the data is tiny.
@Suite(.serialized, .enabled(if: Device.cudaAvailable, "needs a CUDA device (make test uses the emulated one)"))
struct CUDAZooTests {
    /// 256 training and 128 test images from the installed Fashion-MNIST, in a fresh folder.
    static let data: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("neuron-cuda-zoo-\(getpid())").path
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (split, count) in [(FashionMNIST.Split.train, 256), (.test, 128)] {
            let set = try! FashionMNIST.load(split)
            let prefix = split == .train ? "train" : "t10k"
            let pixels = set.inputs.narrowed(axis: 0, start: 0, length: count).toArray(Float.self).map { UInt8(($0 * 255).rounded()) }
            let labels = set.targets.narrowed(axis: 0, start: 0, length: count).toArray(Int.self).map { UInt8($0) }
            func header(_ words: [UInt32]) -> [UInt8] { words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * $0)) } } }
            _ = FileManager.default.createFile(
                atPath: "\(folder)/\(prefix)-images-idx3-ubyte", contents: Data(header([2051, UInt32(count), 28, 28]) + pixels))
            _ = FileManager.default.createFile(
                atPath: "\(folder)/\(prefix)-labels-idx1-ubyte", contents: Data(header([2049, UInt32(count)]) + labels))
        }
        return folder
    }()

    /// Runs `neuron` with the CPU as the default device, so that only `--device` moves work.
    func neuron(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runProcess(neuronBinary, arguments, environment: ["NEURON_DEFAULT_DEVICE": "cpu"])
    }

    /// One model per family (the convolutional generators are too slow for the emulated GPU; their
    /// layers are checked op by op in NeuronTests).
    @Test(arguments: ["mlp", "lenet", "lstm", "autoencoder", "vae", "gan"])
    func familyTrainsOnTheGPU(_ model: String) throws {
        let out = Self.data + "/runs/\(model)"
        var arguments = [
            "train", "--model", model, "--data", Self.data, "--device", "cuda", "--epochs", "1", "--steps-per-epoch", "2", "--out", out,
        ]
        if model.contains("gan") { arguments += ["--fid-samples", "0"] }
        let result = try neuron(arguments)
        #expect(result.status == 0, "\(model): \(result.stderr.suffix(600))")
        #expect(result.stdout.contains("wrote \(out)/"), "\(model): \(result.stdout.suffix(300))")
    }

    @Test func aCheckpointTrainedOnTheGPUScoresTheSameOnTheCPU() throws {
        let out = Self.data + "/runs/lenet-check"
        let trained = try neuron(["train", "--model", "lenet", "--data", Self.data, "--device", "cuda", "--epochs", "1", "--out", out])
        #expect(trained.status == 0, "\(trained.stderr.suffix(600))")
        let accuracy = trained.stdout.split(separator: "\n").last { $0.hasPrefix("test_accuracy=") }
        for device in ["cpu", "cuda"] {
            let scored = try neuron([
                "evaluate", "--model", "lenet", "--checkpoint", out + "/model.safetensors", "--data", Self.data, "--device", device,
            ])
            #expect(scored.status == 0 && accuracy != nil, "\(scored.stderr.suffix(600))")
            #expect(scored.stdout.split(separator: "\n").last { $0.hasPrefix("test_accuracy=") } == accuracy, "\(device)")
        }
    }

    @Test func aCheckpointTrainedOnTheCPUScoresTheSameOnTheGPU() throws {
        let out = Self.data + "/runs/lenet-cpu"
        let trained = try neuron(["train", "--model", "lenet", "--data", Self.data, "--epochs", "1", "--out", out])
        #expect(trained.status == 0, "\(trained.stderr.suffix(600))")
        let accuracy = trained.stdout.split(separator: "\n").last { $0.hasPrefix("test_accuracy=") }
        let scored = try neuron(["evaluate", "--model", "lenet", "--checkpoint", out + "/model.safetensors", "--data", Self.data, "--device", "cuda"])
        #expect(scored.status == 0 && accuracy != nil, "\(scored.stderr.suffix(600))")
        #expect(scored.stdout.split(separator: "\n").last { $0.hasPrefix("test_accuracy=") } == accuracy)
    }

    @Test func graphReplayCanBeTurnedOff() throws {
        let result = try neuron([
            "train", "--model", "mlp", "--data", Self.data, "--device", "cuda", "--epochs", "1", "--no-graphs", "--out",
            Self.data + "/runs/mlp-eager",
        ])
        #expect(result.status == 0, "\(result.stderr.suffix(600))")
    }

    @Test func sequenceFamiliesTrainOnTheGPU() throws {
        let text = (0..<400).map { "line \($0): the quick brown fox jumps over the lazy dog\n" }.joined()
        _ = FileManager.default.createFile(atPath: Self.data + "/text.txt", contents: Data(text.utf8))
        let language = try neuron([
            "train", "--model", "char-lstm", "--text", Self.data + "/text.txt", "--device", "cuda", "--epochs", "1", "--steps-per-epoch", "2",
            "--hidden", "32", "--layers", "1", "--out", Self.data + "/runs/char",
        ])
        #expect(language.status == 0 && language.stdout.contains("test_bpc="), "\(language.stderr.suffix(600))")
        let series = "sales\n" + (0..<300).map { "\(($0 % 17) + $0 / 10)\n" }.joined()
        _ = FileManager.default.createFile(atPath: Self.data + "/series.csv", contents: Data(series.utf8))
        let forecast = try neuron([
            "train", "--model", "forecaster", "--csv", Self.data + "/series.csv", "--column", "sales", "--device", "cuda", "--epochs", "1",
            "--out", Self.data + "/runs/forecaster",
        ])
        #expect(forecast.status == 0 && forecast.stdout.contains("test_rmse="), "\(forecast.stderr.suffix(600))")
    }
}
