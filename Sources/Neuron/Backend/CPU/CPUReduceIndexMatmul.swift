import CNeuronKernels

// Reductions, indexing and matrix products of the CPU backend. Inputs are made contiguous
// by the caller-facing ops when the kernels need it.
extension CPUBackend {
    func sum(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int]) -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: x.dtype)
        launch {
            switch x.dtype {
            case .float32:
                nk_sum_f32(x.pointer(as: Float.self), out.pointer(as: Float.self), Int64(outer), Int64(reduce), Int64(inner))
            case .float64:
                nk_sum_f64(x.pointer(as: Double.self), out.pointer(as: Double.self), Int64(outer), Int64(reduce), Int64(inner))
            case .int64:
                nk_sum_i64(x.pointer(as: Int64.self), out.pointer(as: Int64.self), Int64(outer), Int64(reduce), Int64(inner))
            case .bool, .bfloat16:
                preconditionFailure("sum: boolean tensors are summed as int64")
            }
        }
        return out
    }

    func extreme(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int], min: Bool)
        -> (values: Tensor, indices: Tensor)
    {
        let values = Tensor(uninitialized: shape, dtype: x.dtype)
        let indices = Tensor(uninitialized: shape, dtype: .int64)
        launch {
            let idx = indices.pointer(as: Int64.self), isMin: Int32 = min ? 1 : 0
            switch x.dtype {
            case .float32:
                nk_extreme_f32(x.pointer(as: Float.self), values.pointer(as: Float.self), idx, Int64(outer), Int64(reduce), Int64(inner), isMin)
            case .float64:
                nk_extreme_f64(x.pointer(as: Double.self), values.pointer(as: Double.self), idx, Int64(outer), Int64(reduce), Int64(inner), isMin)
            case .int64:
                nk_extreme_i64(x.pointer(as: Int64.self), values.pointer(as: Int64.self), idx, Int64(outer), Int64(reduce), Int64(inner), isMin)
            case .bool, .bfloat16:
                preconditionFailure("max/min: boolean tensors are reduced as int64")
            }
        }
        return (values, indices)
    }

    func gather(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int) -> Tensor {
        let out = Tensor(uninitialized: index.shape, dtype: x.dtype)
        launch {
            let bad = nk_gather(
                Int32(x.dtype.size), x.pointer, index.pointer(as: Int64.self), out.pointer,
                Int64(outer), Int64(axisSize), Int64(index.shape.isEmpty ? 1 : index.count / (outer * inner)), Int64(inner))
            precondition(bad < 0, "gather: index \(bad) is out of range for an axis of size \(axisSize)")
        }
        return out
    }

    func scatterAdd(into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int, axisSize: Int, inner: Int) {
        launch {
            let indexAxis = Int64(index.count / Swift.max(outer * inner, 1))
            let bad: Int64
            switch out.dtype {
            case .float32:
                bad = nk_scatter_add_f32(
                    out.pointer(as: Float.self), index.pointer(as: Int64.self), source.pointer(as: Float.self),
                    Int64(outer), Int64(axisSize), indexAxis, Int64(inner))
            case .float64:
                bad = nk_scatter_add_f64(
                    out.pointer(as: Double.self), index.pointer(as: Int64.self), source.pointer(as: Double.self),
                    Int64(outer), Int64(axisSize), indexAxis, Int64(inner))
            default:
                preconditionFailure("scatterAdd: only floating-point tensors")
            }
            precondition(bad < 0, "scatterAdd: index \(bad) is out of range for an axis of size \(axisSize)")
        }
    }

    func indexSelect(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int, shape: [Int]) -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: x.dtype)
        launch {
            let bad = nk_index_select(
                Int32(x.dtype.size), x.pointer, index.pointer(as: Int64.self), Int64(index.count),
                out.pointer, Int64(outer), Int64(axisSize), Int64(inner))
            precondition(bad < 0, "indexSelect: index \(bad) is out of range for an axis of size \(axisSize)")
        }
        return out
    }

    func indexAdd(into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int, axisSize: Int, inner: Int) {
        launch {
            let bad: Int64
            switch out.dtype {
            case .float32:
                bad = nk_index_add_f32(
                    out.pointer(as: Float.self), index.pointer(as: Int64.self), Int64(index.count),
                    source.pointer(as: Float.self), Int64(outer), Int64(axisSize), Int64(inner))
            case .float64:
                bad = nk_index_add_f64(
                    out.pointer(as: Double.self), index.pointer(as: Int64.self), Int64(index.count),
                    source.pointer(as: Double.self), Int64(outer), Int64(axisSize), Int64(inner))
            default:
                preconditionFailure("indexAdd: only floating-point tensors")
            }
            precondition(bad < 0, "indexAdd: index \(bad) is out of range for an axis of size \(axisSize)")
        }
    }

    func matmul(
        _ a: MatrixOperand, _ b: MatrixOperand, into out: Tensor, batchOffsets: [(Int, Int)],
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        launch {
            let beta: Double = accumulate ? 1 : 0
            let ta: Int32 = a.transposed ? 1 : 0, tb: Int32 = b.transposed ? 1 : 0
            let lda = Int64(a.leadingDimension), ldb = Int64(b.leadingDimension)
            switch out.dtype {
            case .float32:
                let pa = a.tensor.pointer(as: Float.self), pb = b.tensor.pointer(as: Float.self)
                let pc = out.pointer(as: Float.self)
                for (batch, offsets) in batchOffsets.enumerated() {
                    nk_gemm_f32(
                        ta, tb, Int64(m), Int64(n), Int64(k), 1, pa + offsets.0, lda, pb + offsets.1, ldb,
                        Float(beta), pc + batch * m * n, Int64(n))
                }
            case .float64:
                let pa = a.tensor.pointer(as: Double.self), pb = b.tensor.pointer(as: Double.self)
                let pc = out.pointer(as: Double.self)
                for (batch, offsets) in batchOffsets.enumerated() {
                    nk_gemm_f64(
                        ta, tb, Int64(m), Int64(n), Int64(k), 1, pa + offsets.0, lda, pb + offsets.1, ldb,
                        beta, pc + batch * m * n, Int64(n))
                }
            default:
                preconditionFailure("matmul: only floating-point tensors")
            }
        }
    }
}
