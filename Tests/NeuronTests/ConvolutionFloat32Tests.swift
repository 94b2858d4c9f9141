import Testing

@testable import Neuron

/// Float32 convolutions run on oneDNN's blocked kernels (forward always; input and weight
/// gradients from 4 and 8 input channels per group, and for depthwise convolutions); float64 runs Neuron's own im2col
/// products, which the gradient checks cover. Both must agree on outputs and gradients.
@Suite struct ConvolutionFloat32Tests {
    static let cases: [(String, [Int], [Int], ([Tensor]) -> Tensor)] = [
        ("basic", [3, 8, 9, 9], [16, 8, 3, 3], { $0[0].conv2d($0[1], padding: .explicit(1, 1)) }),
        ("stride, uneven padding", [2, 16, 11, 10], [8, 16, 3, 2], { $0[0].conv2d($0[1], stride: (2, 1), padding: .explicit(1, 2)) }),
        ("stride that drops rows", [2, 8, 8, 8], [8, 8, 3, 3], { $0[0].conv2d($0[1], stride: (2, 2)) }),
        ("dilation", [2, 8, 9, 9], [8, 8, 3, 3], { $0[0].conv2d($0[1], padding: .explicit(2, 2), dilation: (2, 2)) }),
        ("groups", [2, 16, 6, 6], [24, 8, 3, 3], { $0[0].conv2d($0[1], padding: .same, groups: 2) }),
        ("depthwise", [2, 8, 6, 6], [8, 1, 3, 3], { $0[0].conv2d($0[1], padding: .same, groups: 8) }),
        ("depthwise 5x5 stride 2", [3, 24, 11, 10], [24, 1, 5, 5], { $0[0].conv2d($0[1], stride: (2, 2), padding: .explicit(2, 1), groups: 24) }),
        ("TensorFlow same, stride 2", [2, 8, 10, 9], [8, 8, 3, 3], { $0[0].conv2d($0[1], stride: (2, 2), padding: .tensorFlowSame) }),
        ("same with an even kernel", [1, 8, 7, 7], [8, 8, 4, 4], { $0[0].conv2d($0[1], padding: .same) }),
        ("1x1 stride 2", [2, 16, 8, 8], [32, 16, 1, 1], { $0[0].conv2d($0[1], stride: (2, 2)) }),
        ("one input channel", [4, 1, 12, 12], [6, 1, 5, 5], { $0[0].conv2d($0[1], padding: .explicit(2, 2)) }),
        ("six input channels", [4, 6, 10, 10], [16, 6, 5, 5], { $0[0].conv2d($0[1]) }),
        ("conv1d", [2, 8, 15], [8, 8, 3], { $0[0].conv1d($0[1], stride: 2, padding: .explicit(1, 1)) }),
        (
            "transposed, stride and output padding", [2, 8, 5, 5], [8, 8, 3, 3],
            {
                $0[0].convTranspose2d($0[1], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))
            }
        ),
    ]

    @Test(arguments: cases.indices)
    func float32MatchesFloat64(_ i: Int) {
        let (name, xShape, wShape, op) = Self.cases[i]
        let x64 = randomInput(xShape, seed: 1, low: -1, high: 1), w64 = randomInput(wShape, seed: 2, low: -1, high: 1)
        func run(_ dtype: DType) -> [Tensor] {
            let x = x64.to(dtype).detach(), w = w64.to(dtype).detach()
            x.requiresGrad = true
            w.requiresGrad = true
            let y = op([x, w])
            let seed = randomInput(y.shape, seed: 3, low: -1, high: 1).to(dtype)
            y.backward(seed)
            return [y.detach(), x.grad!, w.grad!]
        }
        let reference = run(.float64), actual = run(.float32)
        for (what, (a, e)) in zip(["output", "input gradient", "weight gradient"], zip(actual, reference)) {
            let scale = e.abs().max().item()
            expectClose(a.to(.float64), e, rtol: 1e-4, atol: 1e-5 * scale, "\(name): \(what)")
        }
    }

    /// Without gradients, bias, residual and clamp run fused into the convolution (oneDNN's
    /// post-ops, or Neuron's own pass where oneDNN has no such algorithm); with them, as the
    /// composition. Both agree.
    @Test(
        arguments: [
            ("ReLU6, bias, residual", [2, 8, 9, 9], [8, 8, 3, 3], 1, true, true, 0.0...6.0),
            ("ReLU, depthwise stride 2", [2, 16, 10, 9], [16, 1, 5, 5], 16, true, false, 0.0...Double.infinity),
            ("clamp from -1 to infinity", [1, 4, 6, 6], [6, 4, 1, 1], 1, false, false, -1.0...Double.infinity),
            ("residual only", [2, 6, 5, 5], [6, 6, 1, 1], 1, false, true, nil),
        ] as [(String, [Int], [Int], Int, Bool, Bool, ClosedRange<Double>?)])
    func fusedEqualsComposition(_ name: String, xShape: [Int], wShape: [Int], groups: Int, bias: Bool, residual: Bool, clamp: ClosedRange<Double>?) {
        let x = randomInput(xShape, seed: 4, low: -1, high: 1).to(.float32), w = randomInput(wShape, seed: 5, low: -1, high: 1).to(.float32)
        let b = bias ? randomInput([wShape[0]], seed: 6, low: -1, high: 1).to(.float32) : nil
        let stride = wShape[2] == 5 ? (2, 2) : (1, 1)
        let shape = x.conv2d(w, stride: stride, padding: .tensorFlowSame, groups: groups).shape
        let r = residual ? randomInput(shape, seed: 7, low: -1, high: 1).to(.float32) : nil
        let fused = noGrad { x.conv2d(w, bias: b, stride: stride, padding: .tensorFlowSame, groups: groups, residual: r, clamp: clamp) }
        var composed = x.conv2d(w, stride: stride, padding: .tensorFlowSame, groups: groups)
        if let b { composed = composed + b.reshaped([1, -1, 1, 1]) }
        if let r { composed = composed + r }
        if let clamp { composed = composed.clamped(min: clamp.lowerBound, max: clamp.upperBound) }
        expectClose(fused.to(.float64), composed.to(.float64), rtol: 1e-5, atol: 1e-5, name)
        #expect(fused.shape == shape)
    }
}
