// Basic indexing: integers, ranges with steps, `.all` and `.newAxis`, as views.

/// One entry of a tensor subscript.
public enum TensorIndex: Sendable {
    /// A single position (the dimension is removed); negative counts from the end.
    case at(Int)
    /// Positions start..<end by step (nil bounds mean the ends); negative bounds count from the end.
    case range(Int?, Int?, step: Int)
    /// The whole dimension (written `.all` inside a subscript).
    case whole
    /// A new dimension of size 1 (written `.newAxis` inside a subscript).
    case inserted
}

/// Values usable inside `tensor[...]`: Int, ranges, `stride(from:to:by:)`, `TensorIndex`.
public protocol TensorIndexConvertible { var tensorIndex: TensorIndex { get } }

extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .at(self) } }
extension Range: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(lowerBound, upperBound, step: 1) }
}
extension ClosedRange: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(lowerBound, upperBound + 1, step: 1) }
}
extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(lowerBound, nil, step: 1) }
}
extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(nil, upperBound, step: 1) }
}
extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(nil, upperBound + 1, step: 1) }
}
extension StrideTo: TensorIndexConvertible where Element == Int {
    public var tensorIndex: TensorIndex {
        // Mirror exposes no public bounds; rebuild them from the sequence's first elements.
        let values = Array(self)
        guard let first = values.first else { return .range(0, 0, step: 1) }
        let step = values.count > 1 ? values[1] - first : 1
        return .range(first, first + values.count * step, step: step)
    }
}

/// Where a rank-preserving slice starts and how it steps, per axis.
struct SliceSpec {
    var starts: [Int]
    var steps: [Int]
    var sizes: [Int]
}

extension Tensor {
    /// `x[0]`, `x[1..<3, .all]`, `x[..., stride(from: 0, to: 6, by: 2)]`, `x[.newAxis, 2...]`.
    /// Missing trailing dimensions are taken whole.
    public subscript(_ indices: TensorIndexConvertible...) -> Tensor { index(indices.map { $0.tensorIndex }) }

    func index(_ indices: [TensorIndex]) -> Tensor {
        let used = indices.filter { if case .inserted = $0 { false } else { true } }.count
        precondition(used <= rank, "subscript: \(used) indices for a tensor of shape \(shape)")
        var spec = SliceSpec(starts: [], steps: [], sizes: [])
        var resultShape: [Int] = []
        var axis = 0
        for entry in indices {
            switch entry {
            case .inserted:
                resultShape.append(1)
                continue
            case .whole:
                spec.starts.append(0)
                spec.steps.append(1)
                spec.sizes.append(shape[axis])
                resultShape.append(shape[axis])
            case .at(let i):
                let position = i < 0 ? i + shape[axis] : i
                precondition(
                    position >= 0 && position < shape[axis],
                    "subscript: index \(i) is out of range for axis \(axis) of shape \(shape)")
                spec.starts.append(position)
                spec.steps.append(1)
                spec.sizes.append(1)
            case .range(let start, let end, let step):
                precondition(step > 0, "subscript: step \(step) must be positive")
                let size = shape[axis]
                func clip(_ v: Int?, _ fallback: Int) -> Int {
                    guard let v else { return fallback }
                    return Swift.min(Swift.max(v < 0 ? v + size : v, 0), size)
                }
                let lo = clip(start, 0), hi = Swift.max(clip(end, size), lo)
                let n = (hi - lo + step - 1) / step
                spec.starts.append(lo)
                spec.steps.append(step)
                spec.sizes.append(n)
                resultShape.append(n)
            }
            axis += 1
        }
        for rest in axis..<rank {
            spec.starts.append(0)
            spec.steps.append(1)
            spec.sizes.append(shape[rest])
            resultShape.append(shape[rest])
        }
        return slice(spec).reshaped(resultShape)
    }

    /// Positions start..<start+length (by step) along one axis, as a view.
    public func narrowed(axis: Int, start: Int, length: Int, step: Int = 1) -> Tensor {
        let a = self.axis(axis, "narrow")
        precondition(
            start >= 0 && length >= 0 && step > 0 && start + (length - 1) * step < shape[a] || length == 0,
            "narrow: start \(start), length \(length) is out of range for axis \(axis) of shape \(shape)")
        var spec = SliceSpec(starts: [Int](repeating: 0, count: rank), steps: [Int](repeating: 1, count: rank), sizes: shape)
        spec.starts[a] = start
        spec.steps[a] = step
        spec.sizes[a] = length
        return slice(spec)
    }

    /// A rank-preserving strided view.
    func slice(_ spec: SliceSpec) -> Tensor {
        if spec.sizes == shape && spec.starts.allSatisfy({ $0 == 0 }) { return self }
        var start = offset
        for axis in 0..<rank { start += spec.starts[axis] * strides[axis] }
        let out = view(shape: spec.sizes, strides: zip(strides, spec.steps).map { $0 * $1 }, offset: start)
        if Tensor.recording(self) {
            let inputShape = shape
            out.record("slice", [self]) { g, _ in [g.sliceScatter(into: inputShape, spec)] }
        }
        return out
    }

    /// Zeros of `shape` with this tensor written into the slice `spec` (the gradient of slicing).
    func sliceScatter(into shape: [Int], _ spec: SliceSpec) -> Tensor {
        let out = Tensor.zeros(shape, dtype: dtype, device: device)
        device.backend.copy(self, into: noGrad { out.slice(spec) })
        if Tensor.recording(self) { out.record("sliceScatter", [self]) { g, _ in [g.slice(spec)] } }
        return out
    }
}

extension TensorIndexConvertible where Self == TensorIndex {
    /// The whole dimension: `x[.all, 0]`.
    public static var all: TensorIndex { .whole }
    /// A new dimension of size 1: `x[.newAxis, 0]`.
    public static var newAxis: TensorIndex { .inserted }
}
