// Views share storage with their base: reshape, permute, transpose, squeeze, expand,
// slicing. They cost no copy; `contiguous()` copies only when needed.

extension Tensor {
    /// The same elements with another shape; one dimension may be -1 (inferred).
    /// A view when the tensor is contiguous, a copy otherwise.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var shape = newShape
        let known = shape.reduce(1) { $1 == -1 ? $0 : $0 * $1 }
        if let hole = shape.firstIndex(of: -1) {
            precondition(
                known > 0 && count % known == 0 && shape.filter({ $0 == -1 }).count == 1,
                "reshape: cannot reshape a tensor of shape \(self.shape) to \(newShape)")
            shape[hole] = count / known
        }
        precondition(
            shape.reduce(1, *) == count && shape.allSatisfy({ $0 >= 0 }),
            "reshape: cannot reshape a tensor of shape \(self.shape) (\(count) elements) to \(newShape)")
        if shape == self.shape { return self }
        let base = viewStrides(for: shape) == nil ? contiguous() : self
        let out = base.view(shape: shape, strides: base.viewStrides(for: shape)!)
        if Tensor.recording(base) {
            let inputShape = base.shape
            out.record("reshape", [base]) { g, _ in [g.reshaped(inputShape)] }
        }
        return out
    }

    /// Strides that show this tensor's elements in `newShape` without a copy, if any do
    /// (the algorithm of PyTorch's `view`).
    func viewStrides(for newShape: [Int]) -> [Int]? {
        if count == 0 || rank == 0 { return Tensor.contiguousStrides(for: newShape) }
        var newStrides = [Int](repeating: 1, count: newShape.count)
        var viewAxis = newShape.count - 1
        var chunkStride = strides[rank - 1]
        var tensorCount = 1, viewCount = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            tensorCount *= shape[axis]
            if axis == 0 || (shape[axis - 1] != 1 && strides[axis - 1] != tensorCount * chunkStride) {
                while viewAxis >= 0 && (viewCount < tensorCount || newShape[viewAxis] == 1) {
                    newStrides[viewAxis] = viewCount * chunkStride
                    viewCount *= newShape[viewAxis]
                    viewAxis -= 1
                }
                if viewCount != tensorCount { return nil }
                if axis > 0 {
                    chunkStride = strides[axis - 1]
                    tensorCount = 1
                    viewCount = 1
                }
            }
        }
        return viewAxis == -1 ? newStrides : nil
    }

    /// Flattens dimensions `start...end` into one.
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let s = axis(start, "flatten"), e = axis(end, "flatten")
        precondition(s <= e, "flatten: start axis \(start) is after end axis \(end) for shape \(shape)")
        let middle = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [middle] + Array(shape[(e + 1)...]))
    }

    /// Reorders the dimensions: result dimension i is input dimension `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank, "permute: \(axes) does not list the \(rank) axes of shape \(shape)")
        let normalised = axes.map { axis($0, "permute") }
        precondition(Set(normalised).count == rank, "permute: \(axes) repeats an axis")
        if normalised == Array(0..<rank) { return self }
        let out = view(shape: normalised.map { shape[$0] }, strides: normalised.map { strides[$0] })
        if Tensor.recording(self) {
            var inverse = [Int](repeating: 0, count: rank)
            for (i, a) in normalised.enumerated() { inverse[a] = i }
            out.record("permute", [self]) { g, _ in [g.permuted(inverse)] }
        }
        return out
    }

    /// Swaps two dimensions (by default the last two).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        precondition(
            rank >= 2 || (rank == 1 && first == -2 && second == -1) || rank == 0,
            "transpose: a tensor of shape \(shape) has no axes \(first) and \(second)")
        if rank < 2 { return self }
        var axes = Array(0..<rank)
        axes.swapAt(axis(first, "transpose"), axis(second, "transpose"))
        return permuted(axes)
    }

    /// The transpose of a matrix (the last two dimensions swapped).
    public var T: Tensor { transposed() }

    /// Inserts a dimension of size 1 at `axis`.
    public func unsqueezed(axis: Int) -> Tensor {
        let a = self.axis(axis, "unsqueeze", rank: rank + 1)
        var shape = self.shape
        shape.insert(1, at: a)
        return reshaped(shape)
    }

    /// Removes dimension `axis` if its size is 1, or every size-1 dimension when nil.
    public func squeezed(axis: Int? = nil) -> Tensor {
        if let axis {
            let a = self.axis(axis, "squeeze")
            if shape[a] != 1 { return self }
            var shape = self.shape
            shape.remove(at: a)
            return reshaped(shape)
        }
        return reshaped(shape.filter { $0 != 1 })
    }

    /// Broadcasts to `shape` without copying (size-1 dimensions repeat with stride 0).
    public func expanded(to newShape: [Int]) -> Tensor {
        precondition(newShape.count >= rank, "expand: cannot expand shape \(shape) to \(newShape)")
        if newShape == shape { return self }
        let shift = newShape.count - rank
        var strides = [Int](repeating: 0, count: newShape.count)
        for i in 0..<newShape.count {
            let target = newShape[i] == -1 ? (i >= shift ? shape[i - shift] : 1) : newShape[i]
            if i >= shift {
                let size = shape[i - shift]
                precondition(
                    size == target || size == 1,
                    "expand: cannot expand shape \(shape) to \(newShape)")
                strides[i] = size == 1 && target != 1 ? 0 : self.strides[i - shift]
            }
        }
        let resolved = newShape.enumerated().map { $1 == -1 ? shape[$0 - shift] : $1 }
        let out = view(shape: resolved, strides: strides)
        if Tensor.recording(self) {
            let inputShape = shape
            out.record("expand", [self]) { g, _ in [g.sumTo(inputShape)] }
        }
        return out
    }

    /// The tensor itself if its elements are dense and in order, otherwise a dense copy.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = device.backend.contiguousCopy(self)
        if Tensor.recording(self) { out.record("contiguous", [self]) { g, _ in [g] } }
        return out
    }

    /// A dense copy that owns its memory.
    public func copy() -> Tensor {
        let out = device.backend.contiguousCopy(self)
        if Tensor.recording(self) { out.record("copy", [self]) { g, _ in [g] } }
        return out
    }

    /// The same data, cut from the graph: no gradient flows through the result.
    public func detach() -> Tensor { view(shape: shape, strides: strides) }

    /// A copy on `device` (the tensor itself when it is already there). Gradients flow back to
    /// the original device.
    public func to(_ device: Device) -> Tensor {
        if device == self.device { return self }
        let source = contiguous()
        let out = Tensor(uninitialized: shape, dtype: dtype, device: device)
        let byteCount = count * dtype.size
        if source.device.isCPU {
            device.backend.upload(source.pointer, byteCount: byteCount, into: out)
        } else if device.isCPU {
            source.device.backend.download(source, into: out.pointer, byteCount: byteCount)
        } else {
            let host = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
            defer { host.deallocate() }
            source.device.backend.download(source, into: host, byteCount: byteCount)
            device.backend.upload(host, byteCount: byteCount, into: out)
        }
        if dtype.isFloatingPoint && Tensor.recording(self) {
            let original = self.device
            out.record("to", [self]) { g, _ in [g.to(original)] }
        }
        return out
    }

    /// Moves this tensor's memory to `device` in place, so every holder of the tensor (a module,
    /// an optimiser) sees it there; its gradient moves with it. Views taken earlier keep the
    /// old memory. Not recorded: for parameters, buffers and optimiser state.
    public func moveStorage(to device: Device) {
        grad?.moveStorage(to: device)
        guard device != self.device else { return }
        // The whole block, as bytes, so offset and strides stay valid.
        let bytes = Tensor(storage: storage, shape: [storage.capacity], strides: [1], offset: 0, dtype: .bool)
        storage = noGrad { bytes.to(device) }.storage
    }

    /// Converts to another element type; float-to-float conversions pass gradients.
    public func to(_ type: DType) -> Tensor {
        if type == dtype { return self }
        let out = device.backend.cast(self, to: type)
        if type.isFloatingPoint && Tensor.recording(self) {
            let original = dtype
            out.record("to", [self]) { g, _ in [g.to(original)] }
        }
        return out
    }
}
