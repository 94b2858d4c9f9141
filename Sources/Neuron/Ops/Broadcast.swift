/// The shape two operands broadcast to (NumPy rules), or a stop naming the op and shapes.
func broadcastShape(_ a: [Int], _ b: [Int], _ op: String) -> [Int] {
    if a == b { return a }
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(
            x == y || x == 1 || y == 1,
            "\(op): shapes \(a) and \(b) cannot be broadcast together")
        result[i] = x == 1 ? y : x
    }
    return result
}

extension Tensor {
    /// Sums a broadcast gradient back to `shape` (the inverse of broadcasting).
    func sumTo(_ shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let lead = rank - shape.count
        var axes = Array(0..<lead)
        for (i, size) in shape.enumerated() where size == 1 && self.shape[lead + i] != 1 {
            axes.append(lead + i)
        }
        let summed = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        return summed.reshaped(shape)
    }

    /// The gradient for input `x` of a broadcasting op: summed to its shape and cast to its type.
    func gradient(for x: Tensor) -> Tensor {
        let reduced = sumTo(x.shape)
        return reduced.dtype == x.dtype ? reduced : reduced.to(x.dtype)
    }
}
