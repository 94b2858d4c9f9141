import CNeuronCUDA
import Foundation

/// Finds and loads the CUDA driver, NVRTC and cuBLAS at run time.
///
/// Libraries are looked for in `NEURON_CUDA_LIBDIR`, then in the NVIDIA pip wheels of Python
/// environments (`$VIRTUAL_ENV`, `$CONDA_PREFIX`, `./.venv`, `/opt/torch/.venv`:
/// `site-packages/nvidia/cu13/lib`), then on the dynamic loader's path. Nothing is linked.
final class CUDARuntime: @unchecked Sendable {
    /// What loading found.
    enum Status: CustomStringConvertible {
        case available(driver: Int, nvrtc: String, devices: [String])
        case unavailable(String)

        var isAvailable: Bool {
            if case .available = self { return true }
            return false
        }

        var description: String {
            switch self {
            case .available(let driver, let nvrtc, let devices):
                let version = "\(driver / 1000).\(driver % 1000 / 10)"
                let cudnn = CUDARuntime.shared.cudnnVersion.map { ", cuDNN \($0 / 10000).\($0 % 10000 / 100)" } ?? ", no cuDNN"
                return "CUDA \(version) driver, NVRTC \(nvrtc)\(cudnn), \(devices.count) device(s): \(devices.joined(separator: "; "))"
            case .unavailable(let reason): return "CUDA not available: \(reason)"
            }
        }
    }

    static let shared = CUDARuntime()

    /// The driver, NVRTC and cuBLAS, loaded once on first use (tests install a fake driver
    /// table in `nk_cuda` and set this).
    lazy var status: Status = load()
    /// Whether NVRTC alone loaded (it compiles kernels without a GPU); nil, or why not.
    lazy var nvrtcProblem: String? = loadNVRTC()
    /// cuDNN 9's version when `libcudnn.so.9` loaded with every entry point (it is optional:
    /// convolutions then take the backend's own kernels), else nil.
    private(set) var cudnnVersion: Int?

    /// Forgets every entry point and loads the libraries again on next use.
    func reload() {
        nk_cuda = nk_cuda_api()
        status = .unavailable("not loaded")
        nvrtcProblem = loadNVRTC()
        status = load()
    }

    var deviceCount: Int {
        if case .available(_, _, let devices) = status { return devices.count }
        return 0
    }

    /// The folders searched, in order, for the NVIDIA libraries other than the driver.
    static var searchFolders: [String] {
        let environment = ProcessInfo.processInfo.environment
        var folders: [String] = []
        if let dir = environment["NEURON_CUDA_LIBDIR"], !dir.isEmpty { folders += dir.split(separator: ":").map(String.init) }
        var environments = [environment["VIRTUAL_ENV"], environment["CONDA_PREFIX"]].compactMap { $0 }
        environments += [FileManager.default.currentDirectoryPath + "/.venv", "/opt/torch/.venv"]
        for env in environments {
            let lib = env + "/lib"
            let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib))?.filter { $0.hasPrefix("python3") }.sorted() ?? []
            for python in pythons {
                let nvidia = "\(lib)/\(python)/site-packages/nvidia"
                for sub in ["cu13/lib", "cuda_nvrtc/lib", "cublas/lib", "cudnn/lib"] where FileManager.default.fileExists(atPath: "\(nvidia)/\(sub)")
                {
                    folders.append("\(nvidia)/\(sub)")
                }
            }
        }
        return folders
    }

    /// The first existing `folder/name` (a glob on the last component when it holds `*`), or
    /// `name` alone for the loader's own search.
    static func locate(_ name: String, in folders: [String]) -> String {
        for folder in folders {
            if name.contains("*") {
                let prefix = String(name.prefix { $0 != "*" })
                let match = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter {
                    $0.hasPrefix(prefix) && !$0.contains(".alt.")
                }.sorted().last
                if let match { return "\(folder)/\(match)" }
            } else if FileManager.default.fileExists(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return name
    }

    private func loadNVRTC() -> String? {
        let folders = Self.searchFolders
        // NVRTC loaded by path fails (error 7) unless its builtins are already loaded, globally.
        let builtins = Self.locate("libnvrtc-builtins.so.13.*", in: folders)
        if builtins.contains("/"), let problem = nk_cuda_preload(builtins) { return "NVRTC builtins: " + String(cString: problem) }
        if let problem = nk_cuda_load(NK_CUDA_NVRTC, Self.locate("libnvrtc.so.13", in: folders)) {
            return "NVRTC (pip install nvidia-cuda-nvrtc==13.0.*): " + String(cString: problem)
        }
        return nil
    }

    private func load() -> Status {
        let folders = Self.searchFolders
        let driverFolders = folders + ["/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/x86_64-linux-gnu"]
        if let problem = nk_cuda_load(NK_CUDA_DRIVER, Self.locate("libcuda.so.1", in: driverFolders)) {
            return .unavailable("no driver (libcuda.so.1): " + String(cString: problem))
        }
        let initResult = nk_cuda.cuInit!(0)
        guard initResult == 0 else { return .unavailable("cuInit failed: \(CUDARuntime.errorText(initResult))") }
        var count: Int32 = 0, version: Int32 = 0
        _ = nk_cuda.cuDriverGetVersion!(&version)
        guard nk_cuda.cuDeviceGetCount!(&count) == 0, count > 0 else { return .unavailable("the driver sees no GPU") }
        if let problem = nvrtcProblem { return .unavailable(problem) }
        _ = nk_cuda_preload(Self.locate("libcublasLt.so.13", in: folders))
        if let problem = nk_cuda_load(NK_CUDA_CUBLAS, Self.locate("libcublas.so.13", in: folders)) {
            return .unavailable("cuBLAS (libcublas.so.13): " + String(cString: problem))
        }
        cudnnVersion = nil
        if nk_cuda_load(NK_CUDA_CUDNN, Self.locate("libcudnn.so.9", in: folders)) == nil {
            cudnnVersion = Int(nk_cuda.cudnnGetVersion!())
        }
        var devices: [String] = []
        for i in 0..<count {
            var device: CUdevice = 0
            _ = nk_cuda.cuDeviceGet!(&device, i)
            var name = [CChar](repeating: 0, count: 256)
            _ = nk_cuda.cuDeviceGetName!(&name, 256, device)
            var major: Int32 = 0, minor: Int32 = 0, bytes = 0
            _ = nk_cuda.cuDeviceGetAttribute!(&major, NK_CU_ATTRIBUTE_CC_MAJOR, device)
            _ = nk_cuda.cuDeviceGetAttribute!(&minor, NK_CU_ATTRIBUTE_CC_MINOR, device)
            _ = nk_cuda.cuDeviceTotalMem!(&bytes, device)
            devices.append("cuda:\(i) \(String(cString: name)), sm_\(major)\(minor), \(bytes >> 30) GiB")
        }
        return .available(driver: Int(version), nvrtc: nvrtcVersion ?? "?", devices: devices)
    }

    /// "13.0", once NVRTC is loaded.
    var nvrtcVersion: String? {
        guard nvrtcProblem == nil else { return nil }
        var major: Int32 = 0, minor: Int32 = 0
        _ = nk_cuda.nvrtcVersion!(&major, &minor)
        return "\(major).\(minor)"
    }

    /// The architectures NVRTC can compile for (75, 80, 90, …).
    var nvrtcArchitectures: [Int] {
        guard nvrtcProblem == nil else { return [] }
        var count: Int32 = 0
        _ = nk_cuda.nvrtcGetNumSupportedArchs!(&count)
        var archs = [Int32](repeating: 0, count: Int(count))
        _ = nk_cuda.nvrtcGetSupportedArchs!(&archs)
        return archs.map(Int.init)
    }

    static func errorText(_ result: CUresult) -> String {
        var text: UnsafePointer<CChar>?
        if let f = nk_cuda.cuGetErrorString, f(result, &text) == 0, let text { return "\(String(cString: text)) (\(result))" }
        return "error \(result)"
    }
}

/// Stops with the failing call's name and the driver's message.
@inline(__always)
func cudaCheck(_ result: CUresult, _ call: @autoclosure () -> String) {
    if result != 0 { preconditionFailure("CUDA: \(call()) failed: \(CUDARuntime.errorText(result))") }
}
