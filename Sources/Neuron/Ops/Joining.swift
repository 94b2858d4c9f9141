// Concatenation, stacking, splitting and padding.

extension Tensor {
    /// Joins tensors along an existing axis; all other dimensions must match.
    public static func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors given")
        let first = tensors[0]
        let a = first.axis(axis, "concat")
        let dtype = tensors.dropFirst().reduce(first.dtype) { DType.promote($0, $1.dtype) }
        var shape = first.shape
        shape[a] = 0
        for t in tensors {
            precondition(
                t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                "concat: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
            shape[a] += t.shape[a]
        }
        checkDevices(tensors, "concat")
        let out = Tensor(uninitialized: shape, dtype: dtype, device: first.device)
        var start = 0
        for t in tensors {
            let part = t.dtype == dtype ? t : first.device.backend.cast(t, to: dtype)
            first.device.backend.copy(part, into: noGrad { out.narrowed(axis: a, start: start, length: t.shape[a]) })
            start += t.shape[a]
        }
        if recording(tensors) {
            let sizes = tensors.map { $0.shape[a] }
            out.record("concat", tensors) { g, _ in
                var begin = 0
                return zip(tensors, sizes).map { t, size in
                    defer { begin += size }
                    return t._requiresGrad ? g.narrowed(axis: a, start: begin, length: size).to(t.dtype) : nil
                }
            }
        }
        return out
    }

    /// Joins tensors of one shape along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors given")
        for t in tensors {
            precondition(t.shape == tensors[0].shape, "stack: shapes \(tensors[0].shape) and \(t.shape) differ")
        }
        let a = tensors[0].axis(axis, "stack", rank: tensors[0].rank + 1)
        return concat(tensors.map { $0.unsqueezed(axis: a) }, axis: a)
    }

    /// Views of consecutive pieces of the given sizes along `axis`.
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = self.axis(axis, "split")
        precondition(
            sizes.reduce(0, +) == shape[a] && sizes.allSatisfy { $0 >= 0 },
            "split: sizes \(sizes) do not add up to \(shape[a]) (axis \(axis) of shape \(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrowed(axis: a, start: start, length: size)
        }
    }

    /// Views of pieces of `size` along `axis` (the last may be smaller).
    public func split(size: Int, axis: Int = 0) -> [Tensor] {
        precondition(size > 0, "split: size must be positive, got \(size)")
        let total = shape[self.axis(axis, "split")]
        let sizes = stride(from: 0, to: total, by: size).map { Swift.min(size, total - $0) }
        return split(sizes: sizes, axis: axis)
    }

    /// `count` nearly equal pieces along `axis` (PyTorch's `chunk`).
    public func chunked(_ count: Int, axis: Int = 0) -> [Tensor] {
        precondition(count > 0, "chunk: count must be positive, got \(count)")
        let total = shape[self.axis(axis, "chunk")]
        return split(size: Swift.max((total + count - 1) / count, 1), axis: axis)
    }

    /// Pads with a constant. `widths` lists (before, after) pairs starting from the last
    /// dimension, as PyTorch's `F.pad`: `[left, right, top, bottom, …]`.
    public func padded(_ widths: [Int], value: Double = 0) -> Tensor {
        precondition(
            widths.count % 2 == 0 && widths.count / 2 <= rank && widths.allSatisfy { $0 >= 0 },
            "pad: widths \(widths) do not fit a tensor of shape \(shape)")
        var shape = self.shape
        var spec = SliceSpec(starts: [Int](repeating: 0, count: rank), steps: [Int](repeating: 1, count: rank), sizes: self.shape)
        for pair in 0..<(widths.count / 2) {
            let axis = rank - 1 - pair
            shape[axis] += widths[2 * pair] + widths[2 * pair + 1]
            spec.starts[axis] = widths[2 * pair]
        }
        let out = Tensor.full(shape, value, dtype: dtype, device: device)
        device.backend.copy(self, into: noGrad { out.slice(spec) })
        if Tensor.recording(self) { out.record("pad", [self]) { g, _ in [g.slice(spec)] } }
        return out
    }
}
