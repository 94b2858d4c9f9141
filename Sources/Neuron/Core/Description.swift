import Glibc

/// Printing in PyTorch's style: `tensor([[ 1.5000, -2.0000], …])`, with `...` for large tensors.
extension Tensor: CustomStringConvertible {
    public var description: String {
        let summarise = count > 1000
        let values = toArray(Double.self)
        let shown = summarise ? Tensor.summaryIndices(shape) : nil
        let format = Tensor.numberFormat(shown.map { $0.map { values[$0] } } ?? values, dtype: dtype)
        let width = (shown ?? Array(values.indices)).map { format(values[$0]).count }.max() ?? 0
        var text = "tensor("
        let indent = String(repeating: " ", count: 7)
        text += render(values, format, width, dim: 0, base: 0, indent: indent, summarise: summarise)
        var extras: [String] = []
        if dtype != .float32 && dtype != .int64 { extras.append("dtype=\(dtype)") }
        if count == 0 && rank != 1 { extras.append("size=\(shape)") }
        if _requiresGrad { extras.append(node == nil ? "requiresGrad=true" : "gradFn=\(node!.name)") }
        return text + (extras.isEmpty ? "" : ", " + extras.joined(separator: ", ")) + ")"
    }

    private func render(
        _ values: [Double], _ format: (Double) -> String, _ width: Int, dim: Int, base: Int,
        indent: String, summarise: Bool
    ) -> String {
        if rank == 0 { return format(values[0]) }
        let size = shape[dim]
        let edge = 3
        let positions: [Int?] =
            summarise && size > 2 * edge
            ? Array(0..<edge) + [nil] + Array((size - edge)..<size) : Array(0..<size)
        let elementStride = shape[(dim + 1)...].reduce(1, *)
        if dim == rank - 1 {
            let items = positions.map { p in p.map { pad(format(values[base + $0]), width) } ?? " ..." }
            return "[" + items.joined(separator: ", ") + "]"
        }
        let inner = indent + " "
        let separator = "," + String(repeating: "\n", count: rank - dim - 1) + inner
        let items = positions.map { p -> String in
            guard let p else { return "..." }
            return render(
                values, format, width, dim: dim + 1, base: base + p * elementStride,
                indent: inner, summarise: summarise)
        }
        return "[" + items.joined(separator: separator) + "]"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: Swift.max(width - s.count, 0)) + s
    }

    /// Flat positions of the elements a summary shows (three at each end of every dimension).
    static func summaryIndices(_ shape: [Int]) -> [Int] {
        var result = [0]
        var stride = 1
        for size in shape.reversed() {
            let kept = size > 6 ? Array(0..<3) + Array((size - 3)..<size) : Array(0..<size)
            result = kept.flatMap { k in result.map { $0 + k * stride } }
            stride *= size
        }
        return result
    }

    static func numberFormat(_ values: [Double], dtype: DType) -> (Double) -> String {
        switch dtype {
        case .bool: return { $0 != 0 ? "True" : "False" }
        case .int64: return { String(Int64($0)) }
        default: break
        }
        let finite = values.filter { $0.isFinite }
        let magnitudes = finite.map { Swift.abs($0) }.filter { $0 > 0 }
        let largest = magnitudes.max() ?? 0, smallest = magnitudes.min() ?? 0
        let wideRange = largest / Swift.max(smallest, .leastNonzeroMagnitude) > 1000
        if finite.allSatisfy({ $0.rounded() == $0 }) {
            if largest > 1e8 || wideRange { return { cFormat("%.4e", $0) } }
            return { $0.isFinite ? String(Int64($0)) + "." : cFormat("%g", $0) }
        }
        if largest > 1e8 || smallest < 1e-4 || wideRange {
            return { cFormat("%.4e", $0) }
        }
        return { cFormat("%.4f", $0) }
    }
}

func cFormat(_ format: String, _ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, 64, format, $0) }
    return String(cString: buffer)
}
