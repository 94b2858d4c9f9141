/// How a convolution pads its input.
public enum ConvPadding: Sendable, Equatable {
    /// The same number of zeros on both sides of each spatial dimension (height, width).
    case explicit(Int, Int)
    /// No padding.
    case valid
    /// Enough padding that the output has the input's size at stride 1; an odd total puts
    /// the extra zero after (bottom/right), as PyTorch does.
    case same
    /// TensorFlow's and Keras's "same" at any stride: ⌈size / stride⌉ outputs, the total
    /// padding split with the odd zero after (bottom/right), so it is asymmetric at stride 2.
    case tensorFlowSame
}

/// Strides, per-side padding, dilation and groups of one 2-D convolution.
struct ConvGeometry {
    var sh = 1, sw = 1, top = 0, left = 0, bottom = 0, right = 0, dh = 1, dw = 1, groups = 1

    /// Output size along one dimension.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, before: Int, after: Int, dilation: Int) -> Int {
        (size + before + after - dilation * (kernel - 1) - 1) / stride + 1
    }
}

extension Tensor {
    /// 2-D cross-correlation (PyTorch's `conv2d`): input [N, C, H, W], weight
    /// [OC, C / groups, KH, KW], optional bias [OC]. `residual` (the output's shape) is added
    /// and the result clamped to `clamp` (`0...6` is ReLU6, `0...Double.infinity` ReLU) when
    /// given. Without gradients to record, float32 does all of it in one pass (oneDNN's fused
    /// post-ops); otherwise, and for float64, it is the composition of those ops.
    public func conv2d(
        _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: ConvPadding = .valid,
        dilation: (Int, Int) = (1, 1), groups: Int = 1, residual: Tensor? = nil, clamp: ClosedRange<Double>? = nil
    ) -> Tensor {
        precondition(
            rank == 4 && weight.rank == 4,
            "conv2d: expects input [N, C, H, W] and weight [OC, C/groups, KH, KW], got \(shape) and \(weight.shape)")
        precondition(
            groups > 0 && shape[1] % groups == 0 && weight.shape[0] % groups == 0 && shape[1] / groups == weight.shape[1],
            "conv2d: input \(shape) and weight \(weight.shape) do not fit groups = \(groups)")
        precondition(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "conv2d: stride and dilation must be positive")
        precondition(
            dtype == weight.dtype && dtype.isFloatingPoint,
            "conv2d: input and weight must share a floating-point type, got \(dtype) and \(weight.dtype)")
        Tensor.checkDevices([self, weight] + [bias, residual].compactMap { $0 }, "conv2d")
        if dtype == .bfloat16 {
            return to(.float32).conv2d(
                weight.to(.float32), bias: bias?.to(.float32), stride: stride, padding: padding, dilation: dilation, groups: groups,
                residual: residual?.to(.float32), clamp: clamp
            ).to(.bfloat16)
        }
        var geometry = ConvGeometry(sh: stride.0, sw: stride.1, dh: dilation.0, dw: dilation.1, groups: groups)
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        switch padding {
        case .valid: break
        case .explicit(let ph, let pw):
            (geometry.top, geometry.bottom, geometry.left, geometry.right) = (ph, ph, pw, pw)
        case .same:
            precondition(stride == (1, 1), "conv2d: padding 'same' needs stride 1, got \(stride)")
            let th = dilation.0 * (kh - 1), tw = dilation.1 * (kw - 1)
            (geometry.top, geometry.bottom, geometry.left, geometry.right) = (th / 2, th - th / 2, tw / 2, tw - tw / 2)
        case .tensorFlowSame:
            func total(_ size: Int, _ kernel: Int, _ stride: Int, _ dilation: Int) -> Int {
                Swift.max(((size + stride - 1) / stride - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
            }
            let th = total(shape[2], kh, stride.0, dilation.0), tw = total(shape[3], kw, stride.1, dilation.1)
            (geometry.top, geometry.bottom, geometry.left, geometry.right) = (th / 2, th - th / 2, tw / 2, tw - tw / 2)
        }
        let oh = ConvGeometry.outputSize(
            shape[2], kernel: kh, stride: geometry.sh, before: geometry.top, after: geometry.bottom, dilation: geometry.dh)
        let ow = ConvGeometry.outputSize(
            shape[3], kernel: kw, stride: geometry.sw, before: geometry.left, after: geometry.right, dilation: geometry.dw)
        precondition(oh > 0 && ow > 0, "conv2d: kernel \(weight.shape) is larger than the padded input \(shape)")
        let outputShape = [shape[0], weight.shape[0], oh, ow]
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) does not match weight \(weight.shape)")
        }
        if let residual {
            precondition(residual.shape == outputShape, "conv2d: residual \(residual.shape) is not the output's shape \(outputShape)")
        }
        let operands = [self, weight] + (bias.map { [$0] } ?? []) + (residual.map { [$0] } ?? [])
        if dtype == .float32, !Tensor.recording(operands), operands.allSatisfy({ $0.dtype == dtype && $0.device == device }),
            bias != nil || residual != nil || clamp != nil
        {
            return device.backend.fusedConvolution(
                contiguous(), weight.contiguous(), bias: bias?.contiguous(), residual: residual?.contiguous(), clamp: clamp, geometry,
                outputShape: outputShape)
        }
        var out = Tensor.convolution(self, weight, geometry, outputShape: outputShape)
        if let bias { out = out + bias.reshaped([1, -1, 1, 1]) }
        if let residual { out = out + residual }
        if let clamp { out = out.clamped(min: clamp.lowerBound, max: clamp.upperBound) }
        return out
    }

    /// 1-D cross-correlation: input [N, C, L], weight [OC, C / groups, K].
    public func conv1d(
        _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: ConvPadding = .valid,
        dilation: Int = 1, groups: Int = 1
    ) -> Tensor {
        precondition(rank == 3 && weight.rank == 3, "conv1d: expects input [N, C, L] and weight [OC, C/groups, K], got \(shape) and \(weight.shape)")
        let padding2d: ConvPadding =
            switch padding {
            case .explicit(let p, _): .explicit(0, p)
            default: padding
            }
        return unsqueezed(axis: 2).conv2d(
            weight.unsqueezed(axis: 2), bias: bias, stride: (1, stride), padding: padding2d,
            dilation: (1, dilation), groups: groups
        ).squeezed(axis: 2)
    }

    /// The transposed 2-D convolution (PyTorch's `conv_transpose2d`): input [N, C, H, W],
    /// weight [C, OC / groups, KH, KW]; the output grows by the stride.
    public func convTranspose2d(
        _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) -> Tensor {
        precondition(
            rank == 4 && weight.rank == 4 && shape[1] == weight.shape[0] && groups > 0 && shape[1] % groups == 0,
            "convTranspose2d: input \(shape) and weight [C, OC/groups, KH, KW] \(weight.shape) do not fit groups = \(groups)")
        Tensor.checkDevices([self, weight] + [bias].compactMap { $0 }, "convTranspose2d")
        if dtype == .bfloat16 {
            return to(.float32).convTranspose2d(
                weight.to(.float32), bias: bias?.to(.float32), stride: stride, padding: padding, outputPadding: outputPadding,
                dilation: dilation, groups: groups
            ).to(.bfloat16)
        }
        precondition(
            outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1),
            "convTranspose2d: output padding \(outputPadding) must be smaller than the stride or dilation")
        let geometry = ConvGeometry(
            sh: stride.0, sw: stride.1, top: padding.0, left: padding.1, bottom: padding.0,
            right: padding.1, dh: dilation.0, dw: dilation.1, groups: groups)
        let oh = (shape[2] - 1) * stride.0 - 2 * padding.0 + dilation.0 * (weight.shape[2] - 1) + outputPadding.0 + 1
        let ow = (shape[3] - 1) * stride.1 - 2 * padding.1 + dilation.1 * (weight.shape[3] - 1) + outputPadding.1 + 1
        precondition(oh > 0 && ow > 0, "convTranspose2d: output size \(oh)×\(ow) is not positive")
        let out = Tensor.convolutionAdjoint(self, weight, geometry, inputShape: [shape[0], weight.shape[1] * groups, oh, ow])
        return bias.map { out + $0.reshaped([1, -1, 1, 1]) } ?? out
    }

    // The three primitives are bilinear and each one's gradients are the other two, so
    // convolutions can be differentiated any number of times.

    static func convolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvGeometry, outputShape: [Int]) -> Tensor {
        let y = x.device.backend.convolution(x.contiguous(), w.contiguous(), geometry, outputShape: outputShape)
        if MultiplyAccumulates.isCounting { MultiplyAccumulates.add(y.count * w.count / w.shape[0]) }
        if recording(x, w) {
            let precision = Autocast.dtype
            y.record("conv2d", [x, w]) { grad, _ in
                Autocast.with(precision) {
                    [
                        x._requiresGrad ? convolutionAdjoint(grad, w, geometry, inputShape: x.shape) : nil,
                        w._requiresGrad ? convolutionWeightGrad(x, grad, geometry, weightShape: w.shape) : nil,
                    ]
                }
            }
        }
        return y
    }

    static func convolutionAdjoint(_ y: Tensor, _ w: Tensor, _ geometry: ConvGeometry, inputShape: [Int]) -> Tensor {
        let x = y.device.backend.convolutionAdjoint(y.contiguous(), w.contiguous(), geometry, inputShape: inputShape)
        if MultiplyAccumulates.isCounting { MultiplyAccumulates.add(y.count * w.count / w.shape[0]) }
        if recording(y, w) {
            let precision = Autocast.dtype
            x.record("convTranspose2d", [y, w]) { grad, _ in
                Autocast.with(precision) {
                    [
                        y._requiresGrad ? convolution(grad, w, geometry, outputShape: y.shape) : nil,
                        w._requiresGrad ? convolutionWeightGrad(grad, y, geometry, weightShape: w.shape) : nil,
                    ]
                }
            }
        }
        return x
    }

    static func convolutionWeightGrad(_ x: Tensor, _ y: Tensor, _ geometry: ConvGeometry, weightShape: [Int]) -> Tensor {
        let dw = x.device.backend.convolutionWeightGrad(x.contiguous(), y.contiguous(), geometry, weightShape: weightShape)
        if recording(x, y) {
            let precision = Autocast.dtype
            dw.record("conv2dWeightGrad", [x, y]) { grad, _ in
                Autocast.with(precision) {
                    [
                        x._requiresGrad ? convolutionAdjoint(y, grad, geometry, inputShape: x.shape) : nil,
                        y._requiresGrad ? convolution(x, grad, geometry, outputShape: y.shape) : nil,
                    ]
                }
            }
        }
        return dw
    }
}
