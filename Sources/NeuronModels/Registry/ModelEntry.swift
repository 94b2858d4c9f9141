import Neuron
import NeuronData
import NeuronNN

/// The kind of task a model is trained for. Each family has one recipe in `neuron train`
/// (its data, training step, callbacks and final report).
public enum ModelFamily: String, CaseIterable, Sendable {
    case classifier
    case languageModel = "language model"
    case forecaster
    case autoencoder
    case variationalAutoencoder = "variational autoencoder"
    case gan

    /// Families whose models share a data set and most options; an option of one model of a
    /// kin is reported as "applies to … only" to the others.
    public var kin: String {
        switch self {
        case .autoencoder, .variationalAutoencoder: "autoencoder"
        default: rawValue
        }
    }
}

/// A hyper-parameter of a model: `--name value` on `neuron train`, with its default per model.
public struct ModelOption: Sendable {
    /// What the option's value is, with its default.
    public enum Kind: Sendable, Equatable {
        /// A whole number ≥ `minimum`.
        case integer(default: Int, minimum: Int)
        /// A number; `nonNegative` allows 0 (otherwise it must be positive).
        case number(default: Double, nonNegative: Bool)
        /// One of a few words.
        case choice([String], default: String)
        /// A switch without a value.
        case flag
    }

    public let name: String
    public let placeholder: String
    public let help: String
    public let kind: Kind
    /// Options reported together when given to a model that does not take them
    /// ("'--noise' and '--noise-level' apply to …").
    public let group: String?

    public init(_ name: String, _ placeholder: String, _ kind: Kind, help: String, group: String? = nil) {
        (self.name, self.placeholder, self.kind, self.help, self.group) = (name, placeholder, kind, help, group)
    }

    /// The default as it is written on the command line (nil for a flag).
    public var defaultText: String? {
        switch kind {
        case .integer(let value, _): "\(value)"
        case .number(let value, _): value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case .choice(_, let value): value
        case .flag: nil
        }
    }
}

/// How a model is trained when the command line does not say otherwise.
public struct TrainingDefaults: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// The global gradient norm clipped to before each update; nil: no clipping.
    public var clipNorm: Double?
    /// "cosine" (to 0 at the last epoch) or "constant".
    public var schedule: String
    /// Adam's betas where the recipe fixes the optimiser (the GANs).
    public var betas: (Double, Double)

    public init(
        epochs: Int = 5, batchSize: Int = 64, learningRate: Double, clipNorm: Double? = nil, schedule: String = "cosine",
        betas: (Double, Double) = (0.9, 0.999)
    ) {
        (self.epochs, self.batchSize, self.learningRate, self.clipNorm) = (epochs, batchSize, learningRate, clipNorm)
        (self.schedule, self.betas) = (schedule, betas)
    }
}

/// A model's hyper-parameters by name: the values given to `neuron train` or kept in a saved
/// file's metadata ("latent": "32"), over the defaults of its registry entry.
public struct ModelConfig: Sendable {
    public let model: String
    public var values: [String: String]

    public init(model: String, values: [String: String] = [:]) {
        (self.model, self.values) = (model, values)
    }

    /// A positive whole number stored under `key`, or `fallback` when it is absent.
    public func integer(_ key: String, default fallback: Int? = nil) throws -> Int {
        if values[key] == nil, let fallback { return fallback }
        guard let value = values[key].flatMap({ Int($0) }), value > 0 else {
            throw DataError("a \(model) model needs a positive integer '\(key)' in its metadata")
        }
        return value
    }

    /// The text stored under `key`; throws when it is absent or empty.
    public func text(_ key: String) throws -> String {
        guard let value = values[key], !value.isEmpty else { throw DataError("a \(model) model needs its '\(key)' in the metadata") }
        return value
    }
}

/// What an entry builds: one network, or the two networks of an adversarial pair.
public enum BuiltModel {
    case network(any Layer)
    case adversarial(generator: any ImageGenerator, discriminator: any ImageDiscriminator)
}

/// One model `neuron` knows by name: its family, how it is built from options or from a saved
/// file's metadata, its training defaults, its own options with their help, its data set and
/// the input `neuron summary` traces it with.
public struct ModelEntry: Sendable {
    public let name: String
    public let family: ModelFamily
    /// One line for listings.
    public let summary: String
    /// The data set it trains on by default.
    public let dataset: String
    public let defaults: TrainingDefaults
    /// Hyper-parameters only this model (and others listing them) takes.
    public let options: [ModelOption]
    /// A fresh model for `config`, its weights drawn from `generator`.
    public let build: @Sendable (ModelConfig, RandomGenerator) throws -> BuiltModel
    /// A zero input of `batch` examples shaped as the model takes it.
    public let exampleInput: @Sendable (ModelConfig, Int) throws -> Tensor
    /// Sizes a fresh model takes that are not command-line options (a language model's
    /// embedding size); a saved file must state them.
    public let fixedValues: [String: String]
    /// Values `neuron summary` assumes when no file gives them and no option has a default
    /// (a language model's vocabulary).
    public let summaryValues: [String: String]

    public init(
        name: String, family: ModelFamily, summary: String, dataset: String = "fashion-mnist",
        defaults: TrainingDefaults, options: [ModelOption] = [],
        fixedValues: [String: String] = [:], summaryValues: [String: String] = [:],
        exampleInput: @escaping @Sendable (ModelConfig, Int) throws -> Tensor = { _, batch in Tensor.zeros([batch, 1, 28, 28]) },
        build: @escaping @Sendable (ModelConfig, RandomGenerator) throws -> BuiltModel
    ) {
        self.name = name
        self.family = family
        self.summary = summary
        self.dataset = dataset
        self.defaults = defaults
        self.options = options
        self.exampleInput = exampleInput
        self.fixedValues = fixedValues
        self.summaryValues = summaryValues
        self.build = build
    }

    /// The option named `name` (without dashes), if this model takes it.
    public func option(_ name: String) -> ModelOption? { options.first { $0.name == name } }

    /// `config` with every option's default, and the fixed values, filled in where no value is
    /// given: what a fresh model is built from.
    public func completed(_ config: ModelConfig) -> ModelConfig {
        var result = config
        result.values.merge(fixedValues) { own, _ in own }
        for option in options {
            if result.values[option.name] == nil, let value = option.defaultText { result.values[option.name] = value }
        }
        return result
    }
}
