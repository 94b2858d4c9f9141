import Foundation
import Neuron
import NeuronData
import NeuronModels
import Testing

@Suite(.serialized) struct FinetuneCLITests {
    static let modelDirectory = EmbedCLITests.modelDirectory

    /// Digits with a frozen (here untrained) LeNet-5 backbone: only the head moves.
    @Test func digitsFrozenBackboneTrainsOnlyTheHead() throws {
        let out = NSTemporaryDirectory() + "neuron-finetune-digits-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let pretrained = LeNet5(generator: RandomGenerator(seed: 4))
        try SafeTensors.write(pretrained.stateDict(), metadata: ["model": "lenet"], to: out + "/lenet.safetensors")
        let result = try runNeuron([
            "finetune", "--task", "digits", "--mode", "frozen", "--pretrained", out + "/lenet.safetensors",
            "--labels-per-class", "5", "--epochs", "3", "--out", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("50 training examples") && result.stdout.contains("test_accuracy=0."), "\(result.stdout)")
        let tuned = try SafeTensors.read(out + "/model.safetensors").tensors
        for (name, tensor) in pretrained.stateDict() {
            let same = tensor.toArray(Float.self) == tuned[name]!.toArray(Float.self)
            #expect(name.hasPrefix("11.") ? !same : same, "\(name)")
        }
        let table = try CSV.read(out + "/result.csv")
        #expect(table.header == ["task", "mode", "labels_per_class", "seed", "train_examples", "test_accuracy", "macro_f1", "seconds"])

        let unmatched = try runNeuron([
            "finetune", "--task", "digits", "--mode", "finetune", "--pretrained", out + "/lenet.safetensors",
            "--freeze", "0.*,conv9.*", "--out", out,
        ])
        #expect(unmatched.status == 2 && unmatched.stderr.contains("--freeze: 'conv9.*' matches no parameter"), "\(unmatched.stderr)")
    }

    /// Fashion-MNIST's classes 0–4 to 5–9: a short pretraining on the source classes, then
    /// `frozen-convs` keeps its convolutions bit-identical, trains its linear layers and a new
    /// 5-class head, and scores on the 5,000 test images of the target classes.
    @Test func fashionSplitPretrainsThenTransfersTheConvolutions() throws {
        let out = NSTemporaryDirectory() + "neuron-finetune-fashion-\(UInt32.random(in: 0...UInt32.max))"
        let pretrain = try runNeuron([
            "finetune", "--task", "fashion-split", "--mode", "pretrain", "--train-size", "512", "--epochs", "1",
            "--out", out + "/source",
        ])
        #expect(pretrain.status == 0, "\(pretrain.stderr)")
        #expect(pretrain.stdout.contains("512 training examples"), "\(pretrain.stdout)")
        let (source, sourceMetadata) = try SafeTensors.read(out + "/source/model.safetensors")
        #expect(sourceMetadata["source_classes"] == "0,1,2,3,4" && sourceMetadata["classes"] == "5")
        #expect(source["11.weight"]?.shape == [5, 84])
        let result = try runNeuron([
            "finetune", "--task", "fashion-split", "--mode", "frozen-convs", "--pretrained", out + "/source/model.safetensors",
            "--labels-per-class", "4", "--epochs", "2", "--out", out + "/target",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("20 training examples") && result.stdout.contains("test_accuracy=0."), "\(result.stdout)")
        let (tuned, metadata) = try SafeTensors.read(out + "/target/model.safetensors")
        #expect(metadata["model"] == "lenet" && metadata["classes"] == "5" && metadata["task"] == "fashion-split")
        for (name, tensor) in source {
            let same = tensor.toArray(Float.self) == tuned[name]!.toArray(Float.self)
            #expect(name.hasPrefix("0.") || name.hasPrefix("3.") ? same : !same, "\(name)")
        }
        let table = try CSV.read(out + "/target/result.csv")
        #expect(table.rows.count == 1 && table.rows[0][0] == "fashion-split" && table.rows[0][1] == "frozen-convs", "\(table.rows)")
        let (model, _) = try SavedModel.load(out + "/target/model.safetensors")
        #expect(model(Tensor.normal([3, 1, 28, 28])).shape == [3, 5])

        // A model that saw every class is refused as the source of the split.
        let leaky = LeNet5(classes: 5, generator: RandomGenerator(seed: 1))
        try SafeTensors.write(leaky.stateDict(), metadata: ["model": "lenet", "classes": "5"], to: out + "/leaky.safetensors")
        let refused = try runNeuron(["finetune", "--task", "fashion-split", "--mode", "finetune", "--pretrained", out + "/leaky.safetensors"])
        #expect(refused.status == 2 && refused.stderr.contains("was not pretrained on Fashion-MNIST's classes 0-4 only"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }

    /// The probe on a tiny folder of two topics: MiniLM's embeddings and a linear head.
    @Test func textProbeOnATinyFolder() throws {
        let out = NSTemporaryDirectory() + "neuron-finetune-text-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: out + "/topics", withIntermediateDirectories: true)
        let cooking = [
            "Stir the soup and add salt.", "Bake the bread for an hour.", "Chop the onions finely.", "Fry the eggs in butter.",
            "Boil the pasta in salted water.",
        ]
        let space = [
            "The rocket reached orbit.", "Astronauts walked on the moon.", "The telescope saw a distant galaxy.",
            "Mars has two small moons.", "The space station circles the earth.",
        ]
        for (name, entries) in [("cooking", cooking), ("space", space)] {
            let text = entries.joined(separator: "\n%\n") + "\n%\n"
            try Array(text.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/topics/\(name)", [$0]) }
        }
        let result = try runNeuron([
            "finetune", "--task", "text-topics", "--mode", "probe", "--text-dir", out + "/topics",
            "--categories", "cooking,space", "--model-dir", Self.modelDirectory, "--out", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("8 training examples") && result.stdout.contains("test_accuracy=1.0000"), "\(result.stdout)")
        #expect(try SafeTensors.read(out + "/head.safetensors").tensors["weight"]?.shape == [2, 384])
    }

    @Test func finetuneUsageErrors() throws {
        let cases: [([String], String)] = [
            (["finetune", "--mode", "probe"], "finetune: missing required option '--task'"),
            (["finetune", "--task", "images", "--mode", "probe"], "'--task' must be one of digits, fashion, fashion-split, text-topics"),
            (
                ["finetune", "--task", "fashion-split", "--mode", "probe"],
                "'--mode' for fashion-split must be one of pretrain, scratch, frozen, frozen-convs, finetune"
            ),
            (
                ["finetune", "--task", "fashion-split", "--mode", "pretrain", "--model", "lstm"],
                "'--model' for pretraining must be one of lenet, mlp, resnet20"
            ),
            (
                ["finetune", "--task", "fashion-split", "--mode", "frozen", "--pretrained", "/nonexistent.safetensors"],
                "run `neuron finetune --task fashion-split --mode pretrain`"
            ),
            (
                ["finetune", "--task", "digits", "--mode", "pretrain"],
                "'--mode' for digits must be one of scratch, frozen, frozen-convs, finetune, probe"
            ),
            (["finetune", "--task", "digits", "--mode", "probe"], "mode probe needs --pretrained efficientnet-lite0"),
            (
                ["finetune", "--task", "digits", "--mode", "scratch", "--pretrained", "/nonexistent.safetensors"],
                "pretrained model /nonexistent.safetensors not found"
            ),
            (["finetune", "--task", "text-topics", "--mode", "probe", "--text-dir", "/tmp", "--categories", "no-such-topic"], "no such topic file"),
        ]
        for (arguments, message) in cases {
            let result = try runNeuron(arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line")
        }
    }
}
