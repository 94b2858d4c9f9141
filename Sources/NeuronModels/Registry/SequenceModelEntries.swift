import Neuron
import NeuronNN

/// The sequence models: a character-level language model and a time-series forecaster.
extension ModelEntry {
    public static let charLSTM = ModelEntry(
        name: "char-lstm", family: .languageModel,
        summary: "character-level LSTM language model (embedding 64, dropout 0.1)", dataset: "fortunes",
        defaults: TrainingDefaults(epochs: 4, learningRate: 3e-3, clipNorm: 1),
        options: [
            ModelOption("hidden", "H", .integer(default: 256, minimum: 1), help: "LSTM hidden size"),
            ModelOption("layers", "L", .integer(default: 2, minimum: 1), help: "LSTM layers"),
        ],
        fixedValues: ["embedding": "64"],
        // A summary without a file assumes the 113 characters of Debian's fortunes.
        summaryValues: ["vocabulary": String(repeating: "a", count: 113)],
        exampleInput: { _, batch in Tensor.zeros([batch, 64], dtype: .int64) },
        build: { config, generator in
            // The vocabulary comes from the text the model was trained on.
            let vocabulary = try config.text("vocabulary").unicodeScalars.count
            return .network(
                CharLSTM(
                    vocabularySize: vocabulary, embeddingSize: try config.integer("embedding"),
                    hiddenSize: try config.integer("hidden"), layers: try config.integer("layers"), generator: generator))
        })

    public static let forecaster = ModelEntry(
        name: "forecaster", family: .forecaster,
        summary: "LSTM one-step-ahead forecaster over a window of past values", dataset: "sunspots",
        defaults: TrainingDefaults(epochs: 150, batchSize: 32, learningRate: 3e-3, clipNorm: 1),
        options: [
            ModelOption("hidden", "H", .integer(default: 32, minimum: 1), help: "LSTM hidden size"),
            ModelOption("layers", "L", .integer(default: 1, minimum: 1), help: "LSTM layers"),
        ],
        exampleInput: { config, batch in Tensor.zeros([batch, try config.integer("window", default: 24)]) },
        build: { config, generator in
            .network(Forecaster(hiddenSize: try config.integer("hidden"), layers: try config.integer("layers"), generator: generator))
        })
}
