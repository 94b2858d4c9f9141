import Dispatch
import Neuron
import Synchronization

/// A function applied to every batch's "inputs" field, with a generator for random augmentation.
public typealias Transform = (Tensor, RandomGenerator) -> Tensor

/// Mini-batches over a dataset: shuffled with a seed, optionally transformed, assembled on a
/// background thread while the caller trains. Epoch `e` always yields the same batches for
/// the same seed, whatever happened before, so a resumed run sees the same data.
///
/// With a `shard` (data-parallel training, PyTorch's `DistributedSampler`), every shard visits
/// the same seeded order in steps of `batchSize` examples and yields its own contiguous slice of
/// each step, split as evenly as possible; a shard whose slice of a short last step is empty
/// gets one stand-in example that counts for nothing (`Batch.isStandIn`), so every shard runs
/// every step.
public final class DataLoader {
    /// One of `count` equal parts of every step's examples.
    public struct Shard: Sendable, Equatable {
        public let index: Int, count: Int
        public init(index: Int, count: Int) {
            precondition(count > 0 && index >= 0 && index < count, "DataLoader.Shard: index \(index) is not in 0..<\(count)")
            (self.index, self.count) = (index, count)
        }

        /// The part of `range` this shard holds.
        public func slice(of range: Range<Int>) -> Range<Int> {
            let (base, extra) = range.count.quotientAndRemainder(dividingBy: count)
            let start = range.lowerBound + index * base + Swift.min(index, extra)
            return start..<(start + base + (index < extra ? 1 : 0))
        }
    }

    public let dataset: Dataset
    /// Where batches are delivered: every field is moved there as the batch is assembled (on
    /// the prefetch thread, overlapping the step). The trainer sets it to the model's device.
    public var device: Device = .cpu
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    public let transform: Transform?
    /// Whether a thread of its own assembles the next batch during the step; nil: automatic
    /// (see ``prefetches``).
    public let prefetch: Bool?
    /// This loader's part of every step; nil: whole steps.
    public let shard: Shard?

    public init(
        _ dataset: Dataset, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false, seed: UInt64 = 0,
        transform: Transform? = nil, prefetch: Bool? = nil, shard: Shard? = nil
    ) {
        precondition(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.transform = transform
        self.prefetch = prefetch
        self.shard = shard
    }

    /// The same loader reading only `shard` of every step.
    public func sharded(_ shard: Shard?) -> DataLoader {
        DataLoader(
            dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, seed: seed, transform: transform, prefetch: prefetch,
            shard: shard)
    }

    /// Whether batches are assembled ahead on a thread of their own: as `prefetch` says, or when
    /// that is nil, whenever assembling one is real work — a transform (augmentation), a dataset
    /// read from files, a copy to another device. Rows gathered from tensors in memory take
    /// microseconds, less than handing the batch across threads, and a third busy thread on a
    /// machine whose cores all run the step's kernels only delays them.
    public var prefetches: Bool { prefetch ?? (transform != nil || !device.isCPU || !(dataset is TensorDataset)) }

    /// Batches in one epoch.
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The order examples are visited in during `epoch`.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<dataset.count) }
        let generator = RandomGenerator(seed: seed &+ 0x5851_F42D_4C95_7F2D &* UInt64(epoch + 1))
        return Tensor.permutation(dataset.count, generator: generator).toArray(Int.self)
    }

    /// Batch `index` of `epoch`, transformed with its own generator.
    public func batch(epoch: Int, index: Int, order: [Int]) -> Batch {
        let start = index * batchSize
        let step = start..<Swift.min(start + batchSize, order.count)
        var batch: Batch
        if let shard {
            let part = shard.slice(of: step)
            batch = dataset.batch(Array(order[part.isEmpty ? (step.upperBound - 1)..<step.upperBound : part]))
            batch.stepExamples = step.count
            batch.isStandIn = part.isEmpty
        } else {
            batch = dataset.batch(Array(order[step]))
        }
        if let transform, let inputs = batch["inputs"] {
            let stream = UInt64(epoch) << 32 | UInt64(index) | UInt64(shard?.index ?? 0) << 56
            let generator = RandomGenerator(seed: seed ^ stream &* 0x9E37_79B9_7F4A_7C15)
            batch.inputs = transform(inputs, generator)
        }
        if device != .cpu {
            for (name, tensor) in batch.fields { batch.fields[name] = tensor.to(device) }
        }
        return batch
    }

    /// The batches of `epoch` from batch `start` on.
    public func batches(epoch: Int, from start: Int = 0) -> Batches {
        Batches(loader: self, epoch: epoch, start: start)
    }

    /// One epoch's batches as a sequence, prefetched when the loader allows it.
    public struct Batches: Sequence {
        let loader: DataLoader
        let epoch: Int
        let start: Int

        public func makeIterator() -> Iterator { Iterator(loader: loader, epoch: epoch, start: start) }

        public final class Iterator: IteratorProtocol {
            let loader: DataLoader
            let epoch: Int
            let order: [Int]
            var position: Int
            let prefetcher: Prefetcher?

            init(loader: DataLoader, epoch: Int, start: Int) {
                self.loader = loader
                self.epoch = epoch
                order = loader.order(epoch: epoch)
                position = start
                prefetcher = loader.prefetches ? Prefetcher(loader: loader, epoch: epoch, order: order, start: start) : nil
            }

            public func next() -> Batch? {
                guard position < loader.batchesPerEpoch else { return nil }
                defer { position += 1 }
                return prefetcher?.take() ?? loader.batch(epoch: epoch, index: position, order: order)
            }

            deinit { prefetcher?.cancel() }
        }
    }
}

/// Assembles batches on a background thread, at most `depth` ahead of the consumer.
final class Prefetcher: @unchecked Sendable {
    let ready = DispatchSemaphore(value: 0)
    let free: DispatchSemaphore
    let queue = Mutex<[Batch]>([])
    let cancelled = Atomic<Bool>(false)
    let finished = DispatchSemaphore(value: 0)

    init(loader: DataLoader, epoch: Int, order: [Int], start: Int, depth: Int = 3) {
        // Created at 0 and raised: libdispatch traps when a semaphore is freed below its initial value.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<depth { free.signal() }
        let total = loader.batchesPerEpoch
        DispatchQueue.global().async { [self] in
            // Kernels on this thread run single-threaded: the trainer owns the thread team.
            Threads.count = 1
            for index in start..<total {
                free.wait()
                if cancelled.load(ordering: .acquiring) { break }
                let batch = loader.batch(epoch: epoch, index: index, order: order)
                queue.withLock { $0.append(batch) }
                ready.signal()
            }
            finished.signal()
        }
    }

    func take() -> Batch? {
        ready.wait()
        let batch = queue.withLock { $0.removeFirst() }
        free.signal()
        return batch
    }

    func cancel() {
        cancelled.store(true, ordering: .releasing)
        free.signal()
        finished.wait()
    }
}
