/// The element type of a tensor, chosen at run time (as in PyTorch and MLX).
public enum DType: Int32, Sendable, CustomStringConvertible {
    case float32 = 0
    case float64 = 1
    /// 64-bit integers, for labels and indices.
    case int64 = 2
    /// Booleans stored one byte each, for masks.
    case bool = 3

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        case .int64: 8
        case .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .bool: "bool"
        }
    }

    /// The type two operands are computed in (PyTorch's promotion for tensors of equal rank).
    static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a == .float64 || b == .float64 { return .float64 }
        if a == .float32 || b == .float32 { return .float32 }
        return .int64
    }
}
