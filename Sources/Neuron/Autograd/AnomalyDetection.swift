import CNeuronKernels

/// Finds the first recorded operation that turned finite inputs into NaN or infinity.
/// Off by default (it scans every recorded output); switch it on to locate where a loss
/// became NaN.
public enum AnomalyDetection {
    /// A recorded op whose output holds a non-finite value while its inputs did not.
    public struct Anomaly: CustomStringConvertible, Sendable {
        public let op: String
        public let inputShapes: [[Int]]
        public let outputShape: [Int]
        public var description: String {
            "op '\(op)' (inputs \(inputShapes.map { "\($0)" }.joined(separator: ", ")) → \(outputShape))"
        }
    }

    nonisolated(unsafe) static var enabled = false
    nonisolated(unsafe) static var first: Anomaly?

    /// Whether recorded ops are checked.
    public static var isEnabled: Bool {
        get { enabled }
        set { enabled = newValue }
    }

    /// The first anomaly since the last `reset()`.
    public static var firstAnomaly: Anomaly? { first }

    public static func reset() { first = nil }

    static func check(_ out: Tensor, _ name: String, _ inputs: [Tensor]) {
        guard first == nil, out.dtype.isFloatingPoint, !out.allFinite, inputs.allSatisfy({ $0.allFinite }) else { return }
        first = Anomaly(op: name, inputShapes: inputs.map { $0.shape }, outputShape: out.shape)
    }
}

extension Tensor {
    /// True when no element is NaN or infinite (always true for integer tensors).
    public var allFinite: Bool {
        guard dtype.isFloatingPoint else { return true }
        return noGrad { (self.abs() .< Double.infinity).to(.int64).sum().item() == Double(count) }
    }
}
