import Neuron
import NeuronData
import NeuronNN

/// A training checkpoint in one safetensors file, holding everything a step trains with so a
/// resumed run continues bit for bit: each model under its name (`model.<key>`, or
/// `generator.<key>` and `discriminator.<key>`), each optimiser and schedule under its name
/// (`optimizer.<key>`, `scheduler.<key>`), every random generator (`rng.default`, the step's,
/// the models' own), progress (`progress.epoch`, `progress.batch`, `progress.step`, the epoch's
/// running figure sums and their weights) and the epoch history (`history.values`, columns in the metadata).
/// A data-parallel run's checkpoint also holds the random streams of processes 1, 2, …
/// (`rng.process<r>`, the generators in `rng` order) and their number ("processes").
/// The names the metadata lists under "models", "optimizers" and "schedulers" must differ from
/// each other and from "rng", "progress" and "history".
public enum TrainingCheckpoint {
    public static func save(
        _ trainer: Trainer, to path: String, metadata: [String: String] = [:],
        figures: (sums: [String: Double], weights: [String: Double])? = nil, processStreams: [[UInt64]] = []
    ) throws {
        let step = trainer.step
        let sections: [(String, StateDict)] =
            step.models.map { ($0.name, $0.module.stateDict()) }
            + step.optimizers.map { ($0.name, $0.optimizer.stateDict()) }
            + step.schedulers.map { ($0.name, $0.scheduler.stateDict()) }
        let names = sections.map { $0.0 }
        precondition(
            Set(names).count == names.count && Set(names).isDisjoint(with: ["rng", "progress", "history"]),
            "TrainingCheckpoint: models, optimisers and schedules need distinct names, got \(names)")
        var tensors: StateDict = [:]
        for (section, state) in sections {
            for (name, tensor) in state { tensors["\(section).\(name)"] = tensor }
        }
        tensors["progress.epoch"] = Tensor([trainer.epoch])
        tensors["progress.batch"] = Tensor([trainer.batchIndex])
        tensors["progress.step"] = Tensor([trainer.globalStep])
        let (sums, weights) = figures ?? (trainer.figureSums, trainer.figureWeights)
        let figureNames = sums.keys.sorted()
        tensors["progress.figure_sums"] = Tensor(
            figureNames.map { sums[$0]! } + figureNames.map { weights[$0] ?? 0 }, dtype: .float64)
        for (name, generator) in trainer.namedGenerators() {
            tensors["rng.\(name)"] = Tensor(generator.stateWords.map { Int(Int64(bitPattern: $0)) })
        }
        for (rank, words) in processStreams.enumerated().dropFirst() {
            tensors["rng.process\(rank)"] = Tensor(words.map { Int(Int64(bitPattern: $0)) })
        }
        let columns = Array(Set(trainer.history.flatMap { $0.keys })).sorted()
        if !trainer.history.isEmpty {
            let values = trainer.history.flatMap { row in columns.map { row[$0] ?? .nan } }
            tensors["history.values"] = Tensor(values, shape: [trainer.history.count, columns.count], dtype: .float64)
        }
        var info = metadata
        info["history.columns"] = columns.joined(separator: ",")
        info["progress.figures"] = figureNames.joined(separator: ",")
        if processStreams.count > 1 { info["processes"] = "\(processStreams.count)" }
        info["models"] = step.models.map { $0.name }.joined(separator: ",")
        info["optimizers"] = step.optimizers.map { $0.name }.joined(separator: ",")
        info["schedulers"] = step.schedulers.map { $0.name }.joined(separator: ",")
        info["format"] = "neuron-training-checkpoint"
        try SafeTensors.write(tensors, metadata: info, to: path)
    }

    /// Restores everything `save` wrote into a trainer whose step is built like the original.
    public static func restore(_ trainer: Trainer, from path: String) throws {
        let (tensors, metadata) = try SafeTensors.read(path)
        guard metadata["format"] == "neuron-training-checkpoint" else {
            throw DataError("\(path): not a training checkpoint (no format metadata)")
        }
        let processes = Int(metadata["processes"] ?? "1") ?? 1
        let (rank, size) = (trainer.parallel?.group.rank ?? 0, trainer.parallel?.group.size ?? 1)
        guard processes == size else {
            throw DataError(
                "\(path): written by a run of \(processes) process\(processes == 1 ? "" : "es"), resumed with \(size); resume with the same number (mpirun -np \(processes))"
            )
        }
        func section(_ prefix: String) -> StateDict { KeyRemap.section(prefix, of: tensors) }
        let step = trainer.step
        for (name, model) in step.models {
            do {
                try model.load(stateDict: section(name))
            } catch {
                throw DataError("\(path): model '\(name)': \(error)")
            }
        }
        for (name, optimizer) in step.optimizers {
            do {
                try optimizer.load(stateDict: section(name))
            } catch {
                throw DataError("\(path): optimizer '\(name)': \(error)")
            }
        }
        for (name, scheduler, _) in step.schedulers { scheduler.load(stateDict: section(name)) }
        guard let epoch = tensors["progress.epoch"], let batch = tensors["progress.batch"], let globalStep = tensors["progress.step"]
        else { throw DataError("\(path): checkpoint lacks its progress") }
        var states: [(RandomGenerator, [UInt64])] = []
        let generators = trainer.namedGenerators()
        if rank > 0 {
            guard let words = tensors["rng.process\(rank)"], words.count == 4 * generators.count else {
                throw DataError("\(path): checkpoint lacks the random streams of process \(rank)")
            }
            let flat = words.toArray(Int.self).map { UInt64(bitPattern: Int64($0)) }
            for (i, (_, generator)) in generators.enumerated() { states.append((generator, Array(flat[4 * i..<4 * i + 4]))) }
        }
        for (name, generator) in generators where rank == 0 {
            guard let words = tensors["rng.\(name)"], words.count == 4 else {
                throw DataError("\(path): checkpoint lacks the state of random generator '\(name)'")
            }
            states.append((generator, words.toArray(Int.self).map { UInt64(bitPattern: Int64($0)) }))
        }
        for (generator, words) in states { generator.stateWords = words }
        trainer.epoch = Int(epoch.item())
        trainer.batchIndex = Int(batch.item())
        trainer.globalStep = Int(globalStep.item())
        let figureNames = (metadata["progress.figures"] ?? "").split(separator: ",").map(String.init)
        (trainer.figureSums, trainer.figureWeights) = ([:], [:])
        // Process 0 carries the figures of the whole job; the others start from zero.
        if rank == 0, let sums = tensors["progress.figure_sums"]?.toArray(Double.self), sums.count == 2 * figureNames.count {
            for (i, name) in figureNames.enumerated() {
                trainer.figureSums[name] = sums[i]
                trainer.figureWeights[name] = sums[figureNames.count + i]
            }
        }
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
