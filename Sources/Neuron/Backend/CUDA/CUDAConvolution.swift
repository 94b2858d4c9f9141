import CNeuronCUDA

// Convolutions and pooling of the CUDA backend. A convolution unfolds its input into columns
// grouped as [group][c·kh·kw][image][oh·ow] (conv.cu) so that each group's product with its
// weights is one GEMM over a whole chunk of images, batched over the groups. Under autocast
// the columns are unfolded as bfloat16 and the GEMMs read bfloat16 operands into float32.
extension CUDABackend {
    /// Images per chunk: the columns of a chunk stay under this many bytes.
    static let convolutionColumnBudget = 1 << 30

    private struct ConvPlan {
        let n, c, h, w, oc, oh, ow, kh, kw, groups: Int
        let words: [Int64]
        var patch: Int { oh * ow }
        var cg: Int { c / groups }
        var ocg: Int { oc / groups }
        /// Rows of one group's columns (c/groups · kh · kw).
        var ckg: Int { cg * kh * kw }

        init(_ g: ConvGeometry, x: [Int], weight: [Int], y: [Int]) {
            (n, c, h, w, oc, oh, ow, kh, kw, groups) = (x[0], x[1], x[2], x[3], weight[0], y[2], y[3], weight[2], weight[3], g.groups)
            words = [n, c, h, w, oc, oh, ow, kh, kw, g.sh, g.sw, g.top, g.left, g.dh, g.dw, g.groups].map { Int64($0) }
        }

        func chunks(elementSize: Int) -> [Range<Int>] {
            let perImage = Swift.max(c * kh * kw * patch * elementSize, 1)
            let size = Swift.max(1, Swift.min(n, CUDABackend.convolutionColumnBudget / perImage))
            return stride(from: 0, to: n, by: size).map { $0..<Swift.min($0 + size, n) }
        }
    }

    private func unfold(_ x: Tensor, _ plan: ConvPlan, images: Range<Int>, reduced: Bool) -> Tensor {
        let cols = Tensor(
            uninitialized: [plan.c * plan.kh * plan.kw * images.count * plan.patch], dtype: reduced ? .bfloat16 : x.dtype,
            device: device)
        var args = KernelArguments()
        args.add(x, advancedBy: images.lowerBound * plan.c * plan.h * plan.w)
        args.add(cols)
        args.addWords(plan.words)
        args.add(Int64(images.count))
        launch("im2col_\(Self.suffix(x.dtype))" + (reduced ? "_bf16" : ""), in: .conv, elements: cols.count, args)
        return cols
    }

    /// dy of the images as [oc][image][oh·ow], the layout the column GEMMs read.
    private func channelsFirst(_ dy: Tensor, _ plan: ConvPlan, images: Range<Int>) -> Tensor {
        let out = Tensor(uninitialized: [plan.oc, images.count, plan.patch], dtype: dy.dtype, device: device)
        let source = dy.view(
            shape: [plan.oc, images.count, plan.patch], strides: [plan.patch, plan.oc * plan.patch, 1],
            offset: dy.offset + images.lowerBound * plan.oc * plan.patch)
        copy(source, into: out)
        return out
    }

    func convolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvGeometry, outputShape: [Int]) -> Tensor {
        let im2col = { self.im2colConvolution(x, w, geometry, outputShape: outputShape) }
        return cudnnConvolution(
            .forward, x: x.shape, w: w.shape, y: outputShape, geometry, dtype: w.dtype, operands: (x, w), im2col: im2col) ?? im2col()
    }

    func convolutionAdjoint(_ y: Tensor, _ w: Tensor, _ geometry: ConvGeometry, inputShape: [Int]) -> Tensor {
        let im2col = { self.im2colAdjoint(y, w, geometry, inputShape: inputShape) }
        return cudnnConvolution(
            .inputGradient, x: inputShape, w: w.shape, y: y.shape, geometry, dtype: y.dtype, operands: (y, w), im2col: im2col)
            ?? im2col()
    }

    func convolutionWeightGrad(_ x: Tensor, _ y: Tensor, _ geometry: ConvGeometry, weightShape: [Int]) -> Tensor {
        let im2col = { self.im2colWeightGrad(x, y, geometry, weightShape: weightShape) }
        return cudnnConvolution(
            .weightGradient, x: x.shape, w: weightShape, y: y.shape, geometry, dtype: y.dtype, operands: (x, y), im2col: im2col)
            ?? im2col()
    }

    private func im2colConvolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvGeometry, outputShape: [Int]) -> Tensor {
        let plan = ConvPlan(geometry, x: x.shape, weight: w.shape, y: outputShape)
        let y = Tensor(uninitialized: outputShape, dtype: w.dtype, device: device)
        let reduced = Autocast.reducesGEMM(w.dtype), weights = reduced ? cast(w, to: .bfloat16) : w
        for images in plan.chunks(elementSize: w.dtype.size) {
            let cols = unfold(x, plan, images: images, reduced: reduced)
            let k = images.count * plan.patch
            // yt[group] [ocg, images·patch] = w[group] · cols[group]
            let yt = Tensor(uninitialized: [plan.oc, images.count, plan.patch], dtype: w.dtype, device: device)
            gemm(
                w.dtype, transA: false, transB: false, m: plan.ocg, n: k, k: plan.ckg,
                a: address(weights), lda: plan.ckg, strideA: plan.ocg * plan.ckg,
                b: address(cols), ldb: k, strideB: plan.ckg * k,
                c: address(yt), ldc: k, strideC: plan.ocg * k, batches: plan.groups, operands: reduced ? .bfloat16 : nil)
            let destination = y.view(
                shape: [plan.oc, images.count, plan.patch], strides: [plan.patch, plan.oc * plan.patch, 1],
                offset: images.lowerBound * plan.oc * plan.patch)
            copy(yt, into: destination)
        }
        return y
    }

    private func im2colAdjoint(_ y: Tensor, _ w: Tensor, _ geometry: ConvGeometry, inputShape: [Int]) -> Tensor {
        let plan = ConvPlan(geometry, x: inputShape, weight: w.shape, y: y.shape)
        let dy = dense(y)
        let dx = Tensor(uninitialized: inputShape, dtype: y.dtype, device: device)
        let reduced = Autocast.reducesGEMM(y.dtype), weights = reduced ? cast(w, to: .bfloat16) : w
        for images in plan.chunks(elementSize: y.dtype.size) {
            let dyt = reduced ? cast(channelsFirst(dy, plan, images: images), to: .bfloat16) : channelsFirst(dy, plan, images: images)
            let k = images.count * plan.patch
            // cols[group] [ckg, images·patch] = w[group]ᵀ · dyt[group]
            let cols = Tensor(uninitialized: [plan.c * plan.kh * plan.kw * k], dtype: y.dtype, device: device)
            gemm(
                y.dtype, transA: true, transB: false, m: plan.ckg, n: k, k: plan.ocg,
                a: address(weights), lda: plan.ckg, strideA: plan.ocg * plan.ckg,
                b: address(dyt), ldb: k, strideB: plan.ocg * k,
                c: address(cols), ldc: k, strideC: plan.ckg * k, batches: plan.groups, operands: reduced ? .bfloat16 : nil)
            var args = KernelArguments()
            args.add(cols)
            args.add(dx, advancedBy: images.lowerBound * plan.c * plan.h * plan.w)
            args.addWords(plan.words)
            args.add(Int64(images.count))
            launch("col2im_\(Self.suffix(y.dtype))", in: .conv, elements: images.count * plan.c * plan.h * plan.w, args)
        }
        return dx
    }

    private func im2colWeightGrad(_ x: Tensor, _ y: Tensor, _ geometry: ConvGeometry, weightShape: [Int]) -> Tensor {
        let plan = ConvPlan(geometry, x: x.shape, weight: weightShape, y: y.shape)
        let dy = dense(y)
        let dw = Tensor(uninitialized: weightShape, dtype: y.dtype, device: device)
        let reduced = Autocast.reducesGEMM(y.dtype)
        for (index, images) in plan.chunks(elementSize: y.dtype.size).enumerated() {
            let cols = unfold(x, plan, images: images, reduced: reduced)
            let dyt = reduced ? cast(channelsFirst(dy, plan, images: images), to: .bfloat16) : channelsFirst(dy, plan, images: images)
            let k = images.count * plan.patch
            // dw[group] [ocg, ckg] (+)= dyt[group] · cols[group]ᵀ
            gemm(
                y.dtype, transA: false, transB: true, m: plan.ocg, n: plan.ckg, k: k,
                a: address(dyt), lda: k, strideA: plan.ocg * k,
                b: address(cols), ldb: k, strideB: plan.ckg * k,
                beta: index == 0 ? 0 : 1, c: address(dw), ldc: plan.ckg, strideC: plan.ocg * plan.ckg, batches: plan.groups,
                operands: reduced ? .bfloat16 : nil)
        }
        return dw
    }

    func fusedConvolution(
        _ x: Tensor, _ w: Tensor, bias: Tensor?, residual: Tensor?, clamp: ClosedRange<Double>?, _ geometry: ConvGeometry,
        outputShape: [Int]
    ) -> Tensor {
        precondition(w.dtype == .float32, "fusedConvolution: float32 only, got \(w.dtype)")
        let y = convolution(x, w, geometry, outputShape: outputShape)
        guard bias != nil || residual != nil || clamp != nil else { return y }
        var args = KernelArguments()
        args.add(tensors: [y, bias.map(dense), residual.map(dense)], sizes: [outputShape[0], outputShape[1], outputShape[2] * outputShape[3]])
        args.add(Int32(clamp == nil ? 0 : 1))
        args.add(Float(clamp?.lowerBound ?? 0))
        args.add(Float(clamp?.upperBound ?? 0))
        launch("conv_epilogue_f32", in: .conv, elements: y.count, args)
        return y
    }

    // MARK: Pooling

    func maxPool(_ x: Tensor, outputSize: (Int, Int), _ p: PoolGeometry) -> (values: Tensor, indices: Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let values = Tensor(uninitialized: [n, c, outputSize.0, outputSize.1], dtype: x.dtype, device: device)
        let indices = Tensor(uninitialized: values.shape, dtype: .int64, device: device)
        var args = KernelArguments()
        args.add(tensors: [dense(x), values, indices])
        args.addWords(
            [
                n * c, h, w, outputSize.0, outputSize.1, p.kernel.0, p.kernel.1, p.stride.0, p.stride.1, p.padding.0, p.padding.1,
                p.dilation.0, p.dilation.1,
            ].map { Int64($0) })
        launch("max_pool_\(Self.suffix(x.dtype))", in: .pool, elements: values.count, args)
        return (values, indices)
    }

    /// The windows of both axes on the device: starts and ends (int64) and divisors (double),
    /// uploaded once per distinct set.
    private func deviceWindows(_ rows: Windows, _ cols: Windows) -> (bounds: Tensor, divisors: Tensor) {
        let bounds = rows.start + rows.end + cols.start + cols.end, divisors = rows.divisor + cols.divisor
        let key = WindowKey(bounds: bounds, divisors: divisors)
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = windowCache[key] { return cached }
        let entry = (
            Tensor(bounds, shape: [bounds.count], device: device),
            Tensor(divisors, shape: [divisors.count], dtype: .float64, device: device)
        )
        if windowCache.count > 64 { windowCache.removeAll() }
        windowCache[key] = entry
        return entry
    }

    func windowAverage(_ source: Tensor, _ rows: Windows, _ cols: Windows, backward: Bool, inputShape: [Int]) -> Tensor {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let out = Tensor(
            uninitialized: backward ? inputShape : [n, c, rows.count, cols.count], dtype: source.dtype, device: device)
        let windows = deviceWindows(rows, cols)
        var args = KernelArguments()
        args.add(tensors: [dense(source), out], sizes: [n * c, h, w, rows.count, cols.count])
        args.add(tensors: [windows.bounds, windows.divisors])
        let name = backward ? "window_spread_" : "window_average_"
        launch(name + Self.suffix(source.dtype), in: .pool, elements: out.count, args)
        return out
    }
}

/// A set of averaging windows, the key of their device copy.
struct WindowKey: Hashable {
    let bounds: [Int]
    let divisors: [Double]
}
