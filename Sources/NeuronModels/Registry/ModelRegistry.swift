import Neuron
import NeuronData
import NeuronNN
import Synchronization

/// Every model `neuron` knows, by name, in one place: `neuron train`, `evaluate`, `predict`,
/// `generate`, `summary` and `bench`, `SavedModel` and the experiments look models up here.
/// A model of your own is one `ModelEntry` and one `register` call (see docs/extending.md).
public enum ModelRegistry {
    /// The models that ship with Neuron, in the order listings show them.
    public static let builtIn: [ModelEntry] = [
        .mlp, .lenet, .resnet20, .lstm, .convnet,
        .charLSTM, .forecaster,
        .autoencoder, .convAutoencoder, .denoisingAutoencoder, .vae, .convVAE,
        .gan, .dcgan, .cgan, .wganGP,
    ]

    private static let added = Mutex<[ModelEntry]>([])

    /// Every registered model: the built-in ones, then those added with `register`.
    public static var entries: [ModelEntry] { builtIn + added.withLock { $0 } }

    /// Adds a model; a name already taken stops with a message naming it.
    public static func register(_ entry: ModelEntry) {
        precondition(self.entry(entry.name) == nil, "ModelRegistry.register: a model named '\(entry.name)' is already registered")
        added.withLock { $0.append(entry) }
    }

    /// Every model name, or those of some families, in registration order.
    public static func names(in families: Set<ModelFamily>? = nil) -> [String] {
        entries.filter { families?.contains($0.family) ?? true }.map(\.name)
    }

    /// The entry named `name`, or nil.
    public static func entry(_ name: String) -> ModelEntry? { entries.first { $0.name == name } }

    /// The entry named `name`; an unknown name throws the one-line error listing the choices.
    public static func lookup(_ name: String, in families: Set<ModelFamily>? = nil) throws -> ModelEntry {
        guard let entry = entry(name), families?.contains(entry.family) ?? true else {
            throw DataError("unknown model '\(name)' (known: \(names(in: families).joined(separator: ", ")))")
        }
        return entry
    }

    /// A freshly initialised network `name` with hyper-parameters `values` (its options'
    /// defaults for the rest, unless `completingDefaults` is false: a saved file's metadata
    /// must name every size it was built with). An adversarial pair is not one network: use
    /// `adversarialPair`.
    public static func network(
        _ name: String, _ values: [String: String] = [:], completingDefaults: Bool = true,
        generator: RandomGenerator = Random.generator
    ) throws -> any Layer {
        let entry = try lookup(name)
        let config = ModelConfig(model: name, values: values)
        switch try entry.build(completingDefaults ? entry.completed(config) : config, generator) {
        case .network(let model): return model
        case .adversarial:
            throw DataError(
                "'\(name)' is a GAN: a generator and a discriminator, not one model (`neuron generate` draws from its generator.safetensors)")
        }
    }

    /// A freshly initialised generator and discriminator of the adversarial pair `name`.
    public static func adversarialPair(_ name: String, _ values: [String: String] = [:], generator: RandomGenerator = Random.generator)
        throws -> (generator: any ImageGenerator, discriminator: any ImageDiscriminator)
    {
        let entry = try lookup(name, in: [.gan])
        guard case .adversarial(let g, let d) = try entry.build(entry.completed(ModelConfig(model: name, values: values)), generator) else {
            throw DataError("'\(name)' is not an adversarial pair")
        }
        return (g, d)
    }
}
