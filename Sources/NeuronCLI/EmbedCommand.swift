import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronTrain

let modelDirectorySpec = Options.Spec(
    name: "model-dir", value: "DIR",
    help: "a sentence-transformers BERT folder (default \(SentenceEncoder.defaultDirectory), installed by `make models`)")

/// `neuron embed`: one sentence per input line to float32 embeddings [N, hidden] in a .npy file.
func runEmbed(_ arguments: [String]) {
    let options = Options(
        command: "embed",
        specs: [
            modelDirectorySpec,
            .init(name: "input", value: "FILE", help: "sentences, one per line"),
            .init(name: "output", value: "X.npy", help: "where to write the embeddings, float32 [N, hidden]"),
            .init(name: "batch-size", value: "B", help: "sentences per batch (default 32)"),
            CommonOptions.device,
        ], arguments: arguments)
    let device = CommonOptions.device(options, command: "embed")
    let input = options.required("input"), output = options.required("output")
    let batchSize = options.int("batch-size", default: 32)
    do {
        let text = String(decoding: try readFileBytes(input), as: UTF8.self)
        var sentences = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if sentences.last == "" { sentences.removeLast() }
        let encoder = try SentenceEncoder(directory: options.string("model-dir") ?? SentenceEncoder.defaultDirectory)
        encoder.model.to(device)
        let start = ProgressBar.now()
        let embeddings = encoder.encode(sentences, batchSize: batchSize)
        let seconds = ProgressBar.now() - start
        try NPY.write(embeddings, to: output)
        print(
            "wrote \(output): \(embeddings.shape) float32 from \(sentences.count) sentences in \(formatFixed(seconds, 2)) s "
                + "(\(formatFixed(Double(sentences.count) / max(seconds, 1e-9), 1)) sentences/s)")
    } catch {
        fail("embed: \(error)")
    }
}

/// `neuron similarity "A" "B"`: the cosine similarity of two sentences' embeddings.
func runSimilarity(_ arguments: [String]) {
    let positional = arguments.prefix { !$0.hasPrefix("--") }
    let options = Options(
        command: "similarity", specs: [modelDirectorySpec], arguments: Array(arguments.dropFirst(positional.count)),
        usage: "usage: neuron similarity \"SENTENCE\" \"SENTENCE\" [--model-dir DIR]")
    guard positional.count == 2 else { fail("similarity: give exactly two sentences, got \(positional.count)") }
    do {
        let encoder = try SentenceEncoder(directory: options.string("model-dir") ?? SentenceEncoder.defaultDirectory)
        print(formatFixed(encoder.similarity(positional[positional.startIndex], positional[positional.startIndex + 1]), 4))
    } catch {
        fail("similarity: \(error)")
    }
}
