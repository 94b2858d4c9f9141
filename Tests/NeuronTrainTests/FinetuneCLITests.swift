import Foundation
import Testing
import Neuron
import NeuronData
import NeuronModels

@Suite(.serialized) struct FinetuneCLITests {
    static let modelDirectory = EmbedCLITests.modelDirectory

    /// Digits with a frozen (here untrained) LeNet-5 backbone: only the head moves.
    @Test func digitsFrozenBackboneTrainsOnlyTheHead() throws {
        let out = NSTemporaryDirectory() + "neuron-finetune-digits-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let pretrained = LeNet5(generator: RandomGenerator(seed: 4))
        try SafeTensors.write(pretrained.stateDict(), metadata: ["model": "lenet"], to: out + "/lenet.safetensors")
        let result = try runNeuron(["finetune", "--task", "digits", "--mode", "frozen", "--pretrained", out + "/lenet.safetensors",
                                    "--labels-per-class", "5", "--epochs", "3", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("50 training examples") && result.stdout.contains("test_accuracy=0."), "\(result.stdout)")
        let tuned = try SafeTensors.read(out + "/model.safetensors").tensors
        for (name, tensor) in pretrained.stateDict() {
            let same = tensor.toArray(Float.self) == tuned[name]!.toArray(Float.self)
            #expect(name.hasPrefix("11.") ? !same : same, "\(name)")
        }
        let table = try CSV.read(out + "/result.csv")
        #expect(table.header == ["task", "mode", "labels_per_class", "seed", "train_examples", "test_accuracy", "macro_f1", "seconds"])
    }

    /// The probe on a tiny folder of two topics: MiniLM's embeddings and a linear head.
    @Test func textProbeOnATinyFolder() throws {
        let out = NSTemporaryDirectory() + "neuron-finetune-text-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: out + "/topics", withIntermediateDirectories: true)
        let cooking = ["Stir the soup and add salt.", "Bake the bread for an hour.", "Chop the onions finely.", "Fry the eggs in butter.",
                       "Boil the pasta in salted water."]
        let space = ["The rocket reached orbit.", "Astronauts walked on the moon.", "The telescope saw a distant galaxy.",
                     "Mars has two small moons.", "The space station circles the earth."]
        for (name, entries) in [("cooking", cooking), ("space", space)] {
            let text = entries.joined(separator: "\n%\n") + "\n%\n"
            try Array(text.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/topics/\(name)", [$0]) }
        }
        let result = try runNeuron(["finetune", "--task", "text-topics", "--mode", "probe", "--text-dir", out + "/topics",
                                    "--categories", "cooking,space", "--model-dir", Self.modelDirectory, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("8 training examples") && result.stdout.contains("test_accuracy=1.0000"), "\(result.stdout)")
        #expect(try SafeTensors.read(out + "/head.safetensors").tensors["weight"]?.shape == [2, 384])
    }

    @Test func finetuneUsageErrors() throws {
        let cases: [([String], String)] = [
            (["finetune", "--mode", "probe"], "finetune: missing required option '--task'"),
            (["finetune", "--task", "images", "--mode", "probe"], "'--task' must be one of digits, text-topics"),
            (["finetune", "--task", "digits", "--mode", "probe"], "'--mode' for digits must be one of scratch, frozen, finetune"),
            (["finetune", "--task", "digits", "--mode", "scratch", "--pretrained", "/nonexistent.safetensors"], "pretrained model /nonexistent.safetensors not found"),
            (["finetune", "--task", "text-topics", "--mode", "probe", "--text-dir", "/tmp", "--categories", "no-such-topic"], "no such topic file"),
        ]
        for (arguments, message) in cases {
            let result = try runNeuron(arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line")
        }
    }
}
