import Neuron
import NeuronData
import NeuronNN

/// Writes what a run keeps on disk: the resumable checkpoint after every epoch and on
/// interruption (`TrainingCheckpoint`), and each model's file in PyTorch's state-dict names.
/// Every file is written atomically, so an interrupted save leaves the previous one intact.
public struct CheckpointWriter {
    /// Where the resumable checkpoint goes; nil: none is written.
    public var path: String?
    /// Extra strings stored in each checkpoint and model file (model name, options).
    public var metadata: [String: String] = [:]

    public init(path: String? = nil, metadata: [String: String] = [:]) {
        (self.path, self.metadata) = (path, metadata)
    }

    /// Saves `trainer`'s resumable state to `path`, when there is one.
    func saveCheckpoint(of trainer: Trainer) throws {
        if let path { try TrainingCheckpoint.save(trainer, to: path, metadata: metadata) }
    }

    /// Writes every model of `step` to `<directory>/<name>.safetensors`, with the metadata (and
    /// the model's name when there are several). Returns the paths written.
    func saveModels(of step: TrainingStep, to directory: String) throws -> [String] {
        let models = step.models
        return try models.map { name, module in
            let path = "\(directory)/\(name).safetensors"
            var fileMetadata = metadata
            if models.count > 1 { fileMetadata["role"] = name }
            try SafeTensors.write(module.stateDict(), metadata: fileMetadata, to: path)
            return path
        }
    }
}
