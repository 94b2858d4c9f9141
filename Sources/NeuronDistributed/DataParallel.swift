import Neuron
import NeuronNN
import NeuronTrain

/// Data-parallel training of one module (PyTorch's `DistributedDataParallel(model)`): every
/// process holds a replica, trains it on its own shard of each step, and applies the same
/// update, because the gradients are summed over the processes before each optimiser step.
///
/// At creation, process 0's parameters and buffers are copied to every process. Trainable
/// parameters are packed into buckets in reverse registration order (the order backward
/// finishes them); as soon as the last gradient of a bucket is final, the gradient-ready hook
/// copies the bucket's gradients, scaled by this process's `share` of the step, into its buffer
/// and starts `MPI_Iallreduce` on it, while backward goes on. `sync()` starts what is left (a
/// parameter that got no gradient adds zeros, so it never leaves a bucket waiting), waits for
/// every bucket and writes the sums back into `.grad`. Buckets start in index order on every
/// process, so the reductions always pair up.
///
/// ```swift
/// let parallel = DataParallel(model, communicator: try .world)
/// for batch in loader.sharded(.init(index: rank, count: size)).batches(epoch: e) {
///     optimizer.zeroGrad()
///     parallel.share = batch.share
///     crossEntropy(model(batch.inputs), batch.targets).backward()
///     parallel.sync()
///     optimizer.step()
/// }
/// ```
public final class DataParallel {
    public let module: Module
    public let communicator: Communicator
    /// Start each bucket's reduction from backward (true) or all of them in `sync()`.
    public var overlap: Bool
    /// The fraction of the step's examples this process holds (its gradients are scaled by it,
    /// so the sums are the gradients of the whole step); `1/size` by default.
    public var share: Double
    /// The largest bucket, in bytes.
    public let bucketCapacity: Int
    /// Seconds spent waiting in `sync()` for reductions to finish, since creation.
    public private(set) var waitSeconds = 0.0

    var buckets: [GradientBucket] = []
    /// Bucket and position of each trainable parameter.
    var placement: [ObjectIdentifier: (bucket: Int, slot: Int)] = [:]
    var layoutKey: [ObjectIdentifier] = []
    var roundActive = false
    var nextLaunch = 0
    var synchronizing = true
    /// While paused, hooks and `sync()` do nothing (a step replayed on one process).
    public var isPaused = false
    var hooks: [HookHandle] = []

    /// Wraps `module`, copying process 0's parameters and buffers to every process.
    /// `bucketCapacity` defaults to a quarter of the gradients, between 64 KB and 25 MB
    /// (PyTorch's 25 MB, smaller for small models so that reductions start early).
    public init(_ module: Module, communicator: Communicator, overlap: Bool = true, bucketCapacity: Int? = nil) {
        self.module = module
        self.communicator = communicator
        self.overlap = overlap
        share = 1 / Double(communicator.size)
        let bytes = module.parameters().reduce(0) { $0 + $1.count * $1.dtype.size }
        self.bucketCapacity = bucketCapacity ?? min(25 << 20, max(64 << 10, bytes / 4))
        broadcastState()
        for parameter in module.parameters() {
            hooks.append(parameter.onGradientReady { [unowned self] in gradientReady($0) })
        }
    }

    deinit {
        finishRound()
        for hook in hooks { hook.remove() }
    }

    /// Copies process 0's parameters and buffers to every process.
    public func broadcastState() {
        for (_, tensor) in module.namedParameters() + module.namedBuffers() { communicator.broadcast(tensor) }
    }

    /// Copies process 0's buffers (batch-norm statistics) to every process, as DDP does before
    /// each forward pass.
    public func broadcastBuffers() {
        for (_, tensor) in module.namedBuffers() { communicator.broadcast(tensor) }
    }

    /// Runs `body` (forward and backward of batches whose gradients accumulate) without
    /// reducing anything: the next backward outside it reduces the accumulated gradients once.
    public func noSync<R>(_ body: () throws -> R) rethrows -> R {
        let previous = synchronizing
        synchronizing = false
        defer { synchronizing = previous }
        return try body()
    }

    /// Completes the sum of every trainable parameter's gradient over the processes; every
    /// process must call it before its optimiser step, even when its own backward did not run.
    public func sync() {
        guard !isPaused, communicator.size > 1 else { return }
        if !roundActive { beginRound() }
        for bucket in buckets where !bucket.isFilled {
            for (slot, parameter) in bucket.parameters.enumerated() where !bucket.ready[slot] {
                bucket.write(parameter.grad, slot: slot, scale: share)
            }
            bucket.isFilled = true
        }
        let start = ProgressBar.now()
        launchReadyBuckets()
        for bucket in buckets { bucket.pending?.wait() }
        waitSeconds += ProgressBar.now() - start
        for bucket in buckets { bucket.readBack() }
        roundActive = false
    }

    func gradientReady(_ parameter: Tensor) {
        guard overlap, synchronizing, !isPaused, communicator.size > 1 else { return }
        if !roundActive { beginRound() }
        guard let (index, slot) = placement[ObjectIdentifier(parameter)] else { return }
        if buckets[index].ready[slot] {
            // A second backward without a sync (a step that back-propagates through a model
            // it does not update): the earlier round is stale.
            finishRound()
            beginRound()
        }
        let bucket = buckets[index]
        bucket.write(parameter.grad, slot: slot, scale: share)
        if bucket.ready.allSatisfy({ $0 }) { bucket.isFilled = true }
        launchReadyBuckets()
        for bucket in buckets[..<nextLaunch] { _ = bucket.pending?.poll() }
    }

    /// Starts the filled buckets in index order, stopping at the first one not filled.
    func launchReadyBuckets() {
        while nextLaunch < buckets.count && buckets[nextLaunch].isFilled {
            // Without overlap every process sums every bucket here, all blocking (faster); with
            // it every bucket is started, so the same kind of call pairs up on every process.
            buckets[nextLaunch].launch(communicator, blocking: !overlap)
            nextLaunch += 1
        }
    }

    /// Waits for the reductions of a round and drops it.
    func finishRound() {
        for bucket in buckets { bucket.pending?.wait() }
        roundActive = false
    }

    func trainableKey() -> [ObjectIdentifier] { module.parameters().filter(\.requiresGrad).map { ObjectIdentifier($0) } }

    /// Starts a round of reductions, first laying the trainable parameters out in buckets when
    /// they changed (a layer was frozen or unfrozen).
    func beginRound() {
        let key = trainableKey()
        if key != layoutKey { layOut(key.count) }
        layoutKey = key
        for bucket in buckets { bucket.reset() }
        nextLaunch = 0
        roundActive = true
    }

    func layOut(_ count: Int) {
        finishRound()
        let trainable = module.parameters().filter(\.requiresGrad).reversed()
        buckets = []
        placement = [:]
        var group: [Tensor] = []
        var bytes = 0
        func close() {
            if !group.isEmpty { buckets.append(GradientBucket(group)) }
            (group, bytes) = ([], 0)
        }
        for parameter in trainable {
            let size = parameter.count * parameter.dtype.size
            if !group.isEmpty && (bytes + size > bucketCapacity || group[0].dtype != parameter.dtype) { close() }
            placement[ObjectIdentifier(parameter)] = (buckets.count, group.count)
            group.append(parameter)
            bytes += size
        }
        close()
    }
}
