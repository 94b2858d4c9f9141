import Neuron
import NeuronData
import NeuronNN
import NeuronTrain

/// Rebuilds models from the files `neuron train` writes: a model file (`model.safetensors`,
/// `best.safetensors`: the state dict under PyTorch's names) or a training checkpoint
/// (`checkpoint.safetensors`: the model under its name's prefix). Both carry the architecture
/// and its hyper-parameters in their metadata ("model": "lenet", "hidden": "256", …).
public enum SavedModel {
    /// Every architecture the metadata can name: the zoo's classifiers, "char-lstm",
    /// "forecaster" and the autoencoders.
    public static var architectures: [String] { ModelZoo.names + ["char-lstm", "forecaster"] + autoencoders + GANZoo.names }

    /// The autoencoders (latent size in the metadata's "latent", default 32).
    public static let autoencoders = ["autoencoder", "conv-autoencoder", "denoising-autoencoder", "vae", "conv-vae"]

    /// A freshly initialised model of the architecture and hyper-parameters in `metadata`.
    public static func make(metadata: [String: String], generator: RandomGenerator = Random.generator) throws -> any Layer {
        guard let name = metadata["model"] else { throw DataError("no model name in the metadata") }
        func integer(_ key: String) throws -> Int {
            guard let value = metadata[key].flatMap({ Int($0) }), value > 0 else {
                throw DataError("a \(name) model needs a positive integer '\(key)' in its metadata")
            }
            return value
        }
        switch name {
        case "char-lstm":
            guard let vocabulary = metadata["vocabulary"], !vocabulary.isEmpty else {
                throw DataError("a char-lstm model needs its 'vocabulary' in the metadata")
            }
            return CharLSTM(vocabularySize: vocabulary.unicodeScalars.count, embeddingSize: try integer("embedding"),
                            hiddenSize: try integer("hidden"), layers: try integer("layers"), generator: generator)
        case "forecaster":
            return Forecaster(hiddenSize: try integer("hidden"), layers: try integer("layers"), generator: generator)
        case "autoencoder":
            return DenseAutoencoder(latent: metadata["latent"] == nil ? 32 : try integer("latent"), generator: generator)
        case "vae":
            return DenseVAE(latent: metadata["latent"] == nil ? 32 : try integer("latent"), generator: generator)
        case "conv-vae":
            return ConvVAE(latent: metadata["latent"] == nil ? 32 : try integer("latent"), generator: generator)
        case "conv-autoencoder", "denoising-autoencoder":
            return ConvAutoencoder(latent: metadata["latent"] == nil ? 32 : try integer("latent"), generator: generator)
        case _ where GANZoo.names.contains(name):
            throw DataError("'\(name)' is a GAN: a generator and a discriminator, not one model (`neuron generate` draws from its generator.safetensors)")
        default:
            guard let model = ModelZoo.make(name, classes: metadata["classes"] == nil ? 10 : try integer("classes"), generator: generator) else {
                throw DataError("unknown model '\(name)' (known: \(architectures.joined(separator: ", ")))")
            }
            return model
        }
    }

    /// The generator of an adversarial pair from `generator.safetensors` (or
    /// `generator_ema.safetensors`, or a training checkpoint: its averaged generator when it
    /// kept one), rebuilt from the metadata's "model" and "latent", in evaluation mode.
    public static func loadGenerator(_ path: String) throws -> (generator: any ImageGenerator, metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.read(path)
        guard let name = metadata["model"], GANZoo.names.contains(name) else {
            throw DataError("\(path) does not hold a GAN generator (its model is '\(metadata["model"] ?? "unnamed")'; GANs: \(GANZoo.names.joined(separator: ", ")))")
        }
        if let role = metadata["role"], !role.hasPrefix("generator") {
            throw DataError("\(path) holds the \(role) of a '\(name)' model, not its generator")
        }
        guard let latent = Int(metadata["latent"] ?? "64"), latent > 0 else {
            throw DataError("\(path): 'latent' in its metadata is not a positive integer")
        }
        let generator = GANZoo.make(name, latent: latent)!.generator
        let sections = metadata["models"]?.split(separator: ",").map(String.init) ?? []
        do {
            try generator.load(stateDict: stateDict(tensors, metadata: metadata,
                                                    model: sections.contains("generator_ema") ? "generator_ema" : "generator"))
        } catch {
            throw DataError("\(path): \(error)")
        }
        generator.eval()
        return (generator, metadata)
    }

    /// The model's state dict among a file's tensors: everything in a model file, the section
    /// of model `name` (default: the first listed) in a training checkpoint.
    public static func stateDict(_ tensors: [String: Tensor], metadata: [String: String], model name: String? = nil) -> StateDict {
        guard metadata["format"] == "neuron-training-checkpoint" else { return tensors }
        let section = name ?? metadata["models"]?.split(separator: ",").first.map(String.init) ?? "model"
        return KeyRemap.section(section, of: tensors)
    }

    /// Reads `path`, rebuilds the model its metadata names (or `architecture`, which must agree
    /// with the metadata when both are given), loads its weights strictly and switches it to
    /// evaluation mode.
    public static func load(_ path: String, architecture: String? = nil) throws -> (model: any Layer, metadata: [String: String]) {
        let (tensors, fileMetadata) = try SafeTensors.read(path)
        var metadata = fileMetadata
        if let architecture {
            if let named = metadata["model"], named != architecture {
                throw DataError("\(path) holds a '\(named)' model, not '\(architecture)'")
            }
            metadata["model"] = architecture
        }
        guard metadata["model"] != nil else {
            throw DataError("\(path) does not name its model in its metadata; give it with --model")
        }
        let model = try make(metadata: metadata)
        do {
            try model.load(stateDict: stateDict(tensors, metadata: metadata))
        } catch {
            throw DataError("\(path): \(error)")
        }
        model.eval()
        return (model, metadata)
    }
}
