import Neuron
import NeuronData
import NeuronNN
import NeuronTrain

/// Data-parallel training through `Trainer`: one `DataParallel` per model of the step, the
/// gradients of each optimiser's parameters summed before its update, process 0's buffers
/// copied to every process before each step (or batch-norm statistics synchronised, with
/// `syncBatchNorm`), and a random stream of its own for every process other than 0 (dropout,
/// noise), drawn from the seed and the rank. Creating it attaches it to the trainer, whose
/// figures, validation, stops and checkpoints then agree over the processes.
///
/// ```swift
/// let trainer = Trainer(step: step, callbacks: callbacks)
/// let parallel = DataParallelTraining(trainer: trainer, communicator: try .world)
/// try trainer.fit(train: loader.sharded(parallel.shard), validation: test.sharded(parallel.shard), epochs: 5)
/// ```
public final class DataParallelTraining: GradientSynchronization {
    public let communicator: Communicator
    /// The step's models, each with its data-parallel wrapper.
    public let replicas: [(name: String, parallel: DataParallel)]
    /// Whether batch-norm layers compute their training statistics over every process.
    public let syncBatchNorm: Bool
    var replicasOfOptimizer: [ObjectIdentifier: [DataParallel]] = [:]
    /// This process's share of the current step.
    var share = 1.0

    public var group: ProcessGroup { communicator }

    /// This process's part of every step of a data loader.
    public var shard: DataLoader.Shard { DataLoader.Shard(index: communicator.rank, count: communicator.size) }

    public var isPaused = false {
        didSet { for replica in replicas { replica.parallel.isPaused = isPaused } }
    }

    /// Seconds spent waiting for gradient sums, over every model.
    public var waitSeconds: Double { replicas.reduce(0) { $0 + $1.parallel.waitSeconds } }

    public init(trainer: Trainer, communicator: Communicator, overlap: Bool = true, syncBatchNorm: Bool = false) {
        self.communicator = communicator
        self.syncBatchNorm = syncBatchNorm
        replicas = trainer.step.models.map { ($0.name, DataParallel($0.module, communicator: communicator, overlap: overlap)) }
        if syncBatchNorm {
            for (_, replica) in replicas {
                for case let layer as BatchNorm in replica.module.modules() {
                    // A stand-in example adds nothing to the statistics.
                    layer.replicaSum = { [unowned self] tensor in
                        isPaused ? tensor : communicator.differentiableSum(share > 0 ? tensor : tensor * 0, share: share)
                    }
                }
            }
        }
        if communicator.rank > 0 {
            for (_, generator) in trainer.namedGenerators() {
                let words = generator.stateWords
                generator.reseed(words[0] ^ words[2] &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(communicator.rank))
            }
        }
        trainer.parallel = self
    }

    public func stepBegins(share: Double) {
        self.share = share
        for (_, replica) in replicas {
            replica.share = share
            if !syncBatchNorm { replica.broadcastBuffers() }
        }
    }

    public func synchronize(_ optimizer: Optimizer) {
        let key = ObjectIdentifier(optimizer)
        if replicasOfOptimizer[key] == nil {
            let updated = Set(optimizer.parameterGroups.flatMap { $0.parameters }.map { ObjectIdentifier($0) })
            replicasOfOptimizer[key] = replicas.map(\.parallel).filter { replica in
                replica.module.parameters().contains { updated.contains(ObjectIdentifier($0)) }
            }
        }
        for replica in replicasOfOptimizer[key]! { replica.sync() }
    }
}

extension Communicator {
    /// The sum of `tensor` over every process, recorded so that backward sums the gradients
    /// over the processes too. Each process's loss counts with its `share` of the step (the
    /// scale its parameter gradients get), so backward sums the gradients weighted by the
    /// shares and divides by this process's own.
    public func differentiableSum(_ tensor: Tensor, share: Double = 1) -> Tensor {
        let total = tensor.detach().copy()
        sumInPlace(total)
        return Tensor.custom("sumOverProcesses", inputs: [tensor], output: total) { [self] grad in
            let summed = (grad.detach() * share).copy()
            sumInPlace(summed)
            // A stand-in (share 0) contributes nothing; its own gradients are scaled to zero.
            return [share > 0 ? summed / share : summed * 0]
        }
    }
}
