import NeuronNN

/// The processes of a data-parallel job as the training loop sees them: how many there are,
/// which one this is, and the few collectives the loop needs to agree on figures and on when to
/// stop. NeuronDistributed implements it over Open MPI; a loop without one is a single process.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< `size`; process 0 writes files and prints.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Element-wise sums of `values` over every process (each passes the same count).
    func sum(_ values: [Double]) -> [Double]
    /// Element-wise maxima of `values` over every process.
    func maximum(_ values: [Double]) -> [Double]
    /// Every process's `words`, by rank (each passes the same count).
    func allGather(_ words: [UInt64]) -> [[UInt64]]
    /// Process `root`'s bytes, on every process.
    func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8]
}

/// How a trainer's step shares its gradients with the other processes (PyTorch's
/// `DistributedDataParallel`), so that every process applies the same update. NeuronDistributed
/// implements it; `Trainer.parallel` is nil in a single process.
public protocol GradientSynchronization: AnyObject {
    /// The processes taking part.
    var group: ProcessGroup { get }
    /// Called before every training step with the share of the step's examples this process
    /// holds (its gradients are scaled by it before they are summed), and before validation:
    /// buffers such as batch-norm statistics are made equal to process 0's.
    func stepBegins(share: Double)
    /// Before `optimizer` updates: completes the sum of its parameters' gradients over the
    /// processes. Called on every process for every update, even one that will be skipped.
    func synchronize(_ optimizer: Optimizer)
    /// While paused nothing is communicated (a failing step replayed on one process).
    var isPaused: Bool { get set }
}

extension ProcessGroup {
    /// Whether `flag` holds on any process.
    public func any(_ flag: Bool) -> Bool { maximum([flag ? 1 : 0])[0] > 0 }

    /// Process `root`'s text, on every process.
    public func broadcast(_ text: String, from root: Int) -> String {
        String(decoding: broadcast(Array(text.utf8), from: root), as: UTF8.self)
    }
}
