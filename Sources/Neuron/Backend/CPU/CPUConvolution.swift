import CNeuronKernels
import Glibc

// Convolution, pooling and fused optimiser kernels of the CPU backend.
extension CPUBackend {
    func kernelGeometry(_ geometry: ConvGeometry, x: [Int], weight: [Int], y: [Int]) -> nk_conv_geometry {
        nk_conv_geometry(
            n: Int64(x[0]), c: Int64(x[1]), h: Int64(x[2]), w: Int64(x[3]), oc: Int64(weight[0]),
            oh: Int64(y[2]), ow: Int64(y[3]), kh: Int64(weight[2]), kw: Int64(weight[3]),
            sh: Int64(geometry.sh), sw: Int64(geometry.sw), pt: Int64(geometry.top), pl: Int64(geometry.left),
            dh: Int64(geometry.dh), dw: Int64(geometry.dw), groups: Int64(geometry.groups))
    }

    /// The channel blocks oneDNN works in for one float32 pass, (x side, y side), when this
    /// thread's activations may be stored that way and oneDNN runs the pass; nil otherwise.
    private func blockedPass(_ pass: Int, _ geometry: nk_conv_geometry, _ dtype: DType) -> (x: Int, y: Int)? {
        guard dtype == .float32, nk_blocked_layouts() != 0, !CPUGraph.isRecording else { return nil }
        var g = geometry
        var x: Int32 = 0, y: Int32 = 0
        guard nk_conv2d_blocks_f32(Int32(pass), &g, &x, &y) == 0 else { return nil }
        return (Int(x), Int(y))
    }

    /// One oneDNN pass on `a` and `b` into `out`, each read or written in the layout it is stored
    /// in (`outBlock` for the new output), or nil when the pass is not one for blocked layouts.
    private func runBlocked(
        _ pass: Int, _ geometry: nk_conv_geometry, _ a: Tensor, _ b: Tensor, bIsActivation: Bool, outShape: [Int], outBlock: Int
    ) -> Tensor? {
        let out = Tensor(uninitialized: outShape, dtype: .float32)
        out.markBlocked(outBlock)
        var g = geometry
        settleViews([a, b])
        let aBlock = storedBlock(a), bBlock = bIsActivation ? storedBlock(b) : 0
        let aPointer = aBlock > 0 ? a.storedPointer : a.pointer(as: Float.self)
        let bPointer = bBlock > 0 ? b.storedPointer : b.pointer(as: Float.self)
        let status = nk_dnnl_conv2d_blocked_f32(
            Int32(pass), &g, aPointer, Int32(aBlock), bPointer, Int32(bBlock), out.storedPointer, Int32(outBlock))
        return status == 0 ? out : nil
    }

    func convolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvGeometry, outputShape: [Int]) -> Tensor {
        let geometry = kernelGeometry(geometry, x: x.shape, weight: w.shape, y: outputShape)
        if let blocks = blockedPass(Int(NK_CONV_FORWARD), geometry, w.dtype),
            let y = runBlocked(Int(NK_CONV_FORWARD), geometry, x, w, bIsActivation: false, outShape: outputShape, outBlock: blocks.y)
        {
            return y
        }
        let y = Tensor(uninitialized: outputShape, dtype: w.dtype)
        launch {
            var g = geometry
            if w.dtype == .float32 {
                nk_conv2d_f32(&g, x.pointer(as: Float.self), w.pointer(as: Float.self), y.pointer(as: Float.self))
            } else {
                nk_conv2d_f64(&g, x.pointer(as: Double.self), w.pointer(as: Double.self), y.pointer(as: Double.self))
            }
        }
        return y
    }

    func fusedConvolution(
        _ x: Tensor, _ w: Tensor, bias: Tensor?, residual: Tensor?, clamp: ClosedRange<Double>?, _ geometry: ConvGeometry,
        outputShape: [Int]
    ) -> Tensor {
        if MultiplyAccumulates.isCounting { MultiplyAccumulates.add(outputShape.reduce(1, *) * w.count / w.shape[0]) }
        precondition(w.dtype == .float32, "fusedConvolution: float32 only, got \(w.dtype)")
        let geometry = kernelGeometry(geometry, x: x.shape, weight: w.shape, y: outputShape)
        let fused = nk_conv_fusion(
            bias: 0, residual: 0, clamp: clamp == nil ? 0 : 1, lo: Float(clamp?.lowerBound ?? 0), hi: Float(clamp?.upperBound ?? 0))
        let y = Tensor(uninitialized: outputShape, dtype: .float32)
        launch {
            var g = geometry, fusion = fused
            nk_conv2d_fused_f32(
                &g, &fusion, x.pointer(as: Float.self), w.pointer(as: Float.self), bias?.pointer(as: Float.self),
                residual?.pointer(as: Float.self), y.pointer(as: Float.self))
        }
        return y
    }

    func convolutionAdjoint(_ y: Tensor, _ w: Tensor, _ geometry: ConvGeometry, inputShape: [Int]) -> Tensor {
        let geometry = kernelGeometry(geometry, x: inputShape, weight: w.shape, y: y.shape)
        if let blocks = blockedPass(Int(NK_CONV_BACKWARD_DATA), geometry, y.dtype),
            let x = runBlocked(
                Int(NK_CONV_BACKWARD_DATA), geometry, y, w, bIsActivation: false, outShape: inputShape, outBlock: blocks.x)
        {
            return x
        }
        let x = Tensor(uninitialized: inputShape, dtype: y.dtype)
        launch {
            var g = geometry
            if y.dtype == .float32 {
                nk_conv2d_adjoint_f32(&g, y.pointer(as: Float.self), w.pointer(as: Float.self), x.pointer(as: Float.self))
            } else {
                nk_conv2d_adjoint_f64(&g, y.pointer(as: Double.self), w.pointer(as: Double.self), x.pointer(as: Double.self))
            }
        }
        return x
    }

    func convolutionWeightGrad(_ x: Tensor, _ y: Tensor, _ geometry: ConvGeometry, weightShape: [Int]) -> Tensor {
        let geometry = kernelGeometry(geometry, x: x.shape, weight: weightShape, y: y.shape)
        if blockedPass(Int(NK_CONV_BACKWARD_WEIGHTS), geometry, y.dtype) != nil,
            let dw = runBlocked(Int(NK_CONV_BACKWARD_WEIGHTS), geometry, x, y, bIsActivation: true, outShape: weightShape, outBlock: 0)
        {
            return dw
        }
        let dw = Tensor(uninitialized: weightShape, dtype: y.dtype)
        launch {
            var g = geometry
            if y.dtype == .float32 {
                nk_conv2d_weight_grad_f32(&g, x.pointer(as: Float.self), y.pointer(as: Float.self), dw.pointer(as: Float.self))
            } else {
                nk_conv2d_weight_grad_f64(&g, x.pointer(as: Double.self), y.pointer(as: Double.self), dw.pointer(as: Double.self))
            }
        }
        return dw
    }

    func maxPool(_ x: Tensor, outputSize: (Int, Int), _ p: PoolGeometry) -> (values: Tensor, indices: Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let values = Tensor(uninitialized: [n, c, outputSize.0, outputSize.1], dtype: x.dtype)
        let indices = Tensor(uninitialized: values.shape, dtype: .int64)
        let a = [
            n * c, h, w, outputSize.0, outputSize.1, p.kernel.0, p.kernel.1, p.stride.0, p.stride.1, p.padding.0,
            p.padding.1, p.dilation.0, p.dilation.1,
        ].map { Int64($0) }
        launch {
            if x.dtype == .float32 {
                nk_max_pool_f32(
                    x.pointer(as: Float.self), values.pointer(as: Float.self), indices.pointer(as: Int64.self),
                    a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12])
            } else {
                nk_max_pool_f64(
                    x.pointer(as: Double.self), values.pointer(as: Double.self), indices.pointer(as: Int64.self),
                    a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12])
            }
        }
        return (values, indices)
    }

    /// y = window means of x, or (backward) x = y spread over the windows; `x` is [n, c, h, w].
    func windowAverage(_ source: Tensor, _ rows: Windows, _ cols: Windows, backward: Bool, inputShape: [Int]) -> Tensor {
        let (n, c) = (source.shape[0], source.shape[1])
        let out =
            backward
            ? Tensor.zeros(inputShape, dtype: source.dtype, device: .cpu)
            : Tensor(uninitialized: [n, c, rows.count, cols.count], dtype: source.dtype)
        let x = backward ? out : source, y = backward ? source : out
        let hs = rows.start.map { Int64($0) }, he = rows.end.map { Int64($0) }
        let ws = cols.start.map { Int64($0) }, we = cols.end.map { Int64($0) }
        let planes = Int64(n * c), h = Int64(inputShape[2]), w = Int64(inputShape[3])
        launch {
            if source.dtype == .float32 {
                nk_window_average_f32(
                    x.pointer(as: Float.self), y.pointer(as: Float.self), planes, h, w, Int64(rows.count),
                    Int64(cols.count), hs, he, ws, we, rows.divisor, cols.divisor, backward ? 1 : 0)
            } else {
                nk_window_average_f64(
                    x.pointer(as: Double.self), y.pointer(as: Double.self), planes, h, w, Int64(rows.count),
                    Int64(cols.count), hs, he, ws, we, rows.divisor, cols.divisor, backward ? 1 : 0)
            }
        }
        return out
    }

    func adam(
        _ parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool, step: Int
    ) {
        adam(
            [.init(parameter: parameter, grad: grad, expAvg: expAvg, expAvgSq: expAvgSq, maxExpAvgSq: maxExpAvgSq, step: step)],
            lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: decoupled)
    }

    func adam(
        _ tensors: [FusedUpdates.AdamTensors], lr: Double, beta1: Double, beta2: Double, eps: Double,
        weightDecay: Double, decoupled: Bool
    ) {
        cannotReplay()  // the step sizes change with the step count
        let items = tensors.map { t in
            nk_adam_tensor(
                param: t.parameter.pointer(as: Float.self), exp_avg: t.expAvg.pointer(as: Float.self),
                exp_avg_sq: t.expAvgSq.pointer(as: Float.self), max_sq: t.maxExpAvgSq?.pointer(as: Float.self),
                grad: t.grad.pointer(as: Float.self), n: Int64(t.parameter.count),
                step_size: lr / (1 - pow(beta1, Double(t.step))), correction2_sqrt: (1 - pow(beta2, Double(t.step))).squareRoot())
        }
        withExtendedLifetime(tensors) {
            nk_adam_many_f32(items, Int64(items.count), lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0)
        }
    }

    func sgd(
        _ parameter: Tensor, grad: Tensor, momentumBuffer: Tensor?, lr: Double, momentum: Double,
        dampening: Double, weightDecay: Double, nesterov: Bool, firstStep: Bool
    ) {
        cannotReplay()  // the first step differs from the others
        if parameter.dtype == .float32 {
            nk_sgd_f32(
                parameter.pointer(as: Float.self), grad.pointer(as: Float.self), momentumBuffer?.pointer(as: Float.self),
                Int64(parameter.count), lr, momentum, dampening, weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0)
        } else {
            nk_sgd_f64(
                parameter.pointer(as: Double.self), grad.pointer(as: Double.self), momentumBuffer?.pointer(as: Double.self),
                Int64(parameter.count), lr, momentum, dampening, weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0)
        }
    }
}
