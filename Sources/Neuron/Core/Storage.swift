import CNeuronKernels

/// A block of memory holding a tensor's elements. Views share one storage.
///
/// Large blocks come from a size-class cache in the kernel library, so the buffers of a
/// training step are reused from one step to the next instead of being mapped afresh.
final class Storage {
    let pointer: UnsafeMutableRawPointer
    let capacity: Int
    /// Bumped by every in-place write (`assign`, `fill`, optimiser updates), shared by views,
    /// so backward can tell that a tensor it saved has changed since (PyTorch's version counter).
    var version = 0

    init(byteCount: Int) {
        var capacity = 0
        guard let pointer = nk_alloc(byteCount, &capacity) else {
            fatalError("Neuron: out of memory allocating \(byteCount) bytes")
        }
        self.pointer = pointer
        self.capacity = capacity
    }

    deinit { nk_free(pointer, capacity) }
}

/// Process-wide memory statistics and the buffer cache.
public enum Memory {
    /// Bytes held by live tensor storage.
    public static var liveBytes: Int { Int(nk_live_bytes()) }
    /// Bytes of released buffers kept for reuse.
    public static var cachedBytes: Int { Int(nk_cached_bytes()) }
    /// Returns every cached buffer to the system.
    public static func clearCache() { nk_clear_cache() }
    /// Caps the bytes the cache keeps (default 2 GiB).
    public static func setCacheLimit(_ bytes: Int) { nk_set_cache_limit(Int64(bytes)) }
}

/// Threads used by kernels (the OpenMP team shared with oneDNN).
public enum Threads {
    /// The number of threads large kernels split over.
    public static var count: Int {
        get { Int(nk_num_threads()) }
        set { nk_set_num_threads(Int32(newValue)) }
    }
}
