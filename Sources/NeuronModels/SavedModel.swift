import Neuron
import NeuronData
import NeuronNN

/// Rebuilds models from the files `neuron train` writes: a model file (`model.safetensors`,
/// `best.safetensors`: the state dict under PyTorch's names) or a training checkpoint
/// (`checkpoint.safetensors`: the model under its name's prefix). Both carry the architecture
/// and its hyper-parameters in their metadata ("model": "lenet", "hidden": "256", …).
public enum SavedModel {
    /// Every architecture the metadata can name: the registry's models.
    public static var architectures: [String] { ModelRegistry.names() }

    /// The autoencoders and variational autoencoders.
    public static var autoencoders: [String] { ModelRegistry.names(in: [.autoencoder, .variationalAutoencoder]) }

    /// A freshly initialised model of the architecture and hyper-parameters in `metadata`,
    /// built by the registry entry its "model" names.
    public static func make(metadata: [String: String], generator: RandomGenerator = Random.generator) throws -> any Layer {
        guard let name = metadata["model"] else { throw DataError("no model name in the metadata") }
        return try ModelRegistry.network(name, metadata, completingDefaults: false, generator: generator)
    }

    /// The generator of an adversarial pair from `generator.safetensors` (or
    /// `generator_ema.safetensors`, or a training checkpoint: its averaged generator when it
    /// kept one), rebuilt from the metadata's "model" and "latent", in evaluation mode.
    public static func loadGenerator(_ path: String) throws -> (generator: any ImageGenerator, metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.read(path)
        let gans = ModelRegistry.names(in: [.gan])
        guard let name = metadata["model"], gans.contains(name) else {
            throw DataError(
                "\(path) does not hold a GAN generator (its model is '\(metadata["model"] ?? "unnamed")'; GANs: \(gans.joined(separator: ", ")))")
        }
        if let role = metadata["role"], !role.hasPrefix("generator") {
            throw DataError("\(path) holds the \(role) of a '\(name)' model, not its generator")
        }
        guard let latent = Int(metadata["latent"] ?? "64"), latent > 0 else {
            throw DataError("\(path): 'latent' in its metadata is not a positive integer")
        }
        let generator = try ModelRegistry.adversarialPair(name, ["latent": "\(latent)"]).generator
        let sections = metadata["models"]?.split(separator: ",").map(String.init) ?? []
        do {
            try generator.load(
                stateDict: stateDict(
                    tensors, metadata: metadata,
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
