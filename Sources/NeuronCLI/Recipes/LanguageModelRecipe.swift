import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// Character-level LSTM on Debian's fortunes (or `--text FILE`): 90 % of the text trains,
/// the next 5 % validates, the last 5 % tests; truncated BPTT over windows of `--seq-len`
/// characters in `--batch-size` parallel streams, gradients clipped (norm 1 by default).
let languageModelRecipe = TaskRecipe(
    family: .languageModel, summary: "character-level language model on Debian's fortunes or a text file",
    specs: [
        .init(name: "text", value: "FILE", help: "train on this text file instead of Debian's fortunes"),
        .init(name: "seq-len", value: "T", help: "characters per truncated-BPTT window (default 64)"),
    ], run: trainLanguageModel)

func trainLanguageModel(_ run: TrainRun) {
    let (options, settings) = (run.options, run.settings)
    let length = options.int("seq-len", default: 64), hidden = run.int("hidden"), layers = run.int("layers")
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let corpus = try options.string("text").map { try TextCorpus.load(file: $0) } ?? TextCorpus.fortunes()
        let count = corpus.indices.count
        let trainEnd = count * 9 / 10, validationEnd = count * 19 / 20
        let streams = settings.batchSize
        let train = try corpus.streamWindows(0..<trainEnd, streams: streams, length: length)
        let validation = try corpus.streamWindows(trainEnd..<validationEnd, streams: min(streams, 16), length: length)
        let test = try corpus.streamWindows(validationEnd..<count, streams: min(streams, 16), length: length)
        print("text: \(count) characters, vocabulary \(corpus.vocabulary.count); \(train.count / streams) batches of \(streams)×\(length) per epoch")
        Random.seed(UInt64(settings.seed))
        let built = try ModelRegistry.network(run.model, run.config.values.merging(["vocabulary": corpus.vocabularyString]) { a, _ in a })
        guard let model = built as? CharLSTM else {
            throw DataError("\(run.model) is not a character-level LSTM: the language-model recipe samples text from one")
        }
        let classes = corpus.vocabulary.count
        let loss: (Tensor, Tensor) -> Tensor = { crossEntropy($0.reshaped([-1, classes]), $1.reshaped([-1])) }
        let metadata = [
            "vocabulary": corpus.vocabularyString, "hidden": "\(hidden)", "layers": "\(layers)",
            "embedding": "\(model.embedding.weight.shape[1])", "loss": "cross-entropy (nats)",
        ]
        // Consecutive batches must continue the same streams: no shuffling.
        let (trainer, outcome) = try runFit(
            settings, model: model, loss: loss, metrics: [BitsPerCharacter()],
            monitor: ("val_bpc", .min), train: DataLoader(train, batchSize: streams),
            validation: DataLoader(validation, batchSize: min(streams, 16)), metadata: metadata)
        let validationBPC = trainer.history.last?["val_bpc"] ?? .nan
        let testBPC = try trainer.evaluate(DataLoader(test, batchSize: min(streams, 16), shard: processShard))["bpc"] ?? .nan
        model.eval()
        let sample = model.sample(
            prompt: "The ", length: 300, temperature: 0.8, corpus: corpus,
            generator: RandomGenerator(seed: UInt64(settings.seed)))
        print("sample (temperature 0.8):\n\(sample)\n")
        print("wrote \(settings.out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, tb/")
        print("validation_bpc=\(formatFixed(validationBPC, 3)) test_bpc=\(formatFixed(testBPC, 3))")
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}

let generateSpecs: [Options.Spec] = [
    .init(
        name: "checkpoint", value: "FILE",
        help: "a char-lstm, vae or conv-vae model.safetensors, or a GAN's generator.safetensors (or best/checkpoint), written by `neuron train`"),
    .init(name: "prompt", value: "TEXT", help: "text to start from (default: a new line)"),
    .init(name: "temperature", value: "T", help: "sampling temperature; 0 picks the most likely character (default 0.8)"),
    .init(name: "length", value: "N", help: "characters to generate (default 500)"),
    .init(name: "seed", value: "S", help: "random seed (default 0)"),
    .init(name: "count", value: "N", help: "vae / GAN: images to draw (default 64)"),
    .init(name: "output", value: "X.npy", help: "vae / GAN: where to write the images, float32 [N, 1, 28, 28] in [0, 1]"),
    .init(name: "grid", value: "FILE.png", help: "vae / GAN: also draw them as a grid"),
    .init(name: "class", value: "K", help: "conditional GAN: draw class K (0–9) only (default: the classes in turn)"),
    .init(name: "noise", value: "Z.npy", help: "GAN: use this noise [N, latent] (float32) instead of drawing it; N replaces --count"),
]

/// `neuron generate`: samples text from a trained character-level model, or images from a VAE's prior.
func runGenerate(_ arguments: [String]) {
    let options = Options(command: "generate", specs: generateSpecs, arguments: arguments)
    let path = options.required("checkpoint")
    let temperature = options.double("temperature", default: 0.8, positive: false)!
    guard temperature >= 0 else { fail("generate: '--temperature' must be ≥ 0, got \(temperature)") }
    let length = options.int("length", default: 500)
    let seed = options.int("seed", default: 0, minimum: 0)
    do {
        if let name = try SafeTensors.read(path).metadata["model"], ModelRegistry.entry(name)?.family == .gan {
            return try generateImages(options, path: path, seed: seed)
        }
        if options.string("class") != nil { fail("generate: '--class' applies to conditional GAN generators (cgan)") }
        if options.string("noise") != nil { fail("generate: '--noise' applies to GAN generators") }
        let (loaded, metadata) = try SavedModel.load(path)
        if let vae = loaded as? any VariationalAutoencoderModel {
            guard let output = options.string("output") else { fail("generate: a VAE needs --output X.npy") }
            let count = options.int("count", default: 64)
            let images = noGrad {
                vae.decodeLogits(Tensor.normal([count, vae.latentSize], generator: RandomGenerator(seed: UInt64(seed)))).sigmoid()
            }.reshaped([count, 1, 28, 28])
            try NPY.write(images, to: output)
            if let grid = options.string("grid") { try ImageGrid.write(images, to: grid) }
            print("wrote \(output): \(count) images [\(count), 1, 28, 28] drawn from the prior" + (options.string("grid").map { " and \($0)" } ?? ""))
            return
        }
        for option in ["count", "output", "grid"] where options.string(option) != nil {
            fail("generate: '--\(option)' applies to vae, conv-vae and GAN models")
        }
        guard let model = loaded as? CharLSTM, let vocabulary = metadata["vocabulary"] else {
            throw DataError("\(path) is not a char-lstm model written by `neuron train --model char-lstm`")
        }
        let corpus = TextCorpus(text: "", vocabulary: Array(vocabulary.unicodeScalars))
        print(
            model.sample(
                prompt: options.string("prompt") ?? "\n", length: length, temperature: temperature, corpus: corpus,
                generator: RandomGenerator(seed: UInt64(seed))))
    } catch {
        fail("generate: \(error)")
    }
}

/// `neuron generate` for a GAN's generator: `--count` images from noise drawn with `--seed`
/// (a conditional one: of class `--class`, or the classes in turn), to `--output` as float32
/// [N, 1, 28, 28] in [0, 1], and optionally drawn as a grid.
func generateImages(_ options: Options, path: String, seed: Int) throws {
    let (generator, metadata) = try SavedModel.loadGenerator(path)
    guard let output = options.string("output") else { fail("generate: a GAN generator needs --output X.npy") }
    var noise: Tensor?
    if let noisePath = options.string("noise") {
        let loaded = try NPY.read(noisePath)
        guard loaded.rank == 2 && loaded.shape[1] == generator.latentSize else {
            fail("generate: \(noisePath) holds an array of shape \(loaded.shape); the generator takes noise [N, \(generator.latentSize)]")
        }
        noise = loaded.to(.float32)
        if options.string("count") != nil { fail("generate: give --count or --noise, not both") }
    }
    let count = noise?.shape[0] ?? options.int("count", default: 64)
    var labels: Tensor?
    if let classes = generator.classCount {
        let chosen = options.string("class").map { _ in options.int("class", default: 0, minimum: 0) }
        if let chosen, chosen >= classes { fail("generate: '--class' must be in 0..<\(classes), got \(chosen)") }
        labels = Tensor((0..<count).map { chosen ?? $0 % classes })
    } else if options.string("class") != nil {
        fail("generate: '--class' needs a conditional generator; \(path) holds a '\(metadata["model"] ?? "?")' generator")
    }
    let images =
        noise.map { generator.sample(noise: $0, labels: labels) }
        ?? generator.sample(count: count, labels: labels, generator: RandomGenerator(seed: UInt64(seed)))
    try NPY.write(images, to: output)
    if let grid = options.string("grid") { try ImageGrid.write(images, to: grid, columns: labels == nil ? 8 : 10) }
    let what = options.string("class").map { " of class \($0)" } ?? (labels == nil ? "" : " of the classes in turn")
    print("wrote \(output): \(count) images [\(count), 1, 28, 28]\(what)" + (options.string("grid").map { " and \($0)" } ?? ""))
}
