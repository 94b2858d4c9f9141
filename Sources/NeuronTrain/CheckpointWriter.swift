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

    /// Saves `trainer`'s resumable state to `path`, when there is one; a data-parallel run
    /// passes the epoch's figures summed over its processes and every process's random streams.
    func saveCheckpoint(
        of trainer: Trainer, figures: (sums: [String: Double], weights: [String: Double])? = nil, processStreams: [[UInt64]] = []
    ) throws {
        if let path {
            try TrainingCheckpoint.save(trainer, to: path, metadata: metadata, figures: figures, processStreams: processStreams)
        }
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
