import Synchronization

/// A caching allocator over the driver's allocations: released blocks are kept in free lists by
/// size class and handed out again, so a training step's buffers are reused from one step to the
/// next without a driver call (which would also synchronise). All work runs on one stream, so a
/// block freed by the host can be reused by later kernels in stream order.
///
/// While a CUDA graph is captured, blocks come from that graph's own pool, and every block
/// released during the capture (whoever allocated it) or allocated by it returns there: the
/// graph's replays write those addresses, so nothing else may ever be handed them.
final class CUDAAllocator: @unchecked Sendable {
    private struct Pool {
        var free: [Int: [UInt]] = [:]
        var cachedBytes = 0, liveBytes = 0
        /// The pool of the graph being captured.
        var capturing: Int?
        /// Blocks owned by graphs (block → graph pool), and each graph pool's free blocks.
        var owner: [UInt: Int] = [:]
        var graphFree: [Int: [Int: [UInt]]] = [:]
        var nextGraph = 0
    }
    private let pool = Mutex(Pool())
    private let driverAllocate: (Int) -> UInt?
    private let driverFree: (UInt) -> Void

    /// `allocate` returns nil when the device is out of memory.
    init(allocate: @escaping (Int) -> UInt?, free: @escaping (UInt) -> Void) {
        driverAllocate = allocate
        driverFree = free
    }

    /// The size class of a request: powers of two from 512 bytes up to 1 MiB, then multiples of 2 MiB.
    static func sizeClass(_ bytes: Int) -> Int {
        if bytes <= 512 { return 512 }
        if bytes <= 1 << 20 { return 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount) }
        let unit = 2 << 20
        return (bytes + unit - 1) / unit * unit
    }

    func allocate(_ bytes: Int) -> (address: UInt, capacity: Int) {
        let capacity = Self.sizeClass(bytes)
        let (reused, graph): (UInt?, Int?) = pool.withLock { pool in
            if let graph = pool.capturing {
                return (pool.graphFree[graph]?[capacity]?.popLast(), graph)
            }
            guard let address = pool.free[capacity]?.popLast() else { return (nil, nil) }
            pool.cachedBytes -= capacity
            pool.liveBytes += capacity
            return (address, nil)
        }
        if let reused { return (reused, capacity) }
        var address = driverAllocate(capacity)
        if address == nil {
            emptyCache()
            address = driverAllocate(capacity)
        }
        guard let address else {
            let live = pool.withLock { $0.liveBytes }
            preconditionFailure("CUDA: out of memory allocating \(bytes) bytes (\(live >> 20) MiB held by tensors)")
        }
        pool.withLock { pool in
            pool.liveBytes += capacity
            if let graph { pool.owner[address] = graph }
        }
        return (address, capacity)
    }

    func release(_ address: UInt, capacity: Int) {
        pool.withLock { pool in
            if let graph = pool.owner[address] ?? pool.capturing {
                pool.owner[address] = graph
                pool.graphFree[graph, default: [:]][capacity, default: []].append(address)
                return
            }
            pool.free[capacity, default: []].append(address)
            pool.cachedBytes += capacity
            pool.liveBytes -= capacity
        }
    }

    /// Starts routing allocations to a new graph pool; returns its number.
    func beginCapture() -> Int {
        pool.withLock { pool in
            precondition(pool.capturing == nil, "CUDA graphs: a capture is already running")
            pool.nextGraph += 1
            pool.capturing = pool.nextGraph
            return pool.nextGraph
        }
    }

    func endCapture() { pool.withLock { $0.capturing = nil } }

    /// Gives a destroyed graph's blocks back: its free ones to the cache, the ones tensors still
    /// hold when those tensors are released.
    func releaseGraph(_ graph: Int) {
        pool.withLock { pool in
            for (capacity, blocks) in pool.graphFree[graph] ?? [:] {
                pool.free[capacity, default: []] += blocks
                pool.cachedBytes += capacity * blocks.count
                pool.liveBytes -= capacity * blocks.count
            }
            pool.graphFree[graph] = nil
            pool.owner = pool.owner.filter { $0.value != graph }
        }
    }

    /// Returns every cached block to the driver.
    func emptyCache() {
        let blocks = pool.withLock { pool -> [UInt] in
            let all = pool.free.values.flatMap { $0 }
            pool.free = [:]
            pool.cachedBytes = 0
            return all
        }
        for block in blocks { driverFree(block) }
    }

    var cachedBytes: Int { pool.withLock { $0.cachedBytes } }
    var liveBytes: Int { pool.withLock { $0.liveBytes } }
}
