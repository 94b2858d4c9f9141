import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN

/// `neuron summary`: a model's layers with output shapes, parameters and multiply-accumulates.
func runSummary(_ arguments: [String]) {
    let options = Options(command: "summary", specs: [
        .init(name: "model", value: "NAME", help: "architecture: \(SavedModel.architectures.joined(separator: ", "))"),
        .init(name: "checkpoint", value: "FILE", help: "a file written by `neuron train` (the architecture and its sizes come from it)"),
        .init(name: "batch-size", value: "B", help: "examples in the traced input (default 1: figures per example)"),
    ], arguments: arguments)
    let batch = options.int("batch-size", default: 1)
    do {
        var metadata: [String: String] = [:]
        if let path = options.string("checkpoint") { metadata = try SafeTensors.read(path).metadata }
        if let name = options.string("model") { metadata["model"] = name }
        guard let name = metadata["model"] else { fail("summary: give --model NAME or --checkpoint FILE") }
        // Defaults of `neuron train` for the sequence models when no checkpoint gives sizes.
        let defaults: [String: String] = name == "char-lstm"
            ? ["vocabulary": String(repeating: "a", count: 113), "embedding": "64", "hidden": "256", "layers": "2"]
            : ["hidden": "32", "layers": "1", "window": "24"]
        metadata.merge(defaults) { own, _ in own }
        let model = try SavedModel.make(metadata: metadata)
        let input: Tensor = switch name {
        case "char-lstm": Tensor.zeros([batch, 64], dtype: .int64)
        case "forecaster": Tensor.zeros([batch, Int(metadata["window"] ?? "24") ?? 24])
        default: Tensor.zeros([batch, 1, 28, 28])
        }
        print("\(name):")
        print(model.summary(input: input))
    } catch {
        fail("summary: \(error)")
    }
}
