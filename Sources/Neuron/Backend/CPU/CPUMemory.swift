import CNeuronKernels

/// Host memory statistics and the CPU backend's buffer cache.
public enum Memory {
    /// Bytes held by live tensor storage.
    public static var liveBytes: Int { Int(nk_live_bytes()) }
    /// Bytes allocated for tensor storage since the program started, released or not.
    public static var allocatedBytes: Int { Int(nk_allocated_bytes()) }
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

    /// Has a background thread build oneDNN's GEMM kernels (about 30 ms on the first product)
    /// while the program does other work, such as loading its data. Every oneDNN call waits
    /// for it; call ``finishWarmUp()`` before the program exits.
    public static func startWarmUp() { nk_start_dnnl_warm_up() }

    /// Waits for the thread ``startWarmUp()`` started, if it still runs.
    public static func finishWarmUp() { nk_wait_for_dnnl_warm_up() }
}
