// Matrix products with NumPy/PyTorch semantics: 1-D operands, batches and broadcast batches.
// Transposed views are passed to GEMM as transposed operands, never copied.

extension Tensor {
    /// The matrix product. 1-D operands are treated as a row (left) or column (right)
    /// vector and that dimension is removed from the result; leading dimensions broadcast.
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(
            rank >= 1 && other.rank >= 1,
            "matmul: both operands need at least one dimension, got shapes \(shape) and \(other.shape)")
        if rank == 1 && other.rank == 1 {
            return unsqueezed(axis: 0).matmul(other.unsqueezed(axis: 1)).reshaped([])
        }
        if rank == 1 { return unsqueezed(axis: 0).matmul(other).squeezed(axis: -2) }
        if other.rank == 1 { return matmul(other.unsqueezed(axis: 1)).squeezed(axis: -1) }
        // A matrix shared by a batch of contiguous rows (a Linear layer on [N, T, F]): one
        // GEMM over all N·T rows instead of N small ones.
        if other.rank == 2 && rank > 2 && isContiguous && shape.last == other.shape[0] {
            return reshaped([-1, shape[rank - 1]]).matmul(other).reshaped(Array(shape.dropLast()) + [other.shape[1]])
        }
        return Tensor.matrixProduct(self, other)
    }

    static func matrixProduct(_ a: Tensor, _ b: Tensor) -> Tensor {
        if a.dtype == .bfloat16 && b.dtype == .bfloat16 {
            return matrixProduct(a.to(.float32), b.to(.float32)).to(.bfloat16)
        }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let k2 = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
        precondition(k == k2, "matmul: shapes \(a.shape) and \(b.shape) do not match (\(k) ≠ \(k2))")
        precondition(
            a.dtype == b.dtype && a.dtype.isFloatingPoint,
            "matmul: operands must share a floating-point type, got \(a.dtype) \(a.shape) and \(b.dtype) \(b.shape)")
        a.checkDevice(b, "matmul")
        let batchShape = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), "matmul")
        let x = a.matrixOperandSource(), y = b.matrixOperandSource()
        let opA = x.matrixOperand(), opB = y.matrixOperand()
        let out = Tensor(uninitialized: batchShape + [m, n], dtype: a.dtype, device: a.device)
        if MultiplyAccumulates.isCounting { MultiplyAccumulates.add(batchShape.reduce(1, *) * m * n * k) }
        if m > 0 && n > 0 {
            if k == 0 {
                a.device.backend.fill(out, with: 0)
            } else {
                a.device.backend.matmul(
                    opA, opB, into: out,
                    batchOffsets: batchOffsets(batchShape, x, y), m: m, n: n, k: k)
            }
        }
        if recording(a, b) {
            let precision = Autocast.dtype
            out.record("matmul", [a, b]) { g, _ in
                Autocast.with(precision) {
                    // Each gradient is produced in its operand's memory order, so that the gradient
                    // of a transposed view (a Linear layer's Wᵀ) comes out contiguous for W.
                    func gradA() -> Tensor {
                        a.gemmLayout()?.transposed == true && a.rank == 2 && b.rank == 2
                            ? b.matmul(g.transposed()).transposed() : g.matmul(b.transposed()).sumTo(a.shape)
                    }
                    func gradB() -> Tensor {
                        // A 2-D right operand shared by a batch (a Linear layer on [N, T, F]): fold the
                        // batch into rows, one GEMM that sums over it.
                        let (left, right) = b.rank == 2 && a.rank > 2 ? (a.reshaped([-1, k]), g.reshaped([-1, n])) : (a, g)
                        return b.gemmLayout()?.transposed == true && b.rank == 2 && left.rank == 2
                            ? right.transposed().matmul(left).transposed() : left.transposed().matmul(right).sumTo(b.shape)
                    }
                    return [a._requiresGrad ? gradA() : nil, b._requiresGrad ? gradB() : nil]
                }
            }
        }
        return out
    }

    /// Element offsets of each batch's matrix in `a` and `b`.
    static func batchOffsets(_ batchShape: [Int], _ a: Tensor, _ b: Tensor) -> [(Int, Int)] {
        let stridesA = broadcastStrides(a.view(shape: Array(a.shape.dropLast(2)), strides: Array(a.strides.dropLast(2))), to: batchShape)
        let stridesB = broadcastStrides(b.view(shape: Array(b.shape.dropLast(2)), strides: Array(b.strides.dropLast(2))), to: batchShape)
        let total = batchShape.reduce(1, *)
        var offsets: [(Int, Int)] = []
        offsets.reserveCapacity(total)
        var index = [Int](repeating: 0, count: batchShape.count)
        for _ in 0..<total {
            var oa = 0, ob = 0
            for d in 0..<batchShape.count {
                oa += index[d] * stridesA[d]
                ob += index[d] * stridesB[d]
            }
            offsets.append((oa, ob))
            var d = batchShape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < batchShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return offsets
    }

    /// Layout of the last two dimensions when GEMM can read them in place, else nil.
    func gemmLayout() -> (transposed: Bool, leading: Int)? {
        let rows = shape[rank - 2], cols = shape[rank - 1]
        let rs = strides[rank - 2], cs = strides[rank - 1]
        if (cs == 1 || cols == 1) && (rows == 1 || rs >= Swift.max(cols, 1)) {
            return (false, rows == 1 ? Swift.max(cols, 1) : rs)
        }
        if (rs == 1 || rows == 1) && (cols == 1 || cs >= Swift.max(rows, 1)) {
            return (true, cols == 1 ? Swift.max(rows, 1) : cs)
        }
        return nil
    }

    /// Self, or a contiguous copy when GEMM cannot read the matrices in place.
    func matrixOperandSource() -> Tensor {
        gemmLayout() == nil ? device.backend.contiguousCopy(self) : self
    }

    func matrixOperand() -> MatrixOperand {
        let layout = gemmLayout()!
        return MatrixOperand(tensor: self, transposed: layout.transposed, leadingDimension: layout.leading)
    }
}
