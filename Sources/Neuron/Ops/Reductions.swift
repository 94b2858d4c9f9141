// Reductions over any set of axes, and the softmax family built from them.

extension Tensor {
    func normalisedAxes(_ axes: [Int], _ op: String) -> [Int] {
        let result = Array(Set(axes.map { axis($0, op) })).sorted()
        precondition(result.count == axes.count, "\(op): axes \(axes) repeat an axis")
        return result
    }

    /// Shape with the reduced axes removed (or kept as size 1).
    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        var result: [Int] = []
        for (i, size) in shape.enumerated() {
            if axes.contains(i) { if keepDims { result.append(1) } } else { result.append(size) }
        }
        return result
    }

    /// (outer, reduce, inner) sizes around one axis of a contiguous tensor.
    func blockSizes(around axis: Int) -> (Int, Int, Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Sum over `axes` (all axes when empty).
    public func sum(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        if rank == 0 { return self.dtype == .bool ? to(.int64) : self }
        if dtype == .bfloat16 { return to(.float32).sum(axes: axes, keepDims: keepDims).to(.bfloat16) }
        let reduced = axes.isEmpty ? Array(0..<rank) : normalisedAxes(axes, "sum")
        let input = (dtype == .bool ? to(.int64) : self).contiguous()
        // Reduce one contiguous run of axes per kernel call, last run first.
        var current = input.detach()
        var runs: [(Int, Int)] = []
        for axis in reduced {
            if let last = runs.last, last.1 == axis - 1 { runs[runs.count - 1].1 = axis } else { runs.append((axis, axis)) }
        }
        for (first, last) in runs.reversed() {
            let outer = current.shape[..<first].reduce(1, *)
            let reduce = current.shape[first...last].reduce(1, *)
            let inner = current.shape[(last + 1)...].reduce(1, *)
            var shape = current.shape
            shape.replaceSubrange(first...last, with: [Int](repeating: 1, count: last - first + 1))
            current = device.backend.sum(current, outer: outer, reduce: reduce, inner: inner, shape: shape)
        }
        let out = current.view(
            shape: reducedShape(reduced, keepDims: keepDims),
            strides: Tensor.contiguousStrides(for: reducedShape(reduced, keepDims: keepDims)))
        if Tensor.recording(input) {
            let keptShape = reducedShape(reduced, keepDims: true), inputShape = shape
            out.record("sum", [input]) { g, _ in [g.reshaped(keptShape).expanded(to: inputShape)] }
        }
        return out
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all axes when empty).
    public func mean(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let reduced = axes.isEmpty ? Array(0..<rank) : normalisedAxes(axes, "mean")
        let n = reduced.reduce(1) { $0 * shape[$1] }
        return floatingPoint.sum(axes: axes, keepDims: keepDims) / Double(n)
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes` with Bessel's `correction` (1: unbiased, PyTorch's default).
    public func variance(axes: [Int] = [], correction: Int = 1, keepDims: Bool = false) -> Tensor {
        let reduced = axes.isEmpty ? Array(0..<rank) : normalisedAxes(axes, "variance")
        let n = reduced.reduce(1) { $0 * shape[$1] }
        let x = floatingPoint
        let centred = x - x.mean(axes: reduced, keepDims: true)
        return (centred * centred).sum(axes: reduced, keepDims: keepDims) / Double(Swift.max(n - correction, 0))
    }

    /// Standard deviation over `axes` with Bessel's `correction`.
    public func std(axes: [Int] = [], correction: Int = 1, keepDims: Bool = false) -> Tensor {
        variance(axes: axes, correction: correction, keepDims: keepDims).sqrt()
    }

    /// Largest values along `axis` and their positions (the first one on ties).
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(axis: axis, keepDims: keepDims, min: false)
    }

    /// Smallest values along `axis` and their positions (the first one on ties).
    public func min(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(axis: axis, keepDims: keepDims, min: true)
    }

    /// The largest element.
    public func max() -> Tensor { reshaped([-1]).max(axis: 0).values }
    /// The smallest element.
    public func min() -> Tensor { reshaped([-1]).min(axis: 0).values }

    /// Position of the largest value along `axis` (of the flattened tensor when nil).
    public func argmax(axis: Int? = nil, keepDims: Bool = false) -> Tensor {
        guard let axis else { return reshaped([-1]).max(axis: 0).indices }
        return max(axis: axis, keepDims: keepDims).indices
    }

    /// Position of the smallest value along `axis` (of the flattened tensor when nil).
    public func argmin(axis: Int? = nil, keepDims: Bool = false) -> Tensor {
        guard let axis else { return reshaped([-1]).min(axis: 0).indices }
        return min(axis: axis, keepDims: keepDims).indices
    }

    func extreme(axis: Int, keepDims: Bool, min: Bool) -> (values: Tensor, indices: Tensor) {
        let op = min ? "min" : "max"
        if rank == 0 { return (self, Tensor.zeros([], dtype: .int64, device: device)) }
        if dtype == .bfloat16 {
            let wide = to(.float32).extreme(axis: axis, keepDims: keepDims, min: min)
            return (wide.values.to(.bfloat16), wide.indices)
        }
        let a = self.axis(axis, op)
        precondition(shape[a] > 0, "\(op): axis \(axis) of shape \(shape) is empty")
        let input = (dtype == .bool ? to(.int64) : self).contiguous()
        let (outer, reduce, inner) = input.blockSizes(around: a)
        let keptShape = reducedShape([a], keepDims: true)
        let (values, indices) = device.backend.extreme(
            input, outer: outer, reduce: reduce, inner: inner,
            shape: keptShape, min: min)
        let outShape = reducedShape([a], keepDims: keepDims)
        let outValues = values.reshaped(outShape), outIndices = indices.reshaped(outShape)
        if Tensor.recording(input) {
            let inputShape = shape
            outValues.record(op, [input]) { g, _ in
                [Tensor.zeros(inputShape, dtype: g.dtype, device: g.device).scatterAdd(axis: a, index: indices, source: g.reshaped(keptShape))]
            }
        }
        return (outValues, outIndices)
    }

    /// log(sum(exp(x))) over `axes`, computed stably by shifting by the maximum.
    public func logSumExp(axes: [Int], keepDims: Bool = false) -> Tensor {
        let reduced = normalisedAxes(axes, "logSumExp")
        let x = floatingPoint
        var shift = x.detach()
        for axis in reduced { shift = shift.max(axis: axis, keepDims: true).values }
        // Rows that are all -inf keep a shift of 0 so the result is -inf, not NaN.
        shift = Tensor.where(shift.abs() .== Double.infinity, shift.zerosLike(), shift)
        let result = (x - shift).exp().sum(axes: reduced, keepDims: true).log() + shift
        return keepDims ? result : result.squeezedAxes(reduced)
    }

    /// log(sum(exp(x))) over one axis.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }

    /// exp(x) / sum(exp(x)) along `axis`, stable for large inputs.
    public func softmax(axis: Int = -1) -> Tensor {
        if let fused = fusedSoftmax(axis: axis, log: false) { return fused }
        let x = floatingPoint
        let shifted = x - x.detach().max(axis: axis, keepDims: true).values
        let e = shifted.exp()
        return e / e.sum(axis: axis, keepDims: true)
    }

    /// x − logSumExp(x) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        if let fused = fusedSoftmax(axis: axis, log: true) { return fused }
        let x = floatingPoint
        let shifted = x - x.detach().max(axis: axis, keepDims: true).values
        return shifted - shifted.exp().sum(axis: axis, keepDims: true).log()
    }

    /// The backend's one-pass softmax over the last axis, where it has one; the gradient is
    /// composed (y·(g − Σ g·y), or g − exp(y)·Σ g), so it can be differentiated again.
    func fusedSoftmax(axis: Int, log: Bool) -> Tensor? {
        guard rank > 0, axis == -1 || axis == rank - 1, dtype == .float32 || dtype == .float64, let width = shape.last, width > 0
        else { return nil }
        guard let y = device.backend.fusedSoftmax(self, rows: count / width, width: width, log: log) else { return nil }
        if Tensor.recording(self) {
            y.record(log ? "logSoftmax" : "softmax", [self]) { g, out in
                log ? [g - out.exp() * g.sum(axis: -1, keepDims: true)] : [out * (g - (g * out).sum(axis: -1, keepDims: true))]
            }
        }
        return y
    }

    func squeezedAxes(_ axes: [Int]) -> Tensor {
        reshaped(shape.enumerated().filter { !axes.contains($0.offset) }.map { $0.element })
    }
}
