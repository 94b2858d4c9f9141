import CNeuronCUDA
import Foundation
import Synchronization

/// The CUDA backend of one GPU: its primary context, one compute stream, a cuBLAS handle, a
/// caching allocator and the kernels compiled by NVRTC for its architecture. Every op is queued
/// on the stream; the host waits only when it reads memory (`download`, `item`, `toArray`).
final class CUDABackend: Backend, @unchecked Sendable {
    private static let backends = Mutex<[Int: CUDABackend]>([:])

    /// The backend of `cuda:index`, created on first use; stops with one line when CUDA is absent.
    static func forDevice(_ index: Int) -> CUDABackend {
        if let backend = backends.withLock({ $0[index] }) { return backend }
        let runtime = CUDARuntime.shared
        guard runtime.status.isAvailable else { preconditionFailure("cuda:\(index): \(runtime.status)") }
        precondition(index < runtime.deviceCount, "cuda:\(index): only \(runtime.deviceCount) CUDA device(s) present")
        let backend = CUDABackend(index: index)
        return backends.withLock { backends in
            if let existing = backends[index] { return existing }
            backends[index] = backend
            return backend
        }
    }

    /// Makes `backend` the one of its device (nil forgets it), for tests with a fake driver.
    static func register(_ backend: CUDABackend?, index: Int) {
        backends.withLock { $0[index] = backend }
    }

    /// cuBLAS's workspace (PyTorch's default size on Hopper).
    static let blasWorkspaceBytes = 32 << 20

    let device: Device
    let context: CUcontext
    let stream: CUstream
    let blas: cublasHandle_t
    let kernels: CUDAKernelCache
    let allocator: CUDAAllocator
    /// Kernels report a bad index here ([op, index]); checked whenever the host waits.
    private var errorWord: UInt = 0
    private var errorWordArmed = false
    /// A pinned staging buffer for transfers, grown on demand.
    private var staging: (pointer: UnsafeMutableRawPointer, bytes: Int)?
    private let lock = NSRecursiveLock()
    /// The graph being captured on the stream (its memory pool), and whether it drew random
    /// numbers; see `CUDAGraph`.
    var capture: (pool: Int, drewRandomNumbers: Bool)?
    /// Set when the host needed results during a capture (see `abandonCapture`).
    private var captureAbandoned = false
    /// -1, -1 in pinned memory: what a captured step copies into the index error word.
    private var errorReset: UnsafeMutableRawPointer?
    /// Averaging windows already on the device (see `windowAverage`), under `cacheLock`.
    var windowCache: [WindowKey: (bounds: Tensor, divisors: Tensor)] = [:]
    /// Each convolution shape's measured choice (nil: im2col), under `cacheLock`.
    var convPlans: [ConvShape: CuDNNPlan?] = [:]
    private var cudnn: cudnnHandle_t?
    private var cudnnTried = false
    let cacheLock = NSLock()

    init(index: Int) {
        device = .cuda(index)
        var cuDevice: CUdevice = 0
        cudaCheck(nk_cuda.cuDeviceGet!(&cuDevice, Int32(index)), "cuDeviceGet(\(index))")
        var context: CUcontext?
        cudaCheck(nk_cuda.cuDevicePrimaryCtxRetain!(&context, cuDevice), "cuDevicePrimaryCtxRetain")
        self.context = context!
        cudaCheck(nk_cuda.cuCtxSetCurrent!(context), "cuCtxSetCurrent")
        var stream: CUstream?
        cudaCheck(nk_cuda.cuStreamCreate!(&stream, 1), "cuStreamCreate")  // non-blocking
        self.stream = stream!
        var blas: cublasHandle_t?
        let created = nk_cuda.cublasCreate!(&blas)
        precondition(created == 0 && blas != nil, "CUDA: cublasCreate failed (status \(created))")
        self.blas = blas!
        _ = nk_cuda.cublasSetStream!(blas, stream)
        // Float32 GEMMs in full precision; TF32 would change results against the CPU.
        _ = nk_cuda.cublasSetMathMode!(blas, NK_CUBLAS_DEFAULT_MATH)
        // A fixed workspace, so that cuBLAS allocates nothing while a graph is captured.
        var workspace: CUdeviceptr = 0
        if let setWorkspace = nk_cuda.cublasSetWorkspace, nk_cuda.cuMemAlloc!(&workspace, Self.blasWorkspaceBytes) == 0 {
            _ = setWorkspace(blas, UnsafeMutableRawPointer(bitPattern: UInt(workspace)), Self.blasWorkspaceBytes)
        }
        var major: Int32 = 0, minor: Int32 = 0
        _ = nk_cuda.cuDeviceGetAttribute!(&major, NK_CU_ATTRIBUTE_CC_MAJOR, cuDevice)
        _ = nk_cuda.cuDeviceGetAttribute!(&minor, NK_CU_ATTRIBUTE_CC_MINOR, cuDevice)
        kernels = CUDAKernelCache(architecture: NVRTCCompiler.target(forDevice: Int(major * 10 + minor)))
        allocator = CUDAAllocator(
            allocate: { bytes in
                var pointer: CUdeviceptr = 0
                return nk_cuda.cuMemAlloc!(&pointer, bytes) == 0 ? UInt(pointer) : nil
            },
            free: { address in _ = nk_cuda.cuMemFree!(CUdeviceptr(address)) })
    }

    /// The cuDNN handle on this stream, created on first use; nil without cuDNN.
    func cudnnHandle() -> cudnnHandle_t? {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if cudnnTried { return cudnn }
        cudnnTried = true
        guard CUDARuntime.shared.cudnnVersion != nil, let create = nk_cuda.cudnnCreate else { return nil }
        enter()
        var handle: cudnnHandle_t?
        guard create(&handle) == 0, let handle, nk_cuda.cudnnSetStream!(handle, stream) == 0 else { return nil }
        cudnn = handle
        return handle
    }

    /// Makes the context current on the calling thread.
    @inline(__always)
    func enter() { _ = nk_cuda.cuCtxSetCurrent!(context) }

    // MARK: Memory and transfers

    func allocate(byteCount: Int) -> (address: UInt, capacity: Int) {
        enter()
        return allocator.allocate(byteCount)
    }

    func release(address: UInt, capacity: Int) { allocator.release(address, capacity: capacity) }

    private func stagingBuffer(_ bytes: Int) -> UnsafeMutableRawPointer {
        if let staging, staging.bytes >= bytes { return staging.pointer }
        if let staging { _ = nk_cuda.cuMemFreeHost!(staging.pointer) }
        let size = Swift.max(CUDAAllocator.sizeClass(bytes), 1 << 20)
        var pointer: UnsafeMutableRawPointer?
        cudaCheck(nk_cuda.cuMemAllocHost!(&pointer, size), "cuMemAllocHost(\(size))")
        staging = (pointer!, size)
        return pointer!
    }

    func upload(_ source: UnsafeRawPointer, byteCount: Int, into destination: Tensor) {
        guard byteCount > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        abandonCapture()
        enter()
        let buffer = stagingBuffer(byteCount)
        buffer.copyMemory(from: source, byteCount: byteCount)
        cudaCheck(
            nk_cuda.cuMemcpyHtoDAsync!(address(destination), buffer, byteCount, stream), "cuMemcpyHtoDAsync(\(byteCount) bytes)")
        // The staging buffer is reused by the next transfer.
        cudaCheck(nk_cuda.cuStreamSynchronize!(stream), "cuStreamSynchronize")
    }

    func download(_ source: Tensor, into destination: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount > 0 else { return synchronize() }
        lock.lock()
        defer { lock.unlock() }
        enter()
        let buffer = stagingBuffer(byteCount)
        cudaCheck(nk_cuda.cuMemcpyDtoHAsync!(buffer, address(source), byteCount, stream), "cuMemcpyDtoHAsync(\(byteCount) bytes)")
        synchronize()
        destination.copyMemory(from: buffer, byteCount: byteCount)
    }

    func synchronize() {
        // Under the lock: another thread's wait (a graph's deinit) must not end this thread's capture.
        lock.lock()
        defer { lock.unlock() }
        abandonCapture()
        enter()
        cudaCheck(nk_cuda.cuStreamSynchronize!(stream), "cuStreamSynchronize")
        guard errorWordArmed else { return }
        var word: (Int64, Int64) = (-1, -1)
        _ = withUnsafeMutableBytes(of: &word) { nk_cuda.cuMemcpyDtoHAsync!($0.baseAddress, CUdeviceptr(errorWord), 16, stream) }
        cudaCheck(nk_cuda.cuStreamSynchronize!(stream), "cuStreamSynchronize")
        errorWordArmed = false
        if word.0 >= 0 {
            let ops = [1: "gather", 2: "scatterAdd", 3: "indexSelect", 4: "indexAdd", 5: "oneHot"]
            preconditionFailure("\(ops[Int(word.0)] ?? "index"): index \(word.1) is out of range (reported by \(device))")
        }
    }

    /// The device word index kernels report into, reset to -1 before a launch that may write it.
    func indexErrorWord() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        if errorWord == 0 { errorWord = allocator.allocate(16).address }
        if !errorWordArmed, capture != nil {
            // A captured step resets the word itself at every replay, without waiting.
            if errorReset == nil {
                var pinned: UnsafeMutableRawPointer?
                cudaCheck(nk_cuda.cuMemAllocHost!(&pinned, 16), "cuMemAllocHost(16)")
                pinned!.storeBytes(of: (Int64(-1), Int64(-1)), as: (Int64, Int64).self)
                errorReset = pinned
            }
            cudaCheck(nk_cuda.cuMemcpyHtoDAsync!(CUdeviceptr(errorWord), errorReset, 16, stream), "cuMemcpyHtoDAsync(16 bytes)")
            errorWordArmed = true
        }
        if !errorWordArmed {
            var word: (Int64, Int64) = (-1, -1)
            _ = withUnsafeBytes(of: &word) { nk_cuda.cuMemcpyHtoDAsync!(CUdeviceptr(errorWord), $0.baseAddress, 16, stream) }
            cudaCheck(nk_cuda.cuStreamSynchronize!(stream), "cuStreamSynchronize")
            errorWordArmed = true
        }
        return UInt64(errorWord)
    }

    /// The device address of a tensor's first element, or of the one `elements` past it.
    func address(_ t: Tensor, _ elements: Int = 0) -> CUdeviceptr {
        CUdeviceptr(t.storage.address) + CUdeviceptr((t.offset + elements) * t.dtype.size)
    }

    // MARK: Graphs

    /// Starts recording the stream's work into a graph with its own memory pool. Transfers of
    /// other threads wait until `endCapture`, so that none of them joins the graph.
    func beginCapture() {
        lock.lock()
        enter()
        let pool = allocator.beginCapture()
        capture = (pool, false)
        let begun = nk_cuda.cuStreamBeginCapture!(stream, NK_CU_STREAM_CAPTURE_MODE_RELAXED)
        if begun != 0 {
            capture = nil
            allocator.endCapture()
            lock.unlock()
            cudaCheck(begun, "cuStreamBeginCapture")
        }
    }

    /// Ends a capture early because the host needs the GPU's results (a value read, host data
    /// copied in): the work recorded so far runs once, and the rest runs op by op.
    private func abandonCapture() {
        guard let current = capture else { return }
        var graph: CUgraph?
        let ended = nk_cuda.cuStreamEndCapture!(stream, &graph)
        capture = nil
        captureAbandoned = true
        allocator.endCapture()
        cudaCheck(ended, "cuStreamEndCapture")
        var executable: CUgraphExec?
        cudaCheck(nk_cuda.cuGraphInstantiateWithFlags!(&executable, graph, 0), "cuGraphInstantiateWithFlags")
        cudaCheck(nk_cuda.cuGraphLaunch!(executable, stream), "cuGraphLaunch")
        cudaCheck(nk_cuda.cuStreamSynchronize!(stream), "cuStreamSynchronize")
        _ = nk_cuda.cuGraphExecDestroy!(executable)
        _ = nk_cuda.cuGraphDestroy!(graph)
        // Later kernels reuse the blocks in stream order, after the launch.
        allocator.releaseGraph(current.pool)
    }

    /// Ends the recording: the instantiated graph, its memory pool and whether it drew random
    /// numbers; nil when the capture was abandoned (its work has run op by op).
    func endCapture() -> (graph: CUgraph, executable: CUgraphExec, pool: Int, drewRandomNumbers: Bool)? {
        if captureAbandoned {
            captureAbandoned = false
            lock.unlock()
            return nil
        }
        var graph: CUgraph?
        let ended = nk_cuda.cuStreamEndCapture!(stream, &graph)
        let (pool, drew) = (capture!.pool, capture!.drewRandomNumbers)
        capture = nil
        allocator.endCapture()
        lock.unlock()
        cudaCheck(ended, "cuStreamEndCapture")
        var executable: CUgraphExec?
        cudaCheck(nk_cuda.cuGraphInstantiateWithFlags!(&executable, graph, 0), "cuGraphInstantiateWithFlags")
        return (graph!, executable!, pool, drew)
    }

    func replay(_ executable: CUgraphExec) {
        lock.withLock {
            enter()
            cudaCheck(nk_cuda.cuGraphLaunch!(executable, stream), "cuGraphLaunch")
        }
    }

    // MARK: Launching

    /// Launches `name` of `source` over `elements` work items with a 1-D grid of 256-thread
    /// blocks (grid-stride loops cover the rest); `blocks` overrides the grid size.
    func launch(_ name: String, in source: CUDAKernelSource, elements: Int, blocks: Int? = nil, _ arguments: KernelArguments) {
        guard elements > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        enter()
        let function = kernels.function(name, in: source)
        let grid = blocks ?? Swift.min((elements + 255) / 256, 65535)
        let result = arguments.withParameters {
            nk_cuda.cuLaunchKernel!(function, UInt32(grid), 1, 1, 256, 1, 1, 0, stream, $0, nil)
        }
        cudaCheck(result, "cuLaunchKernel(\(name), \(grid) blocks)")
    }

    /// Runs `body` holding the stream: work other threads queue waits, so that none of it
    /// joins a graph being captured.
    func onStream<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        enter()
        return body()
    }
}

extension CUDABackend {
    /// The kernel-name suffix of a dtype: f32, f64, i64, u8.
    static func suffix(_ dtype: DType) -> String {
        switch dtype {
        case .float32: return "f32"
        case .float64: return "f64"
        case .int64: return "i64"
        case .bool: return "u8"
        case .bfloat16: return "bf16"
        }
    }

    /// Stops with a message for the op families that arrive with the next backend release.
    func unsupported(_ op: String) -> Never {
        preconditionFailure("\(op): not available on \(device) yet; move the tensors to .cpu for this op")
    }
}
