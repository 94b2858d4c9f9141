/// Kernel, stride, padding and dilation of a pooling window.
struct PoolGeometry {
    var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
}

/// Averaging windows along one dimension: output i covers input [start[i], end[i]) and is
/// divided by divisor[i].
struct Windows {
    var start: [Int] = [], end: [Int] = [], divisor: [Double] = []

    /// Average pooling: kernel, stride, symmetric padding; PyTorch's divisor rules.
    init(size: Int, kernel: Int, stride: Int, padding: Int, countPadding: Bool) {
        let outputs = (size + 2 * padding - kernel) / stride + 1
        for i in 0..<outputs {
            let from = i * stride - padding, to = Swift.min(from + kernel, size + padding)
            let clippedFrom = Swift.max(from, 0), clippedTo = Swift.min(to, size)
            start.append(clippedFrom)
            end.append(clippedTo)
            divisor.append(Double(countPadding ? to - from : clippedTo - clippedFrom))
        }
    }

    /// Adaptive average pooling to `outputs` bins: [⌊i·size/outputs⌋, ⌈(i+1)·size/outputs⌉).
    init(size: Int, adaptiveOutputs outputs: Int) {
        for i in 0..<outputs {
            let from = i * size / outputs, to = ((i + 1) * size + outputs - 1) / outputs
            start.append(from)
            end.append(to)
            divisor.append(Double(to - from))
        }
    }

    var count: Int { start.count }
}

extension Tensor {
    /// Max pooling over [N, C, H, W]: the values and, per output, the position of the
    /// maximum within its input plane (row · width + column), as PyTorch returns them.
    public func maxPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1)
    ) -> (values: Tensor, indices: Tensor) {
        precondition(rank == 4 && dtype.isFloatingPoint, "maxPool2d: expects a float input [N, C, H, W], got \(dtype) \(shape)")
        if dtype == .bfloat16 {
            let wide = to(.float32).maxPool2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
            return (wide.values.to(.bfloat16), wide.indices)
        }
        let stride = stride ?? kernel
        precondition(padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1, "maxPool2d: padding \(padding) exceeds half the kernel \(kernel)")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = (h + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let ow = (w + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        precondition(oh > 0 && ow > 0, "maxPool2d: kernel \(kernel) is larger than the input \(shape)")
        let x = contiguous()
        let (values, indices) = device.backend.maxPool(
            x, outputSize: (oh, ow),
            PoolGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation))
        guard Tensor.recording(x) else { return (values, indices) }
        // The gradient of a gather of the chosen positions (the pooled values themselves): a
        // scatter-add of g, differentiable again, as gather's own.
        let planes = indices.reshaped([n * c, oh * ow]), inputShape = x.shape
        values.record("maxPool2d", [x]) { g, _ in
            [
                Tensor.zeros([n * c, h * w], dtype: g.dtype, device: g.device)
                    .scatterAdd(axis: 1, index: planes, source: g.reshaped([n * c, oh * ow])).reshaped(inputShape)
            ]
        }
        return (values, indices)
    }

    /// Max pooling over [N, C, L].
    public func maxPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) -> (values: Tensor, indices: Tensor) {
        precondition(rank == 3, "maxPool1d: expects [N, C, L], got \(shape)")
        let (values, indices) = unsqueezed(axis: 2).maxPool2d(
            kernel: (1, kernel), stride: (1, stride ?? kernel),
            padding: (0, padding), dilation: (1, dilation))
        return (values.squeezed(axis: 2), indices.squeezed(axis: 2))
    }

    /// Average pooling over [N, C, H, W]; `countIncludePad` divides by the padded window size.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        countIncludePad: Bool = true
    ) -> Tensor {
        precondition(rank == 4, "avgPool2d: expects [N, C, H, W], got \(shape)")
        precondition(padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1, "avgPool2d: padding \(padding) exceeds half the kernel \(kernel)")
        let stride = stride ?? kernel
        let rows = Windows(size: shape[2], kernel: kernel.0, stride: stride.0, padding: padding.0, countPadding: countIncludePad)
        let cols = Windows(size: shape[3], kernel: kernel.1, stride: stride.1, padding: padding.1, countPadding: countIncludePad)
        precondition(rows.count > 0 && cols.count > 0, "avgPool2d: kernel \(kernel) is larger than the input \(shape)")
        return windowAverage(rows, cols)
    }

    /// Average pooling to a fixed output size (PyTorch's `adaptive_avg_pool2d`).
    public func adaptiveAvgPool2d(_ size: (Int, Int)) -> Tensor {
        precondition(rank == 4 && size.0 > 0 && size.1 > 0, "adaptiveAvgPool2d: expects [N, C, H, W] and a positive size, got \(shape), \(size)")
        return windowAverage(Windows(size: shape[2], adaptiveOutputs: size.0), Windows(size: shape[3], adaptiveOutputs: size.1))
    }

    /// Means over windows (forward) or the adjoint spreading (backward); each is the other's gradient.
    func windowAverage(_ rows: Windows, _ cols: Windows, backward: Bool = false, inputShape: [Int]? = nil) -> Tensor {
        precondition(dtype.isFloatingPoint, "avgPool2d: expects a floating-point input, got \(dtype)")
        if dtype == .bfloat16 {
            return to(.float32).windowAverage(rows, cols, backward: backward, inputShape: inputShape).to(.bfloat16)
        }
        let source = contiguous()
        let out = device.backend.windowAverage(source, rows, cols, backward: backward, inputShape: backward ? inputShape! : shape)
        if Tensor.recording(source) {
            let originalShape = shape
            out.record(backward ? "avgPool2dBackward" : "avgPool2d", [source]) { g, _ in
                [backward ? g.windowAverage(rows, cols) : g.windowAverage(rows, cols, backward: true, inputShape: originalShape)]
            }
        }
        return out
    }

    /// Nearest-neighbour upsampling of [N, C, H, W] to `size` (PyTorch's `mode='nearest'`).
    public func upsampleNearest(size: (Int, Int)) -> Tensor {
        precondition(rank == 4, "upsampleNearest: expects [N, C, H, W], got \(shape)")
        let rows = Tensor((0..<size.0).map { Swift.min($0 * shape[2] / size.0, shape[2] - 1) }).to(device)
        let cols = Tensor((0..<size.1).map { Swift.min($0 * shape[3] / size.1, shape[3] - 1) }).to(device)
        return indexSelect(axis: 2, index: rows).indexSelect(axis: 3, index: cols)
    }

    /// Bilinear upsampling of [N, C, H, W] to `size`, as two interpolation matrix products.
    public func upsampleBilinear(size: (Int, Int), alignCorners: Bool = false) -> Tensor {
        precondition(rank == 4 && dtype.isFloatingPoint, "upsampleBilinear: expects a float [N, C, H, W], got \(dtype) \(shape)")
        func weights(_ input: Int, _ output: Int) -> Tensor {
            var matrix = [Double](repeating: 0, count: output * input)
            for o in 0..<output {
                var source: Double
                if alignCorners {
                    source = output > 1 ? Double(o) * Double(input - 1) / Double(output - 1) : 0
                } else {
                    source = Swift.max((Double(o) + 0.5) * Double(input) / Double(output) - 0.5, 0)
                }
                let low = Swift.min(Int(source), input - 1), high = Swift.min(low + 1, input - 1)
                let fraction = source - Double(low)
                matrix[o * input + low] += 1 - fraction
                matrix[o * input + high] += fraction
            }
            return Tensor(matrix, shape: [output, input], dtype: dtype)
        }
        return weights(shape[2], size.0).matmul(self).matmul(weights(shape[3], size.1).T)
    }
}
