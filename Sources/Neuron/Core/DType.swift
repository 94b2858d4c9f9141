/// The element type of a tensor, chosen at run time (as in PyTorch and MLX).
public enum DType: Int32, Sendable, CustomStringConvertible {
    case float32 = 0
    case float64 = 1
    /// 64-bit integers, for labels and indices.
    case int64 = 2
    /// Booleans stored one byte each, for masks.
    case bool = 3
    /// bfloat16: float32's exponent with an 8-bit significand, 2 bytes. Arithmetic on it runs
    /// in float32 and rounds back; autocast feeds GEMMs and convolutions with it.
    case bfloat16 = 4

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        case .int64: 8
        case .bool: 1
        case .bfloat16: 2
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 || self == .bfloat16 }

    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .bool: "bool"
        case .bfloat16: "bfloat16"
        }
    }

    /// The type two operands are computed in (PyTorch's promotion for tensors of equal rank).
    static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a == .float64 || b == .float64 { return .float64 }
        if a == .float32 || b == .float32 { return .float32 }
        if a == .bfloat16 || b == .bfloat16 { return .bfloat16 }
        return .int64
    }
}

/// The bits of the bfloat16 nearest to `value` (ties to even; NaN stays a quiet NaN).
func BFloat16Bits(_ value: Float) -> UInt16 {
    var bits = value.bitPattern
    if bits & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
    bits &+= 0x7fff &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: bits >> 16)
}
