import Glibc
import Neuron

/// Gradients of a few parameters packed into one buffer that is summed over the processes in
/// one reduction.
final class GradientBucket {
    let parameters: [Tensor]
    let offsets: [Int]
    let dtype: DType
    let buffer: UnsafeMutableRawBufferPointer
    /// Which parameters' gradients are in the buffer this round.
    var ready: [Bool]
    /// Whether the buffer is complete (ready to start).
    var isFilled = false
    /// Whether a parameter had a gradient on this process this round.
    var hadGradient: [Bool]
    var pending: PendingSum?

    init(_ parameters: [Tensor]) {
        self.parameters = parameters
        dtype = parameters[0].dtype
        var offsets: [Int] = []
        var total = 0
        for parameter in parameters {
            offsets.append(total)
            total += parameter.count
        }
        self.offsets = offsets
        buffer = .allocate(byteCount: max(total, 1) * dtype.size, alignment: 64)
        ready = Array(repeating: false, count: parameters.count)
        hadGradient = ready
    }

    deinit {
        pending?.wait()
        buffer.deallocate()
    }

    func reset() {
        ready = Array(repeating: false, count: parameters.count)
        hadGradient = ready
        isFilled = false
        pending = nil
    }

    /// Copies `grad × scale` (zeros when there is none) into the parameter's place.
    func write(_ grad: Tensor?, slot: Int, scale: Double) {
        let count = parameters[slot].count
        let start = buffer.baseAddress! + offsets[slot] * dtype.size
        ready[slot] = true
        hadGradient[slot] = grad != nil
        guard let grad else {
            memset(start, 0, count * dtype.size)
            return
        }
        precondition(
            grad.count == count && grad.dtype == dtype, "DataParallel: gradient \(grad.shape) \(grad.dtype) for a parameter of \(count) \(dtype)")
        grad.withUnsafeBytes { source in
            if dtype == .float64 {
                scaled(source, into: start, count: count, scale: scale, as: Double.self)
            } else {
                scaled(source, into: start, count: count, scale: Float(scale), as: Float.self)
            }
        }
    }

    private func scaled<T: BinaryFloatingPoint>(
        _ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawPointer, count: Int, scale: T, as type: T.Type
    ) {
        let from = source.bindMemory(to: T.self)
        let to = target.bindMemory(to: T.self, capacity: count)
        for i in 0..<count { to[i] = from[i] * scale }
    }

    /// Starts the sum (overlapped with backward), or, `blocking`, runs it at once.
    func launch(_ communicator: Communicator, blocking: Bool) {
        if blocking {
            communicator.sumInPlace(buffer, dtype: dtype)
        } else {
            pending = communicator.startSum(buffer, dtype: dtype)
        }
    }

    /// Writes the summed gradients into `.grad` (created for a parameter that had none here,
    /// unless its sum is zero everywhere: a parameter no process used keeps no gradient).
    func readBack() {
        for (slot, parameter) in parameters.enumerated() {
            let start = UnsafeRawPointer(buffer.baseAddress! + offsets[slot] * dtype.size)
            let bytes = UnsafeRawBufferPointer(start: start, count: parameter.count * dtype.size)
            if !hadGradient[slot] && bytes.allSatisfy({ $0 == 0 }) { continue }
            if let grad = parameter.grad, grad.isContiguous, !grad.requiresGrad {
                grad.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
            } else {
                let grad = Tensor.zeros(parameter.shape, dtype: dtype)
                grad.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
                parameter.grad = grad
            }
        }
    }
}
