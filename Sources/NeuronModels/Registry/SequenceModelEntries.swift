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
        exampleInput: { _, batch in Tensor.zeros([batch, 64], dtype: .int64) },
        build: { config, generator in
            // The vocabulary comes from the text; a summary without one assumes fortunes' 113 characters.
            let vocabulary = config.values["vocabulary"].map { $0.unicodeScalars.count } ?? 113
            return .network(
                CharLSTM(
                    vocabularySize: vocabulary, embeddingSize: try config.integer("embedding", default: 64),
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
