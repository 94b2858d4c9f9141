import Foundation

/// Where a tensor's memory lives and which kernels compute on it: the CPU, or one NVIDIA GPU.
///
///     let x = Tensor.ones([2, 3]).to(.cuda(0))
///     let model = MLP(…).to(.cuda(0))
public struct Device: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable { case cpu, cuda, simulated }
    let kind: Kind
    /// The device's number among those of its kind (0 for the CPU).
    public let index: Int

    /// Host memory, the CPU backend (C kernels and oneDNN).
    public static let cpu = Device(kind: .cpu, index: 0)
    /// The NVIDIA GPU with this ordinal, through the CUDA backend loaded at run time.
    public static func cuda(_ index: Int = 0) -> Device { Device(kind: .cuda, index: index) }
    /// A device whose memory is not addressable from the host; every op runs through the backend
    /// contract. It exists so that tests can prove nothing reaches a tensor's memory otherwise.
    static let simulated = Device(kind: .simulated, index: 0)

    public var description: String {
        switch kind {
        case .cpu: return "cpu"
        case .cuda: return "cuda:\(index)"
        case .simulated: return "simulated"
        }
    }

    /// Where factories (`zeros`, `uniform`, `Tensor([…])`, …) put new tensors when no device is
    /// given: the CPU unless `NEURON_DEFAULT_DEVICE` ("cpu", "cuda", "cuda:N") says otherwise at
    /// start (PyTorch's `torch.set_default_device`).
    nonisolated(unsafe) public static var `default`: Device = {
        guard let text = ProcessInfo.processInfo.environment["NEURON_DEFAULT_DEVICE"], !text.isEmpty else { return .cpu }
        if text == "simulated" { return .simulated }
        guard let device = Device(text) else { preconditionFailure("NEURON_DEFAULT_DEVICE: unknown device \(text)") }
        return device
    }()

    /// Whether this is host memory.
    public var isCPU: Bool { kind == .cpu }
    /// Whether this is an NVIDIA GPU.
    public var isCUDA: Bool { kind == .cuda }

    /// Parses "cpu", "cuda" (device 0) or "cuda:N"; nil for anything else.
    public init?(_ text: String) {
        let lowered = text.lowercased()
        if lowered == "cpu" {
            self = .cpu
        } else if lowered == "cuda" || lowered == "gpu" {
            self = .cuda(0)
        } else if lowered.hasPrefix("cuda:"), let n = Int(lowered.dropFirst(5)), n >= 0 {
            self = .cuda(n)
        } else {
            return nil
        }
    }

    init(kind: Kind, index: Int) {
        self.kind = kind
        self.index = index
    }

    /// The backend computing on this device.
    @inline(__always)
    var backend: any Backend {
        switch kind {
        case .cpu: return CPUBackend.shared
        case .cuda: return CUDABackend.forDevice(index)
        case .simulated: return SimulatedBackend.shared
        }
    }

    /// Whether a CUDA driver, NVRTC and cuBLAS were found and at least one GPU answered.
    public static var cudaAvailable: Bool { CUDARuntime.shared.status.isAvailable }
    /// One line on what CUDA support found, or why there is none.
    public static var cudaStatus: String { CUDARuntime.shared.status.description }
    /// The number of CUDA devices (0 when CUDA is not available).
    public static var cudaDeviceCount: Int { CUDARuntime.shared.deviceCount }

    /// Waits until every kernel queued on this device has finished.
    public func synchronize() { backend.synchronize() }
}

extension Tensor {
    /// Stops with a message naming the op and both devices when tensors live on different ones.
    @inline(__always)
    func checkDevice(_ other: Tensor, _ op: String) {
        if other.device != device {
            sameDeviceFailure(op, [self, other])
        }
    }

    static func checkDevices(_ tensors: [Tensor], _ op: String) {
        guard let first = tensors.first else { return }
        for t in tensors where t.device != first.device { sameDeviceFailure(op, tensors) }
    }
}

func sameDeviceFailure(_ op: String, _ tensors: [Tensor]) -> Never {
    let described = tensors.map { "\($0.device) \($0.shape)" }.joined(separator: " and ")
    preconditionFailure("\(op): tensors on different devices (\(described)); move them with to(_:) first")
}

/// Where the CUDA libraries are looked for.
public enum CUDALibraries {
    /// `NEURON_CUDA_LIBDIR`, then the NVIDIA wheels' folders of the Python environments found.
    public static var searchFolders: [String] { CUDARuntime.searchFolders }
}
