import Testing

@testable import Neuron

/// Convolution and pooling against finite differences, across options; a representative
/// set also to second order (the three convolution primitives are each other's gradients).
@Suite struct ConvolutionGradTests {
    static let cases: [(String, [Int], [Int], Bool, ([Tensor]) -> Tensor)] = [
        ("conv2d basic", [2, 3, 5, 5], [4, 3, 3, 3], true, { $0[0].conv2d($0[1]) }),
        ("conv2d stride padding", [1, 2, 6, 5], [3, 2, 3, 2], false, { $0[0].conv2d($0[1], stride: (2, 1), padding: .explicit(1, 2)) }),
        ("conv2d dilation", [1, 2, 7, 7], [2, 2, 3, 3], false, { $0[0].conv2d($0[1], padding: .explicit(1, 1), dilation: (2, 2)) }),
        ("conv2d groups", [2, 4, 4, 4], [6, 2, 3, 3], true, { $0[0].conv2d($0[1], padding: .same, groups: 2) }),
        ("conv2d depthwise", [1, 3, 4, 4], [3, 1, 3, 3], false, { $0[0].conv2d($0[1], padding: .same, groups: 3) }),
        (
            "conv2d depthwise TensorFlow same stride 2", [2, 3, 6, 5], [3, 1, 3, 3], false,
            { $0[0].conv2d($0[1], stride: (2, 2), padding: .tensorFlowSame, groups: 3) }
        ),
        ("conv2d same even kernel", [1, 2, 5, 5], [2, 2, 4, 4], false, { $0[0].conv2d($0[1], padding: .same) }),
        ("conv2d 1x1", [2, 3, 3, 3], [4, 3, 1, 1], false, { $0[0].conv2d($0[1]) }),
        ("conv1d", [2, 3, 9], [4, 3, 3], false, { $0[0].conv1d($0[1], stride: 2, padding: .explicit(1, 1)) }),
        ("convTranspose2d", [2, 3, 3, 3], [3, 2, 3, 3], true, { $0[0].convTranspose2d($0[1]) }),
        (
            "convTranspose2d stride output padding", [1, 2, 3, 3], [2, 3, 3, 3], false,
            {
                $0[0].convTranspose2d($0[1], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))
            }
        ),
        ("convTranspose2d groups", [1, 4, 3, 3], [4, 1, 2, 3], false, { $0[0].convTranspose2d($0[1], stride: (2, 1), groups: 2) }),
    ]

    @Test(arguments: cases.indices)
    func convolutionGradients(_ i: Int) {
        let (name, xShape, wShape, second, op) = Self.cases[i]
        let x = Tensor.uniform(xShape, low: -1, high: 1, dtype: .float64, generator: RandomGenerator(seed: 1))
        let w = Tensor.uniform(wShape, low: -1, high: 1, dtype: .float64, generator: RandomGenerator(seed: 2))
        expectGradients([x, w], secondOrder: second, name, op)
    }

    @Test func convolutionWithBias() {
        let x = randomInput([2, 2, 4, 4]), w = randomInput([3, 2, 3, 3], seed: 2), b = randomInput([3], seed: 3)
        expectGradients([x, w, b], "conv2d bias") { $0[0].conv2d($0[1], bias: $0[2], padding: .explicit(1, 1)) }
    }

    static let pools: [(String, Bool, (Tensor) -> Tensor)] = [
        ("maxPool2d", true, { $0.maxPool2d(kernel: (2, 2)).values }),
        ("maxPool2d stride padding", false, { $0.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).values }),
        ("maxPool1d", false, { $0.reshaped([2, 3, 24]).maxPool1d(kernel: 3, stride: 2).values }),
        ("avgPool2d", true, { $0.avgPool2d(kernel: (2, 2)) }),
        ("avgPool2d padding include", false, { $0.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }),
        ("avgPool2d padding exclude", false, { $0.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false) }),
        ("adaptiveAvgPool2d", true, { $0.adaptiveAvgPool2d((3, 2)) }),
        ("global average", false, { $0.adaptiveAvgPool2d((1, 1)) }),
        ("upsample nearest", false, { $0.upsampleNearest(size: (8, 12)) }),
        ("upsample bilinear", true, { $0.upsampleBilinear(size: (7, 9)) }),
        ("upsample bilinear corners", false, { $0.upsampleBilinear(size: (5, 7), alignCorners: true) }),
    ]

    @Test(arguments: pools.indices)
    func poolingGradients(_ i: Int) {
        let (name, second, op) = Self.pools[i]
        expectGradients([randomInput([2, 3, 4, 6])], secondOrder: second, name) { op($0[0]) }
    }
}
