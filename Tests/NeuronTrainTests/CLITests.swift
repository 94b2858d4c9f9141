import Foundation
import Neuron
import NeuronData
import Testing

/// The `neuron` executable built next to the test bundle.
let neuronBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("neuron").path

/// Runs an executable with `arguments` (and extra environment variables) to its end.
func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:]
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// Runs the `neuron` executable built next to the test bundle.
func runNeuron(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(neuronBinary, arguments)
}

@Suite(.serialized) struct CLITests {
    static let usageErrors: [([String], String)] = [
        ([], "missing command"),
        (["fly"], "unknown command 'fly'"),
        (["train"], "train: missing required option '--model'"),
        (["train", "--model", "nope"], "train: unknown model 'nope'"),
        (["train", "--model", "mlp", "--epochs", "zero"], "'--epochs' must be an integer ≥ 1, got 'zero'"),
        (["train", "--model", "mlp", "--lr", "-1"], "'--lr' must be a positive number, got '-1'"),
        (["train", "--model", "mlp", "--optimizer", "lbfgs"], "'--optimizer' must be one of adam, adamw, sgd"),
        (["train", "--model", "mlp", "--bogus"], "unknown option '--bogus'"),
        (["train", "--model", "mlp", "--batch-size"], "option '--batch-size' needs a value"),
        (
            ["train", "--model", "mlp", "--out", "/tmp/neuron-cli-none", "--resume"],
            "--resume given but /tmp/neuron-cli-none/checkpoint.safetensors does not exist"
        ),
        (["train", "--model", "mlp", "--data", "/nonexistent"], "Fashion-MNIST file train-images-idx3-ubyte[.gz] not found in /nonexistent"),
        (["evaluate", "--model", "mlp"], "evaluate: missing required option '--checkpoint'"),
        (["evaluate", "--model", "mlp", "--checkpoint", "/nonexistent.safetensors"], "/nonexistent.safetensors: No such file"),
        (["predict", "--model", "mlp", "--checkpoint", "x"], "predict: missing required option '--input'"),
        (["bench"], "bench: missing suite"),
        (["convert", "a.pt"], "convert: expected two files, IN.pt and OUT.safetensors"),
        (["classify"], "classify: give one or more PNG or JPEG images"),
        (
            ["classify", "x.png", "--weights", "/nonexistent.pth"],
            "classify: EfficientNet-Lite0's weights /nonexistent.pth not found: run `make models`"
        ),
        (["convert", "a.pt", "b.npy"], "convert: the output must be a .safetensors file"),
        (["convert", "/nonexistent.pt", "b.safetensors"], "/nonexistent.pt: No such file"),
        (["bench", "gpu"], "bench: unknown suite 'gpu'"),
        (["train", "--model", "char-lstm", "--text", "/nonexistent.txt"], "/nonexistent.txt: No such file"),
        (["train", "--model", "forecaster", "--csv", "/nonexistent.csv"], "/nonexistent.csv: No such file"),
        (["generate"], "generate: missing required option '--checkpoint'"),
        (["generate", "--checkpoint", "/nonexistent.safetensors"], "/nonexistent.safetensors: No such file"),
        (["generate", "--checkpoint", "x", "--temperature", "-1"], "'--temperature' must be ≥ 0"),
        (["train", "--model", "mlp", "--seq-len", "5"], "option '--seq-len' does not apply to model 'mlp' (classifier); it is for char-lstm"),
        (["train", "--model", "char-lstm", "--augment"], "option '--augment' does not apply to model 'char-lstm'"),
        (["train", "--model", "forecaster", "--window", "0"], "'--window' must be an integer ≥ 1"),
        (["summary"], "summary: give --model NAME or --checkpoint FILE"),
        (["train", "--model", "autoencoder", "--noise", "masking"], "'--noise' and '--noise-level' apply to denoising-autoencoder only"),
        (["train", "--model", "denoising-autoencoder", "--noise", "salt"], "'--noise' must be one of gaussian, masking"),
        (["train", "--model", "autoencoder", "--beta", "2"], "'--beta' applies to vae and conv-vae only"),
        (["train", "--model", "vae", "--beta", "-1"], "'--beta' must be ≥ 0"),
        (["anomaly", "--normal-class", "12"], "anomaly: '--normal-class' must be a class from 0 to 9, got '12'"),
        (["encode", "--checkpoint", "x.safetensors"], "encode: missing required option '--output'"),
        (["anomaly"], "anomaly: give --normal-class K (0–9) or --all-classes"),
        (["anomaly", "--model", "lenet", "--normal-class", "1"], "'--model' must be one of conv-autoencoder, autoencoder, vae, conv-vae"),
        (
            ["train", "--model", "mlp", "--latent", "2"],
            "option '--latent' does not apply to model 'mlp' (classifier); it is for autoencoder, conv-autoencoder, denoising-autoencoder, vae, conv-vae"
        ),
        (["summary", "--model", "vgg"], "unknown model 'vgg'"),
    ]

    @Test(arguments: usageErrors.indices)
    func usageErrorsPrintOneLineAndExitTwo(_ i: Int) throws {
        let (arguments, fragment) = Self.usageErrors[i]
        let result = try runNeuron(arguments)
        #expect(result.status == 2, "\(arguments): status \(result.status)")
        #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
    }

    @Test func everyCommandHasHelp() throws {
        for command in [
            ["--help"], ["train", "--help"], ["evaluate", "--help"], ["predict", "--help"], ["generate", "--help"],
            ["bench", "--help"], ["summary", "--help"], ["anomaly", "--help"], ["encode", "--help"], ["train", "--model", "lenet", "--help"],
            ["train", "--model", "char-lstm", "--help"], ["train", "--model", "forecaster", "--help"], ["convert", "--help"],
            ["classify", "--help"],
        ] {
            let result = try runNeuron(command)
            #expect(result.status == 0 && result.stdout.contains("usage: neuron"), "\(command)")
        }
        let family = try runNeuron(["train", "--model", "char-lstm", "--help"]).stdout
        #expect(family.contains("--seq-len") && !family.contains("--augment") && family.contains("language model"))
        let families = try runNeuron(["train", "--help"]).stdout
        #expect(families.contains("classifier") && families.contains("forecaster") && families.contains("resnet20"))
    }

    /// A PyTorch checkpoint to safetensors: every tensor under its dotted name; a pickle that
    /// would run code is refused in one line.
    @Test func convertsAPyTorchCheckpoint() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NeuronDataTests/Fixtures").path
        let output = "/tmp/neuron-cli-convert.safetensors"
        let result = try runNeuron(["convert", "\(fixtures)/torch_legacy.pt", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(output): 15 tensors"))
        let (converted, _) = try SafeTensors.read(output)
        let expected = try SafeTensors.read("\(fixtures)/torch_expected.safetensors").tensors
        #expect(Set(converted.keys) == Set(expected.keys))
        #expect(converted["model.transposed"]!.toArray(Double.self) == expected["model.transposed"]!.toArray(Double.self))
        let evil = try runNeuron(["convert", "\(fixtures)/torch_evil_zip.pt", output])
        #expect(evil.status == 2)
        #expect(evil.stderr.hasSuffix("refused global 'posix.system' (a state dict needs only tensors, storages and dicts)\n"))
        #expect(evil.stderr.split(separator: "\n").count == 1)
    }

    @Test func summaryOfLeNet() throws {
        let result = try runNeuron(["summary", "--model", "lenet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Total parameters: 61,706") && result.stdout.contains("416,520"))
        #expect(result.stdout.contains("Conv2d") && result.stdout.contains("[1, 6, 28, 28]"))
    }

    @Test func corruptCheckpointIsAClearError() throws {
        let path = NSTemporaryDirectory() + "neuron-corrupt-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3, 4, 5, 6, 7, 8, 9]))
        let result = try runNeuron(["evaluate", "--model", "mlp", "--checkpoint", path])
        #expect(result.status == 2 && result.stderr.contains("header length"))
        let wrong = NSTemporaryDirectory() + "neuron-wrong-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        try SafeTensors.write(["1.weight": Tensor.zeros([3, 3])], to: wrong)
        let mismatch = try runNeuron(["evaluate", "--model", "mlp", "--checkpoint", wrong])
        #expect(mismatch.status == 2 && mismatch.stderr.contains("1.weight: expected shape [256, 784], found [3, 3]"))
    }

    /// Train one short epoch, then evaluate and predict with what it wrote; then resume.
    @Test func trainEvaluatePredictAndResume() throws {
        let out = NSTemporaryDirectory() + "neuron-cli-run-\(UInt32.random(in: 0...UInt32.max))"
        let train = try runNeuron(["train", "--model", "mlp", "--epochs", "1", "--batch-size", "256", "--out", out])
        #expect(train.status == 0, "\(train.stderr)")
        let last = train.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("test_accuracy=0."))
        #expect((Double(last.dropFirst("test_accuracy=".count)) ?? 0) > 0.8)
        for file in ["model.safetensors", "checkpoint.safetensors", "metrics.csv", "curves.png", "curves.svg", "tb"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        // The architecture comes from the file's metadata.
        let evaluate = try runNeuron(["evaluate", "--checkpoint", out + "/model.safetensors"])
        #expect(evaluate.status == 0 && evaluate.stdout.contains("Ankle boot") && evaluate.stdout.contains(last))
        let fromCheckpoint = try runNeuron(["evaluate", "--checkpoint", out + "/checkpoint.safetensors"])
        #expect(fromCheckpoint.status == 0 && fromCheckpoint.stdout.contains(last), "\(fromCheckpoint.stderr)")
        let wrongModel = try runNeuron(["evaluate", "--model", "lenet", "--checkpoint", out + "/model.safetensors"])
        #expect(wrongModel.status == 2 && wrongModel.stderr.contains("holds a 'mlp' model, not 'lenet'"))
        let encode = try runNeuron(["encode", "--checkpoint", out + "/model.safetensors", "--output", out + "/codes.npy"])
        #expect(encode.status == 2 && encode.stderr.contains("holds a 'mlp' model, not an autoencoder"))
        #expect(encode.stderr.split(separator: "\n").count == 1)
        let summary = try runNeuron(["summary", "--checkpoint", out + "/model.safetensors"])
        #expect(summary.status == 0 && summary.stdout.contains("Total parameters: 235,146"))

        let images = try FashionMNIST.load(.test).inputs[..<5]
        try NPY.write(images, to: out + "/x.npy")
        let predict = try runNeuron([
            "predict", "--model", "mlp", "--checkpoint", out + "/checkpoint.safetensors",
            "--input", out + "/x.npy", "--output", out + "/y.npy",
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(try NPY.read(out + "/y.npy").shape == [5, 10])

        let resume = try runNeuron(["train", "--model", "mlp", "--epochs", "2", "--batch-size", "256", "--out", out, "--resume"])
        #expect(resume.status == 0 && resume.stdout.contains("resuming from epoch 2"))
        #expect(try CSV.read(out + "/metrics.csv").rows.count == 2)
    }
}

extension CLITests {
    /// Ctrl-C mid-training saves a resumable checkpoint and exits with status 130.
    @Test func interruptSavesAResumableCheckpoint() throws {
        let out = NSTemporaryDirectory() + "neuron-cli-interrupt-\(UInt32.random(in: 0...UInt32.max))"
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("neuron")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["train", "--model", "mlp", "--epochs", "3", "--batch-size", "8", "--out", out]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Wait until training has started (the first epoch's data and the sample grid exist).
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: out + "/samples.png") { usleep(20_000) }
        usleep(300_000)
        process.interrupt()
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(text) \(errors)")
        #expect(text.contains("interrupted: resumable checkpoint saved"))
        let checkpoint = try SafeTensors.read(out + "/checkpoint.safetensors")
        #expect(checkpoint.tensors["progress.batch"]!.item() > 0 && checkpoint.tensors["progress.epoch"]!.item() == 0)
    }

    /// A VAE trains from the CLI, reports its bounds, and generates images from its prior.
    @Test func vaeTrainsAndGenerates() throws {
        let out = NSTemporaryDirectory() + "neuron-cli-vae-\(UInt32.random(in: 0...UInt32.max))"
        let train = try runNeuron(["train", "--model", "vae", "--epochs", "1", "--batch-size", "256", "--iw-samples", "2", "--out", out])
        #expect(train.status == 0, "\(train.stderr)")
        let last = train.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("test_elbo=-") && last.contains(" test_nll="), "\(last)")
        for file in ["model.safetensors", "samples.png", "reconstructions.png", "interpolation.png"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let generate = try runNeuron([
            "generate", "--checkpoint", out + "/model.safetensors", "--count", "4", "--output", out + "/x.npy",
            "--grid", out + "/x.png",
        ])
        #expect(generate.status == 0, "\(generate.stderr)")
        let images = try NPY.read(out + "/x.npy")
        #expect(images.shape == [4, 1, 28, 28] && images.min().item() >= 0 && images.max().item() <= 1)
        let missing = try runNeuron(["generate", "--checkpoint", out + "/model.safetensors"])
        #expect(missing.status == 2 && missing.stderr.contains("a VAE needs --output"))
    }
}
