import Foundation
import Neuron

/// Small constant tensors that layers would build on every call (a causal mask, the mask of an
/// embedding's padding row), made once per key and device: a step on a GPU then copies nothing
/// from the host, so it can replay as a CUDA graph.
final class DeviceConstants: @unchecked Sendable {
    static let shared = DeviceConstants()
    private var tensors: [String: Tensor] = [:]
    private let lock = NSLock()

    /// The tensor of `key` on `device`, made by `make(device)` the first time.
    func tensor(_ key: String, device: Device, _ make: (Device) -> Tensor) -> Tensor {
        lock.lock()
        defer { lock.unlock() }
        let fullKey = "\(key) on \(device)"
        if let tensor = tensors[fullKey] { return tensor }
        let tensor = noGrad { make(device) }
        if tensors.count > 64 { tensors.removeAll() }
        tensors[fullKey] = tensor
        return tensor
    }
}
