// Gather/scatter along an axis, index-select/index-add, one-hot.

extension Tensor {
    func checkIndex(_ index: Tensor, _ op: String) {
        precondition(index.dtype == .int64, "\(op): indices must be int64, got \(index.dtype) of shape \(index.shape)")
        checkDevice(index, op)
    }

    /// out[i][j][k] = self[i][index[i][j][k]][k] for axis 1 (PyTorch's `gather`). `index` has
    /// the rank of `self` and the same sizes except along `axis`.
    public func gather(axis: Int, index: Tensor) -> Tensor {
        checkIndex(index, "gather")
        let a = self.axis(axis, "gather")
        precondition(
            index.rank == rank && (0..<rank).allSatisfy { $0 == a || index.shape[$0] == shape[$0] },
            "gather: index of shape \(index.shape) does not fit input of shape \(shape) along axis \(axis)")
        let x = contiguous(), idx = index.contiguous()
        let (outer, _, inner) = x.blockSizes(around: a)
        let out = device.backend.gather(x, idx, outer: outer, axisSize: shape[a], inner: inner)
        if Tensor.recording(x) {
            let inputShape = shape
            out.record("gather", [x]) { g, _ in
                [Tensor.zeros(inputShape, dtype: g.dtype, device: g.device).scatterAdd(axis: a, index: idx, source: g)]
            }
        }
        return out
    }

    /// A copy of `self` with `source` added at `index` along `axis`
    /// (PyTorch's out-of-place `scatter_add`). `index` and `source` share a shape.
    public func scatterAdd(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        checkIndex(index, "scatterAdd")
        checkDevice(source, "scatterAdd")
        let a = self.axis(axis, "scatterAdd")
        precondition(
            index.shape == source.shape && index.rank == rank
                && (0..<rank).allSatisfy { $0 == a || index.shape[$0] == shape[$0] },
            "scatterAdd: index \(index.shape) and source \(source.shape) do not fit \(shape) along axis \(axis)")
        precondition(
            dtype.isFloatingPoint && source.dtype == dtype,
            "scatterAdd: needs floating-point tensors of one type, got \(dtype) and \(source.dtype)")
        let out = device.backend.contiguousCopy(self)
        let idx = index.contiguous(), src = source.contiguous()
        let (outer, _, inner) = out.blockSizes(around: a)
        device.backend.scatterAdd(into: out, idx, src, outer: outer, axisSize: shape[a], inner: inner)
        if Tensor.recording(self, source) {
            out.record("scatterAdd", [self, source]) { g, _ in [g, g.gather(axis: a, index: idx)] }
        }
        return out
    }

    /// Slices `index` (1-D int64) along `axis`, in that order (repeats allowed).
    public func indexSelect(axis: Int, index: Tensor) -> Tensor {
        checkIndex(index, "indexSelect")
        precondition(index.rank == 1, "indexSelect: index must be 1-D, got shape \(index.shape)")
        let a = self.axis(axis, "indexSelect")
        let x = contiguous(), idx = index.contiguous()
        let (outer, size, inner) = x.blockSizes(around: a)
        var outShape = shape
        outShape[a] = index.count
        let out = device.backend.indexSelect(x, idx, outer: outer, axisSize: size, inner: inner, shape: outShape)
        if Tensor.recording(x) {
            let inputShape = shape
            out.record("indexSelect", [x]) { g, _ in
                [Tensor.zeros(inputShape, dtype: g.dtype, device: g.device).indexAdd(axis: a, index: idx, source: g)]
            }
        }
        return out
    }

    /// A copy of `self` with the slices of `source` added at positions `index` along `axis`.
    public func indexAdd(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        checkIndex(index, "indexAdd")
        checkDevice(source, "indexAdd")
        let a = self.axis(axis, "indexAdd")
        var expected = shape
        expected[a] = index.count
        precondition(
            index.rank == 1 && source.shape == expected,
            "indexAdd: source \(source.shape) does not match \(expected) for index \(index.shape) and input \(shape)")
        precondition(
            dtype.isFloatingPoint && source.dtype == dtype,
            "indexAdd: needs floating-point tensors of one type, got \(dtype) and \(source.dtype)")
        let out = device.backend.contiguousCopy(self)
        let idx = index.contiguous(), src = source.contiguous()
        let (outer, size, inner) = out.blockSizes(around: a)
        device.backend.indexAdd(into: out, idx, src, outer: outer, axisSize: size, inner: inner)
        if Tensor.recording(self, source) {
            out.record("indexAdd", [self, source]) { g, _ in [g, g.indexSelect(axis: a, index: idx)] }
        }
        return out
    }

    /// One-hot encoding of int64 class indices: a new last dimension of `classes` (int64).
    public func oneHot(classes: Int) -> Tensor {
        checkIndex(self, "oneHot")
        precondition(classes > 0, "oneHot: needs at least one class, got \(classes)")
        return device.backend.oneHot(contiguous(), width: classes).reshaped(shape + [classes])
    }
}
