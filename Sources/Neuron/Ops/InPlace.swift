// In-place updates, for optimisers and code inside `noGrad { }`.

extension Tensor {
    func checkInPlace(_ op: String) {
        precondition(
            !(_requiresGrad && GradMode.isEnabled),
            "\(op): in-place update of a tensor of shape \(shape) that requires a gradient; wrap it in noGrad { }")
        storage.version &+= 1
    }

    /// How many in-place writes this tensor's memory has had (shared by its views).
    public var version: Int { storage.version }

    /// Overwrites the elements with `source` (broadcast to this shape, converted to this type).
    public func assign(_ source: Tensor) {
        checkInPlace("assign")
        _ = broadcastShape(source.shape, shape, "assign")
        precondition(
            broadcastShape(source.shape, shape, "assign") == shape,
            "assign: shape \(source.shape) does not broadcast to \(shape)")
        let value = source.dtype == dtype ? source : device.backend.cast(source, to: dtype)
        checkDevice(value, "assign")
        device.backend.copy(value.expanded(to: shape), into: self)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Double) {
        checkInPlace("fill")
        if isContiguous { device.backend.fill(self, with: value) } else { assign(scalar(value)) }
    }

    /// Adds `other` (same shape and type) into this contiguous tensor's memory.
    func addInPlace(_ other: Tensor) {
        precondition(isContiguous && other.shape == shape && other.dtype == dtype, "addInPlace: \(other.shape) into \(shape)")
        storage.version &+= 1
        if dtype == .bfloat16 { return device.backend.copy(Tensor.compute(.add, self, other, "add"), into: self) }
        _ = device.backend.binary(.add, self, other, shape: shape, into: self)
    }

    /// Sets every element to zero.
    public func zero() { fill(0) }
}
