import CNeuronKernels

/// The CPU backend: C kernels for element-wise work, oneDNN for GEMM.
final class CPUBackend: Backend {
    static let shared = CPUBackend()

    /// Runs `body` with a tensor's shape and broadcast strides (towards `shape`) as Int64 arrays.
    @inline(__always)
    func withLayout<R>(
        _ shape: [Int], _ tensors: [Tensor],
        _ body: (UnsafePointer<Int64>, [UnsafePointer<Int64>]) -> R
    ) -> R {
        let strides = tensors.map { broadcastStrides($0, to: shape) }
        return shape.withInt64Pointer { shapePointer in
            switch strides.count {
            case 1:
                return strides[0].withInt64Pointer { body(shapePointer, [$0]) }
            case 2:
                return strides[0].withInt64Pointer { s0 in
                    strides[1].withInt64Pointer { body(shapePointer, [s0, $0]) }
                }
            default:
                return strides[0].withInt64Pointer { s0 in
                    strides[1].withInt64Pointer { s1 in
                        strides[2].withInt64Pointer { body(shapePointer, [s0, s1, $0]) }
                    }
                }
            }
        }
    }

    /// Like `withLayout` for two operands, without allocating when both are dense with the
    /// output's shape or one is a single element (the per-op cost of small tensors).
    @inline(__always)
    func withFlatLayout<R>(
        _ shape: [Int], _ a: Tensor, _ b: Tensor,
        _ body: (Int32, UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>) -> R
    ) -> R {
        let aFlat = a.shape == shape && a.isContiguous, bFlat = b.shape == shape && b.isContiguous
        guard (aFlat || a.count == 1) && (bFlat || b.count == 1) else {
            return withLayout(shape, [a, b]) { body(Int32(shape.count), $0, $1[0], $1[1]) }
        }
        var layout: (Int64, Int64, Int64) = (Int64(shape.reduce(1, *)), aFlat ? 1 : 0, bFlat ? 1 : 0)
        return withUnsafePointer(to: &layout) { tuple in
            tuple.withMemoryRebound(to: Int64.self, capacity: 3) { p in body(1, p, p + 1, p + 2) }
        }
    }

    func unary(_ kernel: UnaryKernel, _ x: Tensor, _ p0: Double, _ p1: Double) -> Tensor {
        let input = x.isContiguous ? x : contiguousCopy(x)
        let out = Tensor(uninitialized: x.shape, dtype: x.dtype)
        let block = storedBlock(input)
        switch x.dtype {
        case .float32 where block > 0:
            // Element by element, so a blocked activation's result is blocked alike.
            out.markBlocked(block)
            nk_unary_f32(kernel.rawValue, input.storedPointer, out.storedPointer, Int64(x.count), p0, p1)
        case .float32:
            launch {
                nk_unary_f32(
                    kernel.rawValue, input.pointer(as: Float.self), out.pointer(as: Float.self),
                    Int64(x.count), p0, p1)
            }
        case .float64:
            launch {
                nk_unary_f64(
                    kernel.rawValue, input.pointer(as: Double.self), out.pointer(as: Double.self),
                    Int64(x.count), p0, p1)
            }
        default:
            // Integer and boolean inputs are computed in float64 and converted back.
            let wide = unary(kernel, cast(input, to: .float64), p0, p1)
            return cast(wide, to: x.dtype)
        }
        return out
    }

    func binary(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int], into destination: Tensor?) -> Tensor {
        if a.dtype == .float32, shape.count == 4, case let block = elementwiseBlock(shape, a, b, destination), block > 0,
            destination.map({ storedBlock($0) == block }) ?? true
        {
            // Operands of a blocked activation's shape are read blocked (a plain one is converted),
            // element by element; the result is blocked alike.
            let (a, b) = (blocked(a, block), blocked(b, block))
            let out = destination ?? Tensor(uninitialized: shape, dtype: .float32)
            if destination == nil { out.markBlocked(block) }
            withFlatLayout(shape, a, b) { rank, shapePointer, sa, sb in
                nk_binary_f32(kernel.rawValue, rank, shapePointer, a.storedPointer, sa, b.storedPointer, sb, out.storedPointer)
            }
            return out
        }
        let out = destination ?? Tensor(uninitialized: shape, dtype: a.dtype)
        launch { self.binaryKernel(kernel, a, b, shape: shape, into: out) }
        return out
    }

    private func binaryKernel(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int], into out: Tensor) {
        withFlatLayout(shape, a, b) { rank, shapePointer, sa, sb in
            switch a.dtype {
            case .float32:
                nk_binary_f32(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: Float.self), sa,
                    b.pointer(as: Float.self), sb, out.pointer(as: Float.self))
            case .float64:
                nk_binary_f64(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: Double.self), sa,
                    b.pointer(as: Double.self), sb, out.pointer(as: Double.self))
            case .int64:
                nk_binary_i64(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: Int64.self), sa,
                    b.pointer(as: Int64.self), sb, out.pointer(as: Int64.self))
            case .bool, .bfloat16:
                preconditionFailure("binary kernels take float or int64 tensors")
            }
        }
    }

    func compare(_ kernel: CompareKernel, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: .bool)
        launch { self.compareKernel(kernel, a, b, shape: shape, into: out) }
        return out
    }

    private func compareKernel(_ kernel: CompareKernel, _ a: Tensor, _ b: Tensor, shape: [Int], into out: Tensor) {
        withFlatLayout(shape, a, b) { rank, shapePointer, sa, sb in
            let result = out.pointer(as: UInt8.self)
            switch a.dtype {
            case .float32:
                nk_compare_f32(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: Float.self), sa,
                    b.pointer(as: Float.self), sb, result)
            case .float64:
                nk_compare_f64(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: Double.self), sa,
                    b.pointer(as: Double.self), sb, result)
            case .int64:
                nk_compare_i64(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: Int64.self), sa,
                    b.pointer(as: Int64.self), sb, result)
            case .bfloat16:
                preconditionFailure("compare: bfloat16 operands are compared as float32")
            case .bool:
                nk_compare_u8(
                    kernel.rawValue, rank, shapePointer, a.pointer(as: UInt8.self), sa,
                    b.pointer(as: UInt8.self), sb, result)
            }
        }
    }

    func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: a.dtype)
        launch {
            self.withLayout(shape, [condition, a, b]) { shapePointer, strides in
                nk_where(
                    Int32(a.dtype.size), Int32(shape.count), shapePointer,
                    condition.pointer(as: UInt8.self), strides[0], a.pointer, strides[1],
                    b.pointer, strides[2], out.pointer)
            }
        }
        return out
    }

    func copy(_ source: Tensor, into destination: Tensor) {
        precondition(source.dtype == destination.dtype)
        let shape = destination.shape
        launch {
            self.withLayout(shape, [source, destination]) { shapePointer, strides in
                nk_copy(
                    Int32(source.dtype.size), Int32(shape.count), shapePointer, source.pointer,
                    strides[0], destination.pointer, strides[1])
            }
        }
    }

    func cast(_ x: Tensor, to dtype: DType) -> Tensor {
        let input = x.isContiguous ? x : contiguousCopy(x)
        let out = Tensor(uninitialized: x.shape, dtype: dtype)
        launch { nk_cast(x.dtype.rawValue, dtype.rawValue, input.pointer, out.pointer, Int64(x.count)) }
        return out
    }

    func fill(_ x: Tensor, with value: Double) {
        precondition(x.isContiguous)
        launch { self.fillKernel(x, with: value) }
    }

    private func fillKernel(_ x: Tensor, with value: Double) {
        switch x.dtype {
        case .float32:
            var v = Float(value)
            nk_fill(4, x.pointer, Int64(x.count), &v)
        case .float64:
            var v = value
            nk_fill(8, x.pointer, Int64(x.count), &v)
        case .int64:
            var v = Int64(value)
            nk_fill(8, x.pointer, Int64(x.count), &v)
        case .bool:
            var v: UInt8 = value != 0 ? 1 : 0
            nk_fill(1, x.pointer, Int64(x.count), &v)
        case .bfloat16:
            var v = BFloat16Bits(Float(value))
            nk_fill(2, x.pointer, Int64(x.count), &v)
        }
    }
}

/// Strides that read `tensor` as if it had `shape` (NumPy broadcasting, aligned right).
func broadcastStrides(_ tensor: Tensor, to shape: [Int]) -> [Int] {
    var result = [Int](repeating: 0, count: shape.count)
    let shift = shape.count - tensor.rank
    for axis in 0..<tensor.rank where tensor.shape[axis] != 1 {
        result[axis + shift] = tensor.strides[axis]
    }
    return result
}

extension Array where Element == Int {
    @inline(__always)
    func withInt64Pointer<R>(_ body: (UnsafePointer<Int64>) -> R) -> R {
        withUnsafeBufferPointer { buffer in
            let raw = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!)
            return body(raw.assumingMemoryBound(to: Int64.self))
        }
    }
}
