import Neuron
import NeuronData
import NeuronNN

/// A training checkpoint in one safetensors file: the model (`model.<name>`), the optimiser
/// (`optimizer.<key>`), the schedule (`scheduler.<key>`), progress (`progress.epoch`,
/// `progress.batch`, `progress.step`), the default random generator (`rng.default`) and the
/// epoch history (`history.values` with column names in the metadata), so that a resumed
/// run continues with exactly the losses an uninterrupted one would have had.
public enum TrainingCheckpoint {
    public static func save(_ trainer: Trainer, to path: String, metadata: [String: String] = [:]) throws {
        var tensors: StateDict = [:]
        for (name, tensor) in trainer.model.stateDict() { tensors["model." + name] = tensor }
        for (name, tensor) in trainer.optimizer.stateDict() { tensors["optimizer." + name] = tensor }
        for (name, tensor) in trainer.scheduler?.stateDict() ?? [:] { tensors["scheduler." + name] = tensor }
        tensors["progress.epoch"] = Tensor([trainer.epoch])
        tensors["progress.batch"] = Tensor([trainer.batchIndex])
        tensors["progress.step"] = Tensor([trainer.globalStep])
        tensors["rng.default"] = Tensor(Random.generator.stateWords.map { Int(Int64(bitPattern: $0)) })
        let columns = Array(Set(trainer.history.flatMap { $0.keys })).sorted()
        if !trainer.history.isEmpty {
            let values = trainer.history.flatMap { row in columns.map { row[$0] ?? .nan } }
            tensors["history.values"] = Tensor(values, shape: [trainer.history.count, columns.count], dtype: .float64)
        }
        var info = metadata
        info["history.columns"] = columns.joined(separator: ",")
        info["format"] = "neuron-training-checkpoint"
        try SafeTensors.write(tensors, metadata: info, to: path)
    }

    /// Restores everything `save` wrote into a trainer built like the original.
    public static func restore(_ trainer: Trainer, from path: String) throws {
        let (tensors, metadata) = try SafeTensors.read(path)
        guard metadata["format"] == "neuron-training-checkpoint" else {
            throw DataError("\(path): not a training checkpoint (no format metadata)")
        }
        func section(_ prefix: String) -> StateDict {
            var result: StateDict = [:]
            for (name, tensor) in tensors where name.hasPrefix(prefix + ".") { result[String(name.dropFirst(prefix.count + 1))] = tensor }
            return result
        }
        do {
            try trainer.model.load(stateDict: section("model"))
        } catch let error as StateDictError {
            throw DataError("\(path): \(error)")
        }
        do {
            try trainer.optimizer.load(stateDict: section("optimizer"))
        } catch {
            throw DataError("\(path): \(error)")
        }
        trainer.scheduler?.load(stateDict: section("scheduler"))
        guard let epoch = tensors["progress.epoch"], let batch = tensors["progress.batch"], let step = tensors["progress.step"],
              let rng = tensors["rng.default"], rng.count == 4
        else { throw DataError("\(path): checkpoint lacks its progress or random state") }
        trainer.epoch = Int(epoch.item())
        trainer.batchIndex = Int(batch.item())
        trainer.globalStep = Int(step.item())
        Random.generator.stateWords = rng.toArray(Int.self).map { UInt64(bitPattern: Int64($0)) }
        trainer.history = []
        if let values = tensors["history.values"], let columns = metadata["history.columns"]?.split(separator: ",").map(String.init),
           values.rank == 2, values.shape[1] == columns.count
        {
            let flat = values.toArray(Double.self)
            for row in 0..<values.shape[0] {
                var entry: [String: Double] = [:]
                for (i, column) in columns.enumerated() where !flat[row * columns.count + i].isNaN {
                    entry[column] = flat[row * columns.count + i]
                }
                trainer.history.append(entry)
            }
        }
    }
}
