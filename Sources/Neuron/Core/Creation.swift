// Creating tensors from values, constants, ranges and Swift arrays.

extension Tensor {
    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .default) -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: dtype, device: device)
        device.backend.fill(out, with: value)
        return out
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .default) -> Tensor {
        full(shape, 0, dtype: dtype, device: device)
    }
    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .default) -> Tensor {
        full(shape, 1, dtype: dtype, device: device)
    }

    /// Zeros of this tensor's shape, type and device.
    public func zerosLike() -> Tensor { Tensor.zeros(shape, dtype: dtype, device: device) }
    /// Ones of this tensor's shape, type and device.
    public func onesLike() -> Tensor { Tensor.ones(shape, dtype: dtype, device: device) }

    /// start, start + step, … below `end` (as `torch.arange`).
    public static func arange(
        _ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32, device: Device = .default
    ) -> Tensor {
        precondition(step != 0 && (end - start) / step >= 0, "arange: empty or infinite range \(start)..<\(end) by \(step)")
        let n = Int(((end - start) / step).rounded(.up))
        return Tensor((0..<n).map { start + Double($0) * step }, shape: [n], dtype: dtype).to(device)
    }

    /// `count` evenly spaced values from start to end, both included.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor {
        precondition(count >= 0, "linspace: negative count \(count)")
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        return Tensor((0..<count).map { $0 == count - 1 && count > 1 ? end : start + Double($0) * step }, shape: [count], dtype: dtype)
    }

    /// The identity matrix (ones on the diagonal of a rows × columns matrix).
    public static func eye(_ rows: Int, _ columns: Int? = nil, dtype: DType = .float32) -> Tensor {
        let cols = columns ?? rows
        var values = [Double](repeating: 0, count: rows * cols)
        for i in 0..<Swift.min(rows, cols) { values[i * cols + i] = 1 }
        return Tensor(values, shape: [rows, cols], dtype: dtype)
    }

    static func fromBuffer<T>(_ values: [T], shape: [Int]?, dtype: DType, _ op: String, device: Device = .default) -> Tensor {
        let shape = shape ?? [values.count]
        precondition(
            shape.reduce(1, *) == values.count,
            "\(op): \(values.count) values do not fill shape \(shape)")
        let out = Tensor(uninitialized: shape, dtype: dtype, device: device)
        values.withUnsafeBytes { out.storeBytes($0) }
        return out
    }

    /// Copies host bytes (the whole contiguous tensor) into this tensor's memory.
    func storeBytes(_ bytes: UnsafeRawBufferPointer) {
        precondition(isContiguous && bytes.count == count * dtype.size)
        if let base = bytes.baseAddress { device.backend.upload(base, byteCount: bytes.count, into: self) }
    }

    /// A float32 tensor (1-D unless `shape` is given).
    public convenience init(_ values: [Float], shape: [Int]? = nil, device: Device = .default) {
        let t = Tensor.fromBuffer(values, shape: shape, dtype: .float32, "Tensor", device: device)
        self.init(storage: t.storage, shape: t.shape, strides: t.strides, dtype: .float32)
    }

    /// An int64 tensor (1-D unless `shape` is given).
    public convenience init(_ values: [Int], shape: [Int]? = nil, device: Device = .default) {
        let t = Tensor.fromBuffer(values.map { Int64($0) }, shape: shape, dtype: .int64, "Tensor", device: device)
        self.init(storage: t.storage, shape: t.shape, strides: t.strides, dtype: .int64)
    }

    /// A boolean tensor (1-D unless `shape` is given).
    public convenience init(_ values: [Bool], shape: [Int]? = nil, device: Device = .default) {
        let t = Tensor.fromBuffer(values.map { UInt8($0 ? 1 : 0) }, shape: shape, dtype: .bool, "Tensor", device: device)
        self.init(storage: t.storage, shape: t.shape, strides: t.strides, dtype: .bool)
    }

    /// A tensor of `values` on `device` (1-D unless `shape` is given), float32 unless `dtype` says otherwise,
    /// as in PyTorch and MLX: `Tensor([0.5, 1.5])` mixes with `Tensor.ones`, and
    /// `Tensor([0.5, 1.5], dtype: .float64)` keeps double precision.
    public convenience init(_ values: [Double], shape: [Int]? = nil, dtype: DType = .float32, device: Device = .default) {
        let t =
            dtype == .float32
            ? Tensor.fromBuffer(values.map { Float($0) }, shape: shape, dtype: .float32, "Tensor", device: device)
            : Tensor.fromBuffer(values, shape: shape, dtype: .float64, "Tensor", device: device).to(dtype)
        self.init(storage: t.storage, shape: t.shape, strides: t.strides, dtype: dtype)
    }

    /// A tensor of `dtype` holding the little-endian element `bytes` in row-major order
    /// (PyTorch's `frombuffer`), e.g. bfloat16 weights read from a file.
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType, device: Device = .default) {
        precondition(
            bytes.count == shape.reduce(1, *) * dtype.size,
            "Tensor(bytes:): \(bytes.count) bytes do not fill \(dtype) \(shape) (\(shape.reduce(1, *) * dtype.size) bytes)")
        let t = Tensor(uninitialized: shape, dtype: dtype, device: device)
        t.storeBytes(bytes)
        self.init(storage: t.storage, shape: t.shape, strides: t.strides, dtype: dtype)
    }

    /// A 0-dimensional tensor holding one number.
    public convenience init(_ value: Double, dtype: DType = .float32, device: Device = .default) {
        let t = Tensor.full([], value, dtype: dtype, device: device)
        self.init(storage: t.storage, shape: [], strides: [], dtype: dtype)
    }
}

extension Tensor {
    /// The elements in row-major order, converted to `type`.
    public func toArray(_ type: Float.Type) -> [Float] { elements(as: .float32, Float.self) }
    public func toArray(_ type: Double.Type) -> [Double] { elements(as: .float64, Double.self) }
    public func toArray(_ type: Int.Type) -> [Int] { elements(as: .int64, Int64.self).map { Int($0) } }
    public func toArray(_ type: Bool.Type) -> [Bool] { elements(as: .bool, UInt8.self).map { $0 != 0 } }

    func elements<T>(as type: DType, _: T.Type) -> [T] {
        let dense = (dtype == type ? self : device.backend.cast(self, to: type)).contiguous()
        let n = count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialised in
            if n > 0 { dense.device.backend.download(dense, into: buffer.baseAddress!, byteCount: n * type.size) }
            initialised = n
        }
    }

    /// The value of a one-element tensor.
    public func item() -> Double {
        precondition(count == 1, "item: the tensor of shape \(shape) has \(count) elements, not 1")
        return toArray(Double.self)[0]
    }
}

extension Tensor {
    /// The raw bytes of the elements, in row-major order.
    /// On a GPU the elements are first copied to host memory.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let dense = contiguous()
        let byteCount = dense.count * dense.dtype.size
        if device.isCPU {
            CPUBackend.shared.cannotReplay()
            return try withExtendedLifetime(dense) { try body(UnsafeRawBufferPointer(start: dense.pointer, count: byteCount)) }
        }
        let host = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
        defer { host.deallocate() }
        dense.device.backend.download(dense, into: host.baseAddress!, byteCount: byteCount)
        return try body(UnsafeRawBufferPointer(start: host.baseAddress, count: byteCount))
    }
}

extension Tensor {
    /// The raw bytes of a contiguous tensor's elements, for writing in place (a gradient
    /// all-reduce copies into and out of its buffers this way). Not for tensors that record.
    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        precondition(isContiguous, "withUnsafeMutableBytes: the tensor of shape \(shape) is a strided view; call contiguous() first")
        checkInPlace("withUnsafeMutableBytes")
        let byteCount = count * dtype.size
        if device.isCPU {
            CPUBackend.shared.cannotReplay()
            return try withExtendedLifetime(self) { try body(UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)) }
        }
        // Elsewhere: a host copy, written back after `body`.
        let host = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
        defer { host.deallocate() }
        device.backend.download(self, into: host.baseAddress!, byteCount: byteCount)
        let result = try body(UnsafeMutableRawBufferPointer(start: host.baseAddress, count: byteCount))
        storeBytes(UnsafeRawBufferPointer(start: host.baseAddress, count: byteCount))
        return result
    }
}
