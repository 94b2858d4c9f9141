/// An n-dimensional array with a run-time element type that records the operations applied
/// to it for reverse-mode automatic differentiation.
///
/// Tensors have reference semantics: views (`reshaped`, `transposed`, slices, `expanded`)
/// share storage with their base; operations return new tensors.
public final class Tensor {
    /// Size of each dimension.
    public let shape: [Int]
    /// Distance in elements between neighbours along each dimension (0 for broadcast ones).
    public let strides: [Int]
    /// Element type.
    public let dtype: DType
    /// Where the tensor's memory lives.
    public var device: Device { storage.device }
    var storage: Storage
    /// Offset of the first element in the storage, in elements.
    let offset: Int

    /// The accumulated gradient after `backward()`, for tensors that require one.
    public var grad: Tensor?
    /// The operation that produced this tensor, when it was recorded for autograd.
    var node: Node?
    var _requiresGrad = false
    /// Whether `requiresGrad` was ever set explicitly (modules then leave it as it is).
    var requiresGradWasSet = false
    /// Called once per backward when this leaf's gradient is final.
    var gradientReadyHooks: [(id: Int, hook: (Tensor) -> Void)] = []

    init(storage: Storage, shape: [Int], strides: [Int], offset: Int = 0, dtype: DType) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype
    }

    /// A new contiguous tensor with uninitialised elements.
    init(uninitialized shape: [Int], dtype: DType, device: Device = .cpu) {
        var count = 1
        for size in shape {
            precondition(size >= 0, "Tensor: negative dimension in shape \(shape)")
            count &*= size
        }
        self.storage = Storage(byteCount: count * dtype.size, device: device)
        self.shape = shape
        self.strides = Tensor.contiguousStrides(for: shape)
        self.offset = 0
        self.dtype = dtype
    }

    /// Whether gradients flow to this tensor. Only floating-point tensors can require one;
    /// setting it on a tensor produced by recorded operations is an error (as in PyTorch).
    public var requiresGrad: Bool {
        get { _requiresGrad }
        set {
            if newValue {
                precondition(
                    dtype.isFloatingPoint,
                    "requiresGrad: only floating-point tensors can require gradients, got \(dtype) tensor of shape \(shape)")
            }
            precondition(
                node == nil || newValue,
                "requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()")
            _requiresGrad = newValue
            requiresGradWasSet = true
        }
    }

    /// Whether `requiresGrad` was ever assigned (by a layer, a user's `freeze`, …). Module
    /// discovery makes a parameter trainable only when it was not, so a tensor frozen before
    /// the first `parameters()` call stays frozen.
    public var requiresGradIsExplicit: Bool { requiresGradWasSet }

    /// Sets `requiresGrad` and returns the tensor, for chaining.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// True for tensors created by the user rather than by a recorded operation.
    public var isLeaf: Bool { node == nil }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Number of elements.
    public var count: Int {
        var n = 1
        for size in shape { n &*= size }
        return n
    }

    /// Whether elements are laid out densely in row-major order.
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected &*= shape[axis]
        }
        return true
    }

    /// Host address of the first element; only the CPU backend reads memory this way.
    var pointer: UnsafeMutableRawPointer {
        precondition(device.kind == .cpu, "Neuron: a \(device) tensor's memory was read as a host pointer")
        if storage.blocking != nil { storage.unblock() }
        return UnsafeMutableRawPointer(bitPattern: storage.address)! + offset * dtype.size
    }

    func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        pointer.assumingMemoryBound(to: type)
    }

    static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running &*= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// Normalises a possibly negative axis, stopping with a message naming the op.
    func axis(_ axis: Int, _ op: String, rank: Int? = nil) -> Int {
        let rank = rank ?? self.rank
        let normalised = axis < 0 ? axis + rank : axis
        precondition(
            normalised >= 0 && normalised < Swift.max(rank, 1),
            "\(op): axis \(axis) is out of range for a tensor of shape \(shape)")
        return normalised
    }

    /// A view of the same storage with another shape and strides.
    func view(shape: [Int], strides: [Int], offset: Int? = nil) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset ?? self.offset, dtype: dtype)
    }
}
