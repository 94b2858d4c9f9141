import CNeuronKernels

/// Finds the first recorded operation that turned finite inputs into NaN or infinity
/// (PyTorch's `detect_anomaly`). Off by default: it scans every recorded output, which costs
/// a quarter of a training step. The training loop switches it on only to re-run a step
/// whose loss was not finite, or for every step when asked (`neuron train --detect-anomaly`).
public enum NonFiniteLocator {
    /// A recorded op whose output holds a non-finite value while its inputs did not.
    public struct Finding: CustomStringConvertible, Sendable {
        public let op: String
        public let inputShapes: [[Int]]
        public let outputShape: [Int]
        public var description: String {
            "op '\(op)' (inputs \(inputShapes.map { "\($0)" }.joined(separator: ", ")) → \(outputShape))"
        }
    }

    nonisolated(unsafe) static var enabled = false
    nonisolated(unsafe) static var first: Finding?

    /// Whether recorded ops are checked.
    public static var isEnabled: Bool {
        get { enabled }
        set { enabled = newValue }
    }

    /// The first such op since the last `reset()`.
    public static var firstFinding: Finding? { first }

    public static func reset() { first = nil }

    static func check(_ out: Tensor, _ name: String, _ inputs: [Tensor]) {
        guard first == nil, out.dtype.isFloatingPoint, !out.allFinite, inputs.allSatisfy({ $0.allFinite }) else { return }
        first = Finding(op: name, inputShapes: inputs.map { $0.shape }, outputShape: out.shape)
    }
}

extension Tensor {
    /// True when no element is NaN or infinite (always true for integer tensors).
    public var allFinite: Bool {
        guard dtype.isFloatingPoint else { return true }
        return noGrad { (self.abs() .< Double.infinity).to(.int64).sum().item() == Double(count) }
    }
}
