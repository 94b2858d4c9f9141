import CNeuronCUDA

// The op half of the CUDA backend: element-wise, copies and casts, reductions, indexing, GEMM
// through cuBLAS, fused optimiser updates and random numbers. Outputs are fresh contiguous
// tensors on the device unless the contract says otherwise.
extension CUDABackend {
    private func output(_ shape: [Int], _ dtype: DType) -> Tensor { Tensor(uninitialized: shape, dtype: dtype, device: device) }

    func dense(_ x: Tensor) -> Tensor { x.isContiguous ? x : contiguousCopy(x) }

    /// Kernels index elements of 1, 2, 4 or 8 bytes.
    private func widthSuffix(_ dtype: DType) -> String { "\(dtype.size)" }

    func unary(_ kernel: UnaryKernel, _ x: Tensor, _ p0: Double, _ p1: Double) -> Tensor {
        guard x.dtype == .float32 || x.dtype == .float64 else {
            // Integer, boolean and bfloat16 inputs are computed in float64 and converted back, as on the CPU.
            return cast(unary(kernel, cast(x, to: .float64), p0, p1), to: x.dtype)
        }
        let input = dense(x), out = output(x.shape, x.dtype)
        var args = KernelArguments()
        args.add(kernel.rawValue)
        args.add(input)
        args.add(out)
        args.add(Int64(x.count))
        args.add(p0)
        args.add(p1)
        launch("unary_\(Self.suffix(x.dtype))", in: .elementwise, elements: x.count, args)
        return out
    }

    /// The parameters of a kernel over two operands broadcast to a dense output: op, layout, a, b, out, n.
    private func pairArguments(_ op: Int32, _ a: Tensor, _ b: Tensor, into out: Tensor) -> KernelArguments {
        var args = KernelArguments()
        args.add(op)
        args.addLayout(shape: out.shape, strides: [broadcastStrides(a, to: out.shape), broadcastStrides(b, to: out.shape)])
        args.add(a)
        args.add(b)
        args.add(out)
        args.add(Int64(out.count))
        return args
    }

    func binary(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int], into destination: Tensor?) -> Tensor {
        precondition(a.dtype != .bool, "binary kernels take float or int64 tensors")
        let out = destination ?? output(shape, a.dtype)
        launch("binary_\(Self.suffix(a.dtype))", in: .elementwise, elements: out.count, pairArguments(kernel.rawValue, a, b, into: out))
        return out
    }

    func compare(_ kernel: CompareKernel, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        let out = output(shape, .bool)
        launch("compare_\(Self.suffix(a.dtype))", in: .elementwise, elements: out.count, pairArguments(kernel.rawValue, a, b, into: out))
        return out
    }

    func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        let out = output(shape, a.dtype)
        var args = KernelArguments()
        args.addLayout(
            shape: shape,
            strides: [broadcastStrides(condition, to: shape), broadcastStrides(a, to: shape), broadcastStrides(b, to: shape)])
        args.add(condition)
        args.add(a)
        args.add(b)
        args.add(out)
        args.add(Int64(out.count))
        launch("where_\(widthSuffix(a.dtype))", in: .elementwise, elements: out.count, args)
        return out
    }

    func copy(_ source: Tensor, into destination: Tensor) {
        precondition(source.dtype == destination.dtype)
        let shape = destination.shape
        var args = KernelArguments()
        args.addLayout(shape: shape, strides: [broadcastStrides(source, to: shape), broadcastStrides(destination, to: shape)])
        args.add(source)
        args.add(destination)
        args.add(Int64(destination.count))
        launch("copy_\(widthSuffix(source.dtype))", in: .copy, elements: destination.count, args)
    }

    func cast(_ x: Tensor, to dtype: DType) -> Tensor {
        let input = dense(x), out = output(x.shape, dtype)
        var args = KernelArguments()
        args.add(input)
        args.add(out)
        args.add(Int64(x.count))
        launch("cast_\(Self.suffix(x.dtype))_\(Self.suffix(dtype))", in: .copy, elements: x.count, args)
        return out
    }

    func fill(_ x: Tensor, with value: Double) {
        precondition(x.isContiguous)
        var args = KernelArguments()
        args.add(x)
        args.add(Int64(x.count))
        switch x.dtype {
        case .float32: args.add(Float(value).bitPattern)
        case .float64: args.add(value.bitPattern)
        case .int64: args.add(UInt64(bitPattern: Int64(value)))
        case .bool: args.add(UInt8(value != 0 ? 1 : 0))
        case .bfloat16: args.add(BFloat16Bits(Float(value)))
        }
        launch("fill_\(widthSuffix(x.dtype))", in: .copy, elements: x.count, args)
    }

    // MARK: Reductions

    func sum(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int]) -> Tensor {
        precondition(x.dtype != .bool, "sum: boolean tensors are summed as int64")
        let input = dense(x), out = output(shape, x.dtype)
        var args = KernelArguments()
        args.add(input)
        args.add(out)
        args.add(Int64(outer))
        args.add(Int64(reduce))
        if inner == 1 {
            // One block per output row, its threads reducing the row together.
            launch("sum_rows_\(Self.suffix(x.dtype))", in: .reduce, elements: outer * 256, blocks: Swift.min(outer, 65535), args)
        } else {
            args.add(Int64(inner))
            launch("sum_cols_\(Self.suffix(x.dtype))", in: .reduce, elements: outer * inner, args)
        }
        return out
    }

    func extreme(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int], min: Bool) -> (values: Tensor, indices: Tensor) {
        precondition(x.dtype != .bool, "max/min: boolean tensors are reduced as int64")
        let input = dense(x), values = output(shape, x.dtype), indices = output(shape, .int64)
        var args = KernelArguments()
        args.add(input)
        args.add(values)
        args.add(indices)
        args.add(Int64(outer))
        args.add(Int64(reduce))
        args.add(Int64(inner))
        args.add(Int32(min ? 1 : 0))
        launch("extreme_\(Self.suffix(x.dtype))", in: .reduce, elements: outer * inner, args)
        return (values, indices)
    }

    /// One warp per row.
    func fusedSoftmax(_ x: Tensor, rows: Int, width: Int, log: Bool) -> Tensor? {
        let out = output(x.shape, x.dtype)
        var args = KernelArguments()
        args.add(tensors: [dense(x), out], sizes: [rows, width])
        launch((log ? "log_softmax_" : "softmax_") + Self.suffix(x.dtype), in: .reduce, elements: rows * 32, args)
        return out
    }

    // MARK: Indexing

    func gather(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int) -> Tensor {
        let out = output(index.shape, x.dtype)
        let indexAxis = index.shape.isEmpty ? 1 : index.count / Swift.max(outer * inner, 1)
        var args = KernelArguments()
        args.add(tensors: [dense(x), dense(index), out], sizes: [outer, axisSize, indexAxis, inner])
        args.add(indexErrorWord())
        launch("gather_\(widthSuffix(x.dtype))", in: .index, elements: index.count, args)
        return out
    }

    func scatterAdd(into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int, axisSize: Int, inner: Int) {
        precondition(out.dtype.isFloatingPoint, "scatterAdd: only floating-point tensors")
        var args = KernelArguments()
        args.add(tensors: [out, dense(index), dense(source)], sizes: [outer, axisSize, index.count / Swift.max(outer * inner, 1), inner])
        args.add(indexErrorWord())
        launch("scatter_add_\(Self.suffix(out.dtype))", in: .index, elements: index.count, args)
    }

    func indexSelect(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int, shape: [Int]) -> Tensor {
        let out = output(shape, x.dtype)
        var args = KernelArguments()
        args.add(tensors: [dense(x), dense(index)], sizes: [index.count])
        args.add(tensors: [out], sizes: [outer, axisSize, inner])
        args.add(indexErrorWord())
        launch("index_select_\(widthSuffix(x.dtype))", in: .index, elements: out.count, args)
        return out
    }

    func indexAdd(into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int, axisSize: Int, inner: Int) {
        precondition(out.dtype.isFloatingPoint, "indexAdd: only floating-point tensors")
        var args = KernelArguments()
        args.add(tensors: [out, dense(index)], sizes: [index.count])
        args.add(tensors: [dense(source)], sizes: [outer, axisSize, inner])
        args.add(indexErrorWord())
        launch("index_add_\(Self.suffix(out.dtype))", in: .index, elements: outer * index.count * inner, args)
    }

    func oneHot(_ classes: Tensor, width: Int) -> Tensor {
        let out = output([classes.count, width], .int64)
        fill(out, with: 0)
        var args = KernelArguments()
        args.add(tensors: [dense(classes), out], sizes: [classes.count, width])
        args.add(indexErrorWord())
        launch("one_hot", in: .index, elements: classes.count, args)
        return out
    }

    // MARK: Matrix products

    /// Batches whose offsets step evenly run as one strided-batched GEMM; under autocast the
    /// operands are read as bfloat16 copies of the elements they span.
    func matmul(
        _ a: MatrixOperand, _ b: MatrixOperand, into out: Tensor, batchOffsets: [(Int, Int)], m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        let reduced = Autocast.reducesGEMM(out.dtype)
        let sourceA = reduced ? bfloat16Span(a.tensor) : a.tensor, sourceB = reduced ? bfloat16Span(b.tensor) : b.tensor
        var i = 0
        while i < batchOffsets.count {
            var count = 1
            let strideA = i + 1 < batchOffsets.count ? batchOffsets[i + 1].0 - batchOffsets[i].0 : 0
            let strideB = i + 1 < batchOffsets.count ? batchOffsets[i + 1].1 - batchOffsets[i].1 : 0
            while i + count < batchOffsets.count, batchOffsets[i + count].0 - batchOffsets[i + count - 1].0 == strideA,
                batchOffsets[i + count].1 - batchOffsets[i + count - 1].1 == strideB
            {
                count += 1
            }
            gemm(
                out.dtype, transA: a.transposed, transB: b.transposed, m: m, n: n, k: k,
                a: address(sourceA, batchOffsets[i].0), lda: a.leadingDimension, strideA: strideA,
                b: address(sourceB, batchOffsets[i].1), ldb: b.leadingDimension, strideB: strideB,
                beta: accumulate ? 1 : 0, c: address(out, i * m * n), ldc: n, strideC: m * n, batches: count, operands: reduced ? .bfloat16 : nil)
            i += count
        }
    }

    /// A bfloat16 copy of every element `t` can reach from its first one, so that element
    /// offsets into `t` address the copy too.
    func bfloat16Span(_ t: Tensor) -> Tensor {
        var span = 1
        for (size, stride) in zip(t.shape, t.strides) where size > 1 { span += (size - 1) * stride }
        return cast(t.view(shape: [span], strides: [1]), to: .bfloat16)
    }

    /// Row-major C = alpha·op(A)·op(B) + beta·C (m×n, k inner) for `batches` matrices at
    /// element strides: cuBLAS's column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, the operands swapped.
    /// `operands: .bfloat16` reads A and B as bfloat16 into a float32 C, accumulating in float32.
    func gemm(
        _ dtype: DType, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
        a: CUdeviceptr, lda: Int, strideA: Int = 0, b: CUdeviceptr, ldb: Int, strideB: Int = 0,
        beta: Double = 0, c: CUdeviceptr, ldc: Int, strideC: Int = 0, batches: Int = 1, operands: DType? = nil
    ) {
        guard m > 0, n > 0, batches > 0 else { return }
        onStream {
            gemmOnStream(
                dtype, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, strideA: strideA, b: b,
                ldb: ldb, strideB: strideB, beta: beta, c: c, ldc: ldc, strideC: strideC, batches: batches, operands: operands)
        }
    }

    private func gemmOnStream(
        _ dtype: DType, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: CUdeviceptr, lda: Int,
        strideA: Int, b: CUdeviceptr, ldb: Int, strideB: Int, beta: Double, c: CUdeviceptr, ldc: Int, strideC: Int,
        batches: Int, operands: DType?
    ) {
        let opA = Int32(transA ? NK_CUBLAS_OP_T : NK_CUBLAS_OP_N), opB = Int32(transB ? NK_CUBLAS_OP_T : NK_CUBLAS_OP_N)
        let pa = UnsafeRawPointer(bitPattern: UInt(a)), pb = UnsafeRawPointer(bitPattern: UInt(b))
        let pc = UnsafeMutableRawPointer(bitPattern: UInt(c))
        let status: cublasStatus_t
        if operands == .bfloat16 {
            precondition(dtype == .float32, "matmul: bfloat16 operands accumulate into float32, not \(dtype)")
            var one = Float(alpha), zero = Float(beta)
            status = nk_cuda.cublasGemmStridedBatchedEx!(
                blas, opB, opA, Int32(n), Int32(m), Int32(k), &one, pb, NK_CUDA_R_16BF, Int32(ldb), Int64(strideB), pa,
                NK_CUDA_R_16BF, Int32(lda), Int64(strideA), &zero, pc, NK_CUDA_R_32F, Int32(ldc), Int64(strideC),
                Int32(batches), NK_CUBLAS_COMPUTE_32F, NK_CUBLAS_GEMM_DEFAULT)
            precondition(status == 0, "matmul: cuBLAS bfloat16 GEMM \(m)×\(n)×\(k) failed with status \(status)")
            return
        }
        switch dtype {
        case .float32:
            var one = Float(alpha), zero = Float(beta)
            status = nk_cuda.cublasSgemmStridedBatched!(
                blas, opB, opA, Int32(n), Int32(m), Int32(k), &one, pb?.assumingMemoryBound(to: Float.self), Int32(ldb),
                Int64(strideB), pa?.assumingMemoryBound(to: Float.self), Int32(lda), Int64(strideA), &zero,
                pc?.assumingMemoryBound(to: Float.self), Int32(ldc), Int64(strideC), Int32(batches))
        case .float64:
            var one = alpha, zero = beta
            status = nk_cuda.cublasDgemmStridedBatched!(
                blas, opB, opA, Int32(n), Int32(m), Int32(k), &one, pb?.assumingMemoryBound(to: Double.self), Int32(ldb),
                Int64(strideB), pa?.assumingMemoryBound(to: Double.self), Int32(lda), Int64(strideA), &zero,
                pc?.assumingMemoryBound(to: Double.self), Int32(ldc), Int64(strideC), Int32(batches))
        default:
            preconditionFailure("matmul: only floating-point tensors, got \(dtype)")
        }
        precondition(status == 0, "matmul: cuBLAS GEMM \(m)×\(n)×\(k) failed with status \(status)")
    }

    // MARK: Optimisers and random numbers

    func adam(
        _ parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool, step: Int
    ) {
        var args = KernelArguments()
        for t in [parameter, grad, expAvg, expAvgSq] { args.add(t) }
        args.add(maxExpAvgSq)
        args.add(Int64(parameter.count))
        for value in [lr, beta1, beta2, eps, weightDecay] { args.add(value) }
        args.add(Int32(decoupled ? 1 : 0))
        args.add(Int64(step))
        launch("adam_\(Self.suffix(parameter.dtype))", in: .optim, elements: parameter.count, args)
    }

    func sgd(
        _ parameter: Tensor, grad: Tensor, momentumBuffer: Tensor?, lr: Double, momentum: Double,
        dampening: Double, weightDecay: Double, nesterov: Bool, firstStep: Bool
    ) {
        var args = KernelArguments()
        args.add(parameter)
        args.add(grad)
        args.add(momentumBuffer)
        args.add(Int64(parameter.count))
        for value in [lr, momentum, dampening, weightDecay] { args.add(value) }
        args.add(Int32(nesterov ? 1 : 0))
        args.add(Int32(firstStep ? 1 : 0))
        launch("sgd_\(Self.suffix(parameter.dtype))", in: .optim, elements: parameter.count, args)
    }

    /// Philox counter-based numbers keyed by one draw of `generator`: the same seed gives the
    /// same numbers on every run.
    func fillRandom(_ x: Tensor, _ distribution: RandomDistribution, generator: RandomGenerator) {
        precondition(x.isContiguous && (x.dtype == .float32 || x.dtype == .float64), "random: float32 or float64 tensors")
        if capture != nil { capture!.drewRandomNumbers = true }
        let key = generator.exclusive { generator.next() }
        var args = KernelArguments()
        args.add(x)
        args.add(Int64(x.count))
        args.add(key)
        args.add(UInt64(0))
        let name: String
        switch distribution {
        case .uniform(let low, let high):
            name = "uniform"
            args.add(low)
            args.add(high)
        case .normal(let mean, let std):
            name = "normal"
            args.add(mean)
            args.add(std)
        case .bernoulli(let p):
            // The kernel keeps (scale) where u ≥ threshold: P(1) = p with threshold 1 − p.
            name = "bernoulli"
            args.add(1 - p)
            args.add(1.0)
        }
        let perCall = x.dtype == .float32 ? 4 : 2
        launch("\(name)_\(Self.suffix(x.dtype))", in: .random, elements: (x.count + perCall - 1) / perCall, args)
    }
}
