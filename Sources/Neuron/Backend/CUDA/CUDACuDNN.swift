import CNeuronCUDA
import Foundation

/// cuDNN's convolutions where `libcudnn.so.9` loads. The first call of each direction and shape
/// times cuDNN (its heuristic's first algorithm) against the backend's im2col GEMMs and keeps the
/// faster one for that shape; float32 without autocast and symmetric padding only, the rest
/// always takes the im2col path. `NEURON_CUDA_CONV=cudnn` (or `im2col`) skips the measurement
/// and always takes that path where it can, as `torch.backends.cudnn.enabled` does.
extension CUDABackend {
    static let convolutionPath: String = {
        let path = ProcessInfo.processInfo.environment["NEURON_CUDA_CONV"] ?? "auto"
        precondition(["auto", "cudnn", "im2col"].contains(path), "NEURON_CUDA_CONV must be auto, cudnn or im2col, got \(path)")
        return path
    }()

    enum ConvDirection: Hashable { case forward, inputGradient, weightGradient }

    struct ConvShape: Hashable {
        let direction: ConvDirection
        let x: [Int], w: [Int], y: [Int], geometry: [Int]
    }

    /// A measured choice: cuDNN with its descriptors and algorithm, or nil for im2col.
    final class CuDNNPlan {
        var x: cudnnTensorDescriptor_t?, y: cudnnTensorDescriptor_t?
        var w: cudnnFilterDescriptor_t?, conv: cudnnConvolutionDescriptor_t?
        var algorithm: Int32 = 0, workspace = 0

        deinit {
            _ = nk_cuda.cudnnDestroyTensorDescriptor?(x)
            _ = nk_cuda.cudnnDestroyTensorDescriptor?(y)
            _ = nk_cuda.cudnnDestroyFilterDescriptor?(w)
            _ = nk_cuda.cudnnDestroyConvolutionDescriptor?(conv)
        }
    }

    /// Runs `direction` through cuDNN when that is this shape's faster way; nil otherwise (the
    /// caller runs the im2col path). `im2col` runs the other way, for the measurement.
    func cudnnConvolution(
        _ direction: ConvDirection, x: [Int], w: [Int], y: [Int], _ geometry: ConvGeometry, dtype: DType,
        operands: (Tensor, Tensor), im2col: () -> Tensor
    ) -> Tensor? {
        guard Self.convolutionPath != "im2col", dtype == .float32, !Autocast.reducesGEMM(dtype), geometry.top == geometry.bottom,
            geometry.left == geometry.right, let handle = cudnnHandle()
        else { return nil }
        let key = ConvShape(
            direction: direction, x: x, w: w, y: y,
            geometry: [geometry.sh, geometry.sw, geometry.top, geometry.left, geometry.dh, geometry.dw, geometry.groups])
        let known: CuDNNPlan?? = cacheLock.withLock { convPlans[key] }
        if let known { return known.map { run($0, direction, handle, operands: operands, x: x, w: w, y: y) } }
        guard let plan = makePlan(direction, handle, x: x, w: w, y: y, geometry) else {
            cacheLock.withLock { convPlans[key] = .some(nil) }
            return nil
        }
        // Measured once per shape, outside graph captures (timing waits for the GPU).
        if capture == nil && Self.convolutionPath == "auto" {
            func timed(_ body: () -> Tensor) -> Double {
                _ = body()
                synchronize()
                let start = DispatchTime.now().uptimeNanoseconds
                _ = body()
                synchronize()
                return Double(DispatchTime.now().uptimeNanoseconds - start)
            }
            let ours = timed(im2col)
            let theirs = timed { run(plan, direction, handle, operands: operands, x: x, w: w, y: y) }
            let chosen = theirs < ours ? plan : nil
            cacheLock.withLock { convPlans[key] = .some(chosen) }
            if chosen == nil { return nil }
        }
        return run(plan, direction, handle, operands: operands, x: x, w: w, y: y)
    }

    /// The descriptors and the heuristic's first algorithm, or nil when cuDNN refuses the shape.
    private func makePlan(
        _ direction: ConvDirection, _ handle: cudnnHandle_t, x: [Int], w: [Int], y: [Int], _ g: ConvGeometry
    ) -> CuDNNPlan? {
        let plan = CuDNNPlan()
        var ok = nk_cuda.cudnnCreateTensorDescriptor!(&plan.x) == 0 && nk_cuda.cudnnCreateTensorDescriptor!(&plan.y) == 0
        ok = ok && nk_cuda.cudnnCreateFilterDescriptor!(&plan.w) == 0 && nk_cuda.cudnnCreateConvolutionDescriptor!(&plan.conv) == 0
        guard ok else { return nil }
        let i = { (values: [Int]) in values.map { Int32($0) } }
        let (xs, ws, ys) = (i(x), i(w), i(y))
        ok = nk_cuda.cudnnSetTensor4dDescriptor!(plan.x, NK_CUDNN_NCHW, NK_CUDNN_FLOAT, xs[0], xs[1], xs[2], xs[3]) == 0
        ok = ok && nk_cuda.cudnnSetTensor4dDescriptor!(plan.y, NK_CUDNN_NCHW, NK_CUDNN_FLOAT, ys[0], ys[1], ys[2], ys[3]) == 0
        ok = ok && nk_cuda.cudnnSetFilter4dDescriptor!(plan.w, NK_CUDNN_FLOAT, NK_CUDNN_NCHW, ws[0], ws[1], ws[2], ws[3]) == 0
        ok =
            ok
            && nk_cuda.cudnnSetConvolution2dDescriptor!(
                plan.conv, Int32(g.top), Int32(g.left), Int32(g.sh), Int32(g.sw), Int32(g.dh), Int32(g.dw),
                NK_CUDNN_CROSS_CORRELATION, NK_CUDNN_FLOAT) == 0
        ok = ok && nk_cuda.cudnnSetConvolutionGroupCount!(plan.conv, Int32(g.groups)) == 0
        // Full float32 (no TF32), as the GEMMs.
        ok = ok && nk_cuda.cudnnSetConvolutionMathType!(plan.conv, NK_CUDNN_FMA_MATH) == 0
        guard ok else { return nil }
        var results = [nk_cudnn_algo_perf](repeating: nk_cudnn_algo_perf(), count: 8)
        var count: Int32 = 0, bytes = 0
        let found: cudnnStatus_t
        switch direction {
        case .forward:
            found = nk_cuda.cudnnGetConvolutionForwardAlgorithm_v7!(handle, plan.x, plan.w, plan.conv, plan.y, 8, &count, &results)
        case .inputGradient:
            found = nk_cuda.cudnnGetConvolutionBackwardDataAlgorithm_v7!(handle, plan.w, plan.y, plan.conv, plan.x, 8, &count, &results)
        case .weightGradient:
            found = nk_cuda.cudnnGetConvolutionBackwardFilterAlgorithm_v7!(handle, plan.x, plan.y, plan.conv, plan.w, 8, &count, &results)
        }
        guard found == 0, let best = results.prefix(Int(count)).first(where: { $0.status == 0 }) else { return nil }
        plan.algorithm = best.algo
        let sized: cudnnStatus_t
        switch direction {
        case .forward:
            sized = nk_cuda.cudnnGetConvolutionForwardWorkspaceSize!(handle, plan.x, plan.w, plan.conv, plan.y, best.algo, &bytes)
        case .inputGradient:
            sized = nk_cuda.cudnnGetConvolutionBackwardDataWorkspaceSize!(handle, plan.w, plan.y, plan.conv, plan.x, best.algo, &bytes)
        case .weightGradient:
            sized = nk_cuda.cudnnGetConvolutionBackwardFilterWorkspaceSize!(handle, plan.x, plan.y, plan.conv, plan.w, best.algo, &bytes)
        }
        guard sized == 0 else { return nil }
        plan.workspace = bytes
        return plan
    }

    /// One convolution through cuDNN into a fresh output; operands are (x, w), (dy, w) or (x, dy).
    private func run(
        _ plan: CuDNNPlan, _ direction: ConvDirection, _ handle: cudnnHandle_t, operands: (Tensor, Tensor), x: [Int], w: [Int],
        y: [Int]
    ) -> Tensor {
        let (a, b) = (dense(operands.0), dense(operands.1))
        let shape = direction == .forward ? y : direction == .inputGradient ? x : w
        let out = Tensor(uninitialized: shape, dtype: .float32, device: device)
        let workspace = plan.workspace > 0 ? Tensor(uninitialized: [plan.workspace], dtype: .bool, device: device) : nil
        var one: Float = 1, zero: Float = 0
        let pa = UnsafeRawPointer(bitPattern: UInt(address(a))), pb = UnsafeRawPointer(bitPattern: UInt(address(b)))
        let po = UnsafeMutableRawPointer(bitPattern: UInt(address(out)))
        let ws = workspace.flatMap { UnsafeMutableRawPointer(bitPattern: UInt(address($0))) }
        let status: cudnnStatus_t = onStream {
            switch direction {
            case .forward:
                return nk_cuda.cudnnConvolutionForward!(
                    handle, &one, plan.x, pa, plan.w, pb, plan.conv, plan.algorithm, ws, plan.workspace, &zero, plan.y, po)
            case .inputGradient:
                return nk_cuda.cudnnConvolutionBackwardData!(
                    handle, &one, plan.w, pb, plan.y, pa, plan.conv, plan.algorithm, ws, plan.workspace, &zero, plan.x, po)
            case .weightGradient:
                return nk_cuda.cudnnConvolutionBackwardFilter!(
                    handle, &one, plan.x, pa, plan.y, pb, plan.conv, plan.algorithm, ws, plan.workspace, &zero, plan.w, po)
            }
        }
        precondition(status == 0, "conv2d: cuDNN failed with status \(status) for input \(x), weight \(w)")
        return out
    }
}
