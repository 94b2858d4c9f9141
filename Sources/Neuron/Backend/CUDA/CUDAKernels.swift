import CNeuronCUDA
import Foundation

/// One file of CUDA C kernels of the backend (in `Kernels/`, one per op family, as on the CPU).
/// Each is compiled as the shared prelude followed by the file.
enum CUDAKernelSource: String, CaseIterable, Sendable {
    case elementwise, copy, reduce, index, optim, random, conv, pool, norm, recurrence

    /// The program NVRTC compiles: the prelude, then the file.
    var program: String {
        let prelude = String(decoding: PackageResources.prelude_cu, as: UTF8.self)
        let body: [UInt8]
        switch self {
        case .elementwise: body = PackageResources.elementwise_cu
        case .copy: body = PackageResources.copy_cu
        case .reduce: body = PackageResources.reduce_cu
        case .index: body = PackageResources.index_cu
        case .optim: body = PackageResources.optim_cu
        case .random: body = PackageResources.random_cu
        case .conv: body = PackageResources.conv_cu
        case .pool: body = PackageResources.pool_cu
        case .norm: body = PackageResources.norm_cu
        case .recurrence: body = PackageResources.recurrence_cu
        }
        return prelude + "\n" + String(decoding: body, as: UTF8.self)
    }
}

/// Compiles kernel sources with NVRTC to CUBIN for one architecture.
enum NVRTCCompiler {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func options(architecture: Int) -> [String] {
        ["--gpu-architecture=sm_\(architecture)", "-default-device", "--std=c++17"]
    }

    /// CUBIN for `sm_<architecture>`, or the compiler's log.
    static func compile(_ source: CUDAKernelSource, architecture: Int) throws(Failure) -> [UInt8] {
        if let problem = CUDARuntime.shared.nvrtcProblem { throw Failure(description: problem) }
        var program: nvrtcProgram?
        let created = nk_cuda.nvrtcCreateProgram!(&program, source.program, "\(source.rawValue).cu", 0, nil, nil)
        guard created == 0, let program else { throw Failure(description: "nvrtcCreateProgram: \(errorText(created))") }
        defer {
            var p: nvrtcProgram? = program
            _ = nk_cuda.nvrtcDestroyProgram!(&p)
        }
        let options = Self.options(architecture: architecture)
        let cOptions = options.map { strdup($0) }
        defer { for option in cOptions { free(option) } }
        let result = cOptions.map { UnsafePointer($0) }.withUnsafeBufferPointer {
            nk_cuda.nvrtcCompileProgram!(program, Int32(options.count), $0.baseAddress)
        }
        var logSize = 0
        _ = nk_cuda.nvrtcGetProgramLogSize!(program, &logSize)
        var log = [CChar](repeating: 0, count: Swift.max(logSize, 1))
        _ = nk_cuda.nvrtcGetProgramLog!(program, &log)
        let logText = String(cString: log).trimmingCharacters(in: .whitespacesAndNewlines)
        guard result == 0 else {
            throw Failure(description: "\(source.rawValue).cu for sm_\(architecture): \(errorText(result))\n\(logText)")
        }
        var size = 0
        _ = nk_cuda.nvrtcGetCUBINSize!(program, &size)
        var cubin = [UInt8](repeating: 0, count: size)
        cubin.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = nk_cuda.nvrtcGetCUBIN!(program, $0.baseAddress) }
        }
        if logText.contains("warning") {
            throw Failure(description: "\(source.rawValue).cu for sm_\(architecture) compiled with warnings:\n\(logText)")
        }
        return cubin
    }

    static func errorText(_ result: nvrtcResult) -> String {
        if let f = nk_cuda.nvrtcGetErrorString, let text = f(result) { return String(cString: text) }
        return "NVRTC error \(result)"
    }

    /// The newest architecture NVRTC supports that does not exceed the device's.
    static func target(forDevice architecture: Int) -> Int {
        CUDARuntime.shared.nvrtcArchitectures.filter { $0 <= architecture }.max() ?? architecture
    }
}

/// Compiled modules and their functions, per device, with an on-disk cache of CUBINs keyed by a
/// hash of the program, the options and the NVRTC version (`NEURON_CUDA_CACHE`, else
/// `~/.cache/neuron/cuda`).
final class CUDAKernelCache {
    let architecture: Int
    private var modules: [CUDAKernelSource: CUmodule] = [:]
    private var functions: [String: CUfunction] = [:]
    /// How many programs were compiled and loaded from disk (for tests and `neuron devices`).
    private(set) var compiled = 0, loadedFromDisk = 0

    init(architecture: Int) { self.architecture = architecture }

    static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["NEURON_CUDA_CACHE"], !dir.isEmpty { return dir }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSTemporaryDirectory()
        return home + "/.cache/neuron/cuda"
    }

    /// The kernel `name` of `source`, compiling or loading its module on first use.
    func function(_ name: String, in source: CUDAKernelSource) -> CUfunction {
        if let f = functions[name] { return f }
        let module = self.module(source)
        var function: CUfunction?
        cudaCheck(nk_cuda.cuModuleGetFunction!(&function, module, name), "cuModuleGetFunction(\(name))")
        functions[name] = function!
        return function!
    }

    private func module(_ source: CUDAKernelSource) -> CUmodule {
        if let m = modules[source] { return m }
        let cubin = self.cubin(source)
        var module: CUmodule?
        let result = cubin.withUnsafeBytes { nk_cuda.cuModuleLoadData!(&module, $0.baseAddress) }
        cudaCheck(result, "cuModuleLoadData(\(source.rawValue).cu)")
        modules[source] = module!
        return module!
    }

    func cacheFile(_ source: CUDAKernelSource) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let key = source.program + NVRTCCompiler.options(architecture: architecture).joined() + (CUDARuntime.shared.nvrtcVersion ?? "")
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\(Self.directory)/\(source.rawValue)-sm\(architecture)-\(String(hash, radix: 16)).cubin"
    }

    private func cubin(_ source: CUDAKernelSource) -> [UInt8] {
        let file = cacheFile(source)
        if let data = FileManager.default.contents(atPath: file), !data.isEmpty {
            loadedFromDisk += 1
            return [UInt8](data)
        }
        let cubin: [UInt8]
        do {
            cubin = try NVRTCCompiler.compile(source, architecture: architecture)
        } catch {
            preconditionFailure("CUDA: compiling \(error.description)")
        }
        compiled += 1
        // Written to a temporary name and renamed, so a concurrent reader never sees half a file.
        try? FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
        let temporary = file + ".\(getpid()).tmp"
        if FileManager.default.createFile(atPath: temporary, contents: Data(cubin)) {
            _ = rename(temporary, file)
        }
        return cubin
    }
}

/// The argument block of one kernel launch, laid out as the kernel's C parameters.
struct KernelArguments {
    private(set) var bytes: [UInt8] = []
    private(set) var offsets: [Int] = []

    private mutating func align(_ alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
        offsets.append(bytes.count)
    }

    mutating func add<T>(_ value: T) {
        align(MemoryLayout<T>.alignment)
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    /// The device address of the tensor's first element. (Without this overload a tensor
    /// would match the generic `add` and pass its object reference.)
    mutating func add(_ tensor: Tensor) { add(Optional(tensor)) }

    /// The device address of the tensor's first element (0 for nil).
    mutating func add(_ tensor: Tensor?) {
        add(UInt64(tensor.map { $0.storage.address + UInt($0.offset * $0.dtype.size) } ?? 0))
    }

    /// Consecutive tensor parameters (0 for nil), then consecutive 64-bit sizes. (Labelled: an
    /// array would otherwise match the generic `add` and pass the array itself.)
    mutating func add(tensors: [Tensor?], sizes: [Int] = []) {
        for tensor in tensors { add(tensor) }
        for size in sizes { add(Int64(size)) }
    }

    /// A struct of 64-bit integers passed by value (the kernels' geometry structs).
    mutating func addWords(_ words: [Int64]) {
        align(8)
        for word in words { withUnsafeBytes(of: word) { bytes += $0 } }
    }

    /// The device address `elements` past the tensor's first element.
    mutating func add(_ tensor: Tensor, advancedBy elements: Int) {
        add(UInt64(tensor.storage.address + UInt((tensor.offset + elements) * tensor.dtype.size)))
    }

    /// The prelude's `nk_layout`: rank, shape[8], stride[3][8] (elements; 0 broadcasts).
    mutating func addLayout(shape: [Int], strides: [[Int]]) {
        precondition(shape.count <= 8, "CUDA: tensors of rank \(shape.count) exceed the kernels' 8 dimensions")
        align(8)
        withUnsafeBytes(of: Int32(shape.count)) { bytes += $0 }
        bytes += [0, 0, 0, 0]
        for axis in 0..<8 { withUnsafeBytes(of: Int64(axis < shape.count ? shape[axis] : 1)) { bytes += $0 } }
        for operand in 0..<3 {
            for axis in 0..<8 {
                let stride = operand < strides.count && axis < shape.count ? strides[operand][axis] : 0
                withUnsafeBytes(of: Int64(stride)) { bytes += $0 }
            }
        }
    }

    /// Runs `body` with the `void**` array cuLaunchKernel takes.
    func withParameters<R>(_ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> R) -> R {
        var copy = bytes
        return copy.withUnsafeMutableBytes { raw in
            var pointers: [UnsafeMutableRawPointer?] = offsets.map { raw.baseAddress! + $0 }
            return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        }
    }
}
