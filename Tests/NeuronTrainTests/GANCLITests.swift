import Foundation
import Neuron
import NeuronData
import NeuronModels
import Testing

@Suite(.serialized) struct GANCLITests {
    /// A conditional DCGAN trains from the CLI on a few images, reports its quality with a
    /// (here untrained) LeNet-5, writes both networks under PyTorch's names, and generates a
    /// requested class.
    @Test func conditionalGANTrainsAndGenerates() throws {
        let out = NSTemporaryDirectory() + "neuron-cli-cgan-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try SafeTensors.write(LeNet5(generator: RandomGenerator(seed: 1)).stateDict(), metadata: ["model": "lenet"], to: out + "/lenet.safetensors")
        let train = try runNeuron([
            "train", "--model", "cgan", "--epochs", "1", "--train-size", "256", "--fid-samples", "100",
            "--classifier", out + "/lenet.safetensors", "--ema", "0.99", "--out", out,
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let last = train.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("fid=") && last.contains(" class_accuracy=0."), "\(last)")
        #expect(train.stdout.contains("scale: two halves of the test set"))
        for file in [
            "generator.safetensors", "discriminator.safetensors", "generator_ema.safetensors", "samples.png", "curves.png", "best.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let generatorFile = try SafeTensors.read(out + "/generator.safetensors")
        #expect(
            generatorFile.tensors["label_embedding.weight"]?.shape == [10, 16] && generatorFile.tensors["layers.3.weight"]?.shape == [64, 32, 4, 4])
        #expect(generatorFile.metadata["role"] == "generator" && generatorFile.metadata["model"] == "cgan")
        let table = try CSV.read(out + "/metrics.csv")
        for column in ["d_loss", "g_loss", "d_real", "d_fake", "fid", "class_accuracy"] {
            #expect(table.header.contains(column), "metrics.csv lacks \(column)")
        }
        let generate = try runNeuron([
            "generate", "--checkpoint", out + "/generator.safetensors", "--class", "3", "--count", "5",
            "--output", out + "/x.npy", "--grid", out + "/x.png",
        ])
        #expect(generate.status == 0, "\(generate.stderr)")
        let images = try NPY.read(out + "/x.npy")
        #expect(images.shape == [5, 1, 28, 28] && images.min().item() >= 0 && images.max().item() <= 1)
        let wrongClass = try runNeuron(["generate", "--checkpoint", out + "/generator.safetensors", "--class", "10", "--output", out + "/y.npy"])
        #expect(wrongClass.status == 2 && wrongClass.stderr.contains("'--class' must be in 0..<10"), "\(wrongClass.stderr)")
        let discriminator = try runNeuron(["generate", "--checkpoint", out + "/discriminator.safetensors", "--output", out + "/y.npy"])
        #expect(discriminator.status == 2 && discriminator.stderr.contains("not its generator"), "\(discriminator.stderr)")
    }

    @Test func ganUsageErrors() throws {
        let cases: [([String], String)] = [
            (["train", "--model", "gan", "--classifier", "/nonexistent.safetensors"], "quality classifier /nonexistent.safetensors not found"),
            (["train", "--model", "gan", "--loss", "hinge"], "'--loss' must be one of non-saturating, least-squares, wasserstein"),
            (["train", "--model", "dcgan", "--gp-weight", "5"], "'--gp-weight' applies to the wasserstein loss only"),
            (["train", "--model", "gan", "--label-smoothing", "1"], "'--label-smoothing' must be in [0, 1)"),
            (["train", "--model", "gan", "--optimizer", "sgd"], "GANs train with Adam"),
            (
                ["train", "--model", "mlp", "--d-steps", "2"],
                "option '--d-steps' does not apply to model 'mlp' (classifier); it is for gan, dcgan, cgan, wgan-gp"
            ),
        ]
        for (arguments, message) in cases {
            let result = try runNeuron(arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line")
        }
    }
}
