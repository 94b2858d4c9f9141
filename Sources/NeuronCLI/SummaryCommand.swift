import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN

/// `neuron summary`: a model's layers with output shapes, parameters and multiply-accumulates.
func runSummary(_ arguments: [String]) {
    let options = Options(
        command: "summary",
        specs: [
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
        // Sizes a checkpoint does not give are the defaults of `neuron train`.
        let entry = try ModelRegistry.lookup(name)
        let config = entry.completed(ModelConfig(model: name, values: metadata.merging(entry.summaryValues) { own, _ in own }))
        let model = try ModelRegistry.network(name, config.values)
        let input = try entry.exampleInput(config, batch)
        print("\(name):")
        print(model.summary(input: input))
    } catch {
        fail("summary: \(error)")
    }
}
