import CNeuronCUDA
import Foundation
import Testing

@testable import Neuron

/// What of the CUDA backend can be checked without a GPU: the "not available" path, every
/// kernel source through NVRTC (which runs without a GPU), and the launch logic, allocator and
/// kernel cache against a fake driver table. Serialized: they share the process's entry points.
@Suite(.serialized) struct CUDABackendTests {
    @Test func withoutADriverCUDAIsReportedUnavailableInOneLine() throws {
        CUDARuntime.shared.reload()
        try #require(!FileManager.default.fileExists(atPath: "/dev/nvidiactl"), "this machine has a GPU")
        let folders = ProcessInfo.processInfo.environment["NEURON_CUDA_LIBDIR"] ?? ""
        try #require(
            !folders.split(separator: ":").contains { FileManager.default.fileExists(atPath: "\($0)/libcuda.so.1") },
            "a driver (the emulated GPU) is on NEURON_CUDA_LIBDIR")
        #expect(!Device.cudaAvailable)
        #expect(Device.cudaDeviceCount == 0)
        #expect(Device.cudaStatus.hasPrefix("CUDA not available: no driver (libcuda.so.1)"))
        #expect(!Device.cudaStatus.contains("\n"))
    }

    @Test func sizeClasses() {
        #expect(CUDAAllocator.sizeClass(1) == 512)
        #expect(CUDAAllocator.sizeClass(512) == 512)
        #expect(CUDAAllocator.sizeClass(513) == 1024)
        #expect(CUDAAllocator.sizeClass(1 << 20) == 1 << 20)
        #expect(CUDAAllocator.sizeClass((1 << 20) + 1) == 2 << 20)
        #expect(CUDAAllocator.sizeClass(3 << 20) == 4 << 20)
    }

    /// Every kernel file compiles for Turing, Ampere and Hopper, and holds every kernel the
    /// backend launches, unmangled.
    @Test func nvrtcCompilesEveryKernel() throws {
        CUDARuntime.shared.reload()
        let problem = CUDARuntime.shared.nvrtcProblem
        try #require(problem == nil, "NVRTC is needed (make nvrtc, or NEURON_CUDA_LIBDIR): \(problem ?? "")")
        for architecture in [75, 80, 90] {
            for source in CUDAKernelSource.allCases {
                let cubin = try NVRTCCompiler.compile(source, architecture: architecture)
                let text = String(decoding: cubin, as: UTF8.self)
                for name in Self.kernelNames[source] ?? [] {
                    #expect(text.contains(name + "\0"), "\(source.rawValue).cu for sm_\(architecture) lacks \(name)")
                }
            }
        }
    }

    static let kernelNames: [CUDAKernelSource: [String]] = [
        .elementwise: ["unary_f32", "unary_f64", "binary_f32", "binary_f64", "binary_i64"]
            + ["f32", "f64", "i64", "u8"].map { "compare_\($0)" } + ["where_1", "where_2", "where_4", "where_8"],
        .copy: ["copy_1", "copy_2", "copy_4", "copy_8", "fill_1", "fill_2", "fill_4", "fill_8", "cast_bf16_bf16"]
            + ["f32", "f64", "i64", "u8"].flatMap { a in ["f32", "f64", "i64", "u8"].map { "cast_\(a)_\($0)" } }
            + ["f32", "f64", "i64", "u8"].flatMap { ["cast_\($0)_bf16", "cast_bf16_\($0)"] },
        .reduce: ["f32", "f64", "i64"].flatMap { ["sum_rows_\($0)", "sum_cols_\($0)", "extreme_\($0)"] }
            + ["softmax_f32", "softmax_f64", "log_softmax_f32", "log_softmax_f64"],
        .index: ["gather_1", "gather_2", "gather_4", "gather_8", "scatter_add_f32", "scatter_add_f64", "index_select_1"]
            + ["index_select_2", "index_select_4", "index_select_8", "index_add_f32", "index_add_f64", "one_hot"],
        .optim: ["adam_f32", "adam_f64", "sgd_f32", "sgd_f64"],
        .random: ["uniform_f32", "uniform_f64", "normal_f32", "normal_f64", "bernoulli_f32", "bernoulli_f64"],
        .conv: ["im2col_f32", "im2col_f64", "im2col_f32_bf16", "col2im_f32", "col2im_f64", "conv_epilogue_f32"],
        .pool: ["f32", "f64"].flatMap { ["max_pool_\($0)", "window_average_\($0)", "window_spread_\($0)"] },
        .norm: ["f32", "f64"].flatMap {
            ["channel_stats_\($0)", "channel_grad_sums_\($0)", "channel_affine_\($0)", "layer_norm_forward_\($0)"]
                + ["layer_norm_backward_\($0)", "layer_norm_parameter_grads_\($0)"]
        },
        .recurrence: ["f32", "f64"].flatMap { ["rnn_step_forward_\($0)", "rnn_step_backward_\($0)"] },
    ]

    @Test func launchesAllocationsAndTheKernelCacheAgainstAFakeDriver() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("neuron-cuda-cache-\(getpid())").path
        setenv("NEURON_CUDA_CACHE", cache, 1)
        defer {
            unsetenv("NEURON_CUDA_CACHE")
            try? FileManager.default.removeItem(atPath: cache)
        }
        FakeDriver.install()
        let backend = CUDABackend(index: 0)
        CUDABackend.register(backend, index: 0)
        defer {
            CUDABackend.register(nil, index: 0)
            CUDARuntime.shared.reload()
        }
        #expect(FakeDriver.mathMode == Int(NK_CUBLAS_DEFAULT_MATH))

        // Uploads and downloads through the pinned staging buffer.
        let x = Tensor([1.0, -2, 3, 4, 5, 6], shape: [2, 3], device: .cpu).to(.cuda(0))
        #expect(x.device == .cuda(0))
        #expect(x.toArray(Float.self) == [1, -2, 3, 4, 5, 6])
        #expect(FakeDriver.allocations == 1)

        // A released block is reused for the next request of its size class.
        do { _ = Tensor(uninitialized: [100], dtype: .float32, device: .cuda(0)) }
        let before = FakeDriver.allocations
        _ = Tensor(uninitialized: [120], dtype: .float32, device: .cuda(0))
        #expect(FakeDriver.allocations == before)

        // One launch per op, 256-thread blocks, arguments laid out as the kernel's parameters.
        FakeDriver.launches = []
        let y = x.relu()
        let launch = try #require(FakeDriver.launches.last)
        #expect(launch.name == "unary_f32" && launch.grid == 1 && launch.block == 256)
        #expect(launch.int32(0) == UnaryKernel.relu.rawValue)
        #expect(launch.uint64(1) == UInt64(x.storage.address) && launch.uint64(2) == UInt64(y.storage.address))
        #expect(launch.int64(3) == 6)
        _ = Tensor(uninitialized: [70_000], dtype: .float32, device: .cuda(0)).exp()
        #expect(FakeDriver.launches.last.map { Int($0.grid) } == (70_000 + 255) / 256)

        // Broadcasting: the layout carries each operand's strides (0 where broadcast).
        _ = x + Tensor([1.0, 2, 3], device: .cpu).to(.cuda(0))
        let add = try #require(FakeDriver.launches.last)
        #expect(add.name == "binary_f32")
        #expect(add.layout(1).rank == 2 && add.layout(1).shape == [2, 3])
        #expect(add.layout(1).strides[0] == [3, 1] && add.layout(1).strides[1] == [0, 1])

        // The elementwise program was compiled once, then written to the disk cache.
        #expect(backend.kernels.compiled == 1)
        let compiles = FakeDriver.compiles
        let second = CUDAKernelCache(architecture: backend.kernels.architecture)
        _ = second.function("unary_f32", in: .elementwise)
        #expect(second.loadedFromDisk == 1 && FakeDriver.compiles == compiles)

        // Row-major products as column-major cuBLAS calls with the operands swapped.
        let w = Tensor.ones([3, 4], device: .cpu).to(.cuda(0))
        _ = x.matmul(w)
        let gemm = try #require(FakeDriver.gemms.last)
        #expect(gemm == [NK_CUBLAS_OP_N, NK_CUBLAS_OP_N, 4, 2, 3, 4, 3, 4, 1].map { Int($0) })
        _ = x.matmul(w.transposed().contiguous().transposed())
        #expect(FakeDriver.gemms.last?[0] == Int(NK_CUBLAS_OP_T))

        // Random numbers: one key drawn from the generator, a counter-based fill.
        _ = Tensor.uniform([10], device: .cuda(0), generator: RandomGenerator(seed: 1))
        let random = try #require(FakeDriver.launches.last)
        #expect(random.name == "uniform_f32" && random.int64(1) == 10)
        #expect(random.uint64(2) == RandomGenerator(seed: 1).next())
    }
}

/// A driver, NVRTC and cuBLAS that record their calls; "device" memory is host memory.
enum FakeDriver {
    struct Launch {
        let name: String, grid: UInt32, block: UInt32
        let parameters: [[UInt8]]

        func value<T>(_ i: Int, _: T.Type) -> T { parameters[i].withUnsafeBytes { $0.loadUnaligned(as: T.self) } }
        func int32(_ i: Int) -> Int32 { value(i, Int32.self) }
        func int64(_ i: Int) -> Int64 { value(i, Int64.self) }
        func uint64(_ i: Int) -> UInt64 { value(i, UInt64.self) }
        func layout(_ i: Int) -> (rank: Int, shape: [Int], strides: [[Int]]) {
            parameters[i].withUnsafeBytes { raw in
                let rank = Int(raw.loadUnaligned(as: Int32.self))
                let word = { (k: Int) in Int(raw.loadUnaligned(fromByteOffset: 8 + 8 * k, as: Int64.self)) }
                return (rank, (0..<rank).map(word), (0..<3).map { o in (0..<rank).map { word(8 + 8 * o + $0) } })
            }
        }
    }

    nonisolated(unsafe) static var launches: [Launch] = []
    nonisolated(unsafe) static var gemms: [[Int]] = []
    nonisolated(unsafe) static var allocations = 0, compiles = 0, mathMode = -1

    /// Bytes of each parameter of the kernels this test reads (the layout struct is 264).
    static func parameterSizes(_ name: String) -> [Int] {
        if name.hasPrefix("unary") { return [4, 8, 8, 8, 8, 8] }
        if name.hasPrefix("binary") { return [4, 264, 8, 8, 8, 8] }
        if name.hasPrefix("uniform") { return [8, 8, 8, 8, 8, 8] }
        return []
    }

    static func install() {
        nk_cuda = nk_cuda_api()
        launches = []
        gemms = []
        allocations = 0
        compiles = 0
        nk_cuda.cuDeviceGet = { device, ordinal in
            device?.pointee = ordinal
            return 0
        }
        nk_cuda.cuDeviceGetAttribute = { value, attribute, _ in
            value?.pointee = attribute == NK_CU_ATTRIBUTE_CC_MAJOR ? 9 : 0
            return 0
        }
        nk_cuda.cuDevicePrimaryCtxRetain = { context, _ in
            context?.pointee = OpaquePointer(bitPattern: 0x10)
            return 0
        }
        nk_cuda.cuCtxSetCurrent = { _ in 0 }
        nk_cuda.cuStreamCreate = { stream, _ in
            stream?.pointee = OpaquePointer(bitPattern: 0x20)
            return 0
        }
        nk_cuda.cuStreamSynchronize = { _ in 0 }
        nk_cuda.cuMemAlloc = { pointer, bytes in
            FakeDriver.allocations += 1
            pointer?.pointee = CUdeviceptr(UInt(bitPattern: malloc(bytes)))
            return 0
        }
        nk_cuda.cuMemFree = { pointer in
            free(UnsafeMutableRawPointer(bitPattern: UInt(pointer)))
            return 0
        }
        nk_cuda.cuMemAllocHost = { pointer, bytes in
            pointer?.pointee = malloc(bytes)
            return 0
        }
        nk_cuda.cuMemFreeHost = { pointer in
            free(pointer)
            return 0
        }
        nk_cuda.cuMemcpyHtoDAsync = { destination, source, bytes, _ in
            UnsafeMutableRawPointer(bitPattern: UInt(destination))!.copyMemory(from: source!, byteCount: bytes)
            return 0
        }
        nk_cuda.cuMemcpyDtoHAsync = { destination, source, bytes, _ in
            destination!.copyMemory(from: UnsafeRawPointer(bitPattern: UInt(source))!, byteCount: bytes)
            return 0
        }
        nk_cuda.cuModuleLoadData = { module, _ in
            module?.pointee = OpaquePointer(bitPattern: 0x30)
            return 0
        }
        nk_cuda.cuModuleGetFunction = { function, _, name in
            // The function handle is the kernel's name, so launches can report it.
            function?.pointee = OpaquePointer(strdup(name!))
            return 0
        }
        nk_cuda.cuLaunchKernel = { function, gridX, _, _, blockX, _, _, _, _, parameters, _ in
            let name = String(cString: UnsafePointer<CChar>(function!))
            let sizes = FakeDriver.parameterSizes(name)
            let values = sizes.enumerated().map { i, size in
                [UInt8](UnsafeRawBufferPointer(start: parameters![i], count: size))
            }
            FakeDriver.launches.append(Launch(name: name, grid: gridX, block: blockX, parameters: values))
            return 0
        }
        nk_cuda.nvrtcVersion = { major, minor in
            major?.pointee = 13
            minor?.pointee = 0
            return 0
        }
        nk_cuda.nvrtcGetNumSupportedArchs = { count in
            count?.pointee = 3
            return 0
        }
        nk_cuda.nvrtcGetSupportedArchs = { archs in
            for (i, a) in [75, 80, 90].enumerated() { archs?[i] = Int32(a) }
            return 0
        }
        nk_cuda.nvrtcCreateProgram = { program, _, _, _, _, _ in
            program?.pointee = OpaquePointer(bitPattern: 0x40)
            return 0
        }
        nk_cuda.nvrtcCompileProgram = { _, _, _ in
            FakeDriver.compiles += 1
            return 0
        }
        nk_cuda.nvrtcGetProgramLogSize = { _, size in
            size?.pointee = 1
            return 0
        }
        nk_cuda.nvrtcGetProgramLog = { _, log in
            log?.pointee = 0
            return 0
        }
        nk_cuda.nvrtcGetCUBINSize = { _, size in
            size?.pointee = 8
            return 0
        }
        nk_cuda.nvrtcGetCUBIN = { _, cubin in
            for (i, byte) in "FAKECUBN".utf8.enumerated() { cubin?[i] = CChar(bitPattern: byte) }
            return 0
        }
        nk_cuda.nvrtcDestroyProgram = { _ in 0 }
        nk_cuda.cublasCreate = { handle in
            handle?.pointee = OpaquePointer(bitPattern: 0x50)
            return 0
        }
        nk_cuda.cublasSetStream = { _, _ in 0 }
        nk_cuda.cublasSetMathMode = { _, mode in
            FakeDriver.mathMode = Int(mode)
            return 0
        }
        nk_cuda.cublasSgemmStridedBatched = { _, ta, tb, m, n, k, _, _, lda, _, _, ldb, _, _, _, ldc, _, batches in
            FakeDriver.gemms.append([ta, tb, m, n, k, lda, ldb, ldc, batches].map { Int($0) })
            return 0
        }
        CUDARuntime.shared.nvrtcProblem = nil
        CUDARuntime.shared.status = .available(driver: 13000, nvrtc: "13.0", devices: ["cuda:0 fake"])
    }
}
