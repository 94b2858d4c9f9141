import Testing

@testable import Neuron

/// Every differentiable op against central finite differences in Float64
/// (atol 1e-5, rtol 1e-3), and second order for a representative set.
@Suite struct GradCheckTests {
    static let x = randomInput([2, 3], seed: 1)
    static let y = randomInput([2, 3], seed: 2)
    static let row = randomInput([3], seed: 3)
    static let positive = randomInput([2, 3], seed: 4, low: 0.5, high: 2)

    static let unaryCases: [(String, Tensor, Bool, (Tensor) -> Tensor)] = [
        ("neg", x, true, { -$0 }), ("exp", x, true, { $0.exp() }), ("log", positive, true, { $0.log() }),
        ("log1p", positive, false, { $0.log1p() }), ("expm1", x, false, { $0.expm1() }),
        ("sqrt", positive, true, { $0.sqrt() }), ("rsqrt", positive, true, { $0.rsqrt() }),
        ("square", x, true, { $0.square() }), ("reciprocal", positive, true, { $0.reciprocal() }),
        ("abs", x, false, { $0.abs() }), ("sign", x, false, { $0.sign() * $0 }),
        ("sin", x, true, { $0.sin() }), ("cos", x, true, { $0.cos() }), ("erf", x, true, { $0.erf() }),
        ("clamp", x, false, { $0.clamped(min: -0.5, max: 0.7) }),
        ("pow scalar", positive, true, { $0.pow(2.5) }),
        ("sigmoid", x, true, { $0.sigmoid() }), ("tanh", x, true, { $0.tanh() }), ("relu", x, false, { $0.relu() }),
        ("leakyRelu", x, false, { $0.leakyRelu(negativeSlope: 0.1) }), ("elu", x, true, { $0.elu(alpha: 0.7) }),
        ("gelu", x, true, { $0.gelu() }), ("gelu tanh", x, true, { $0.gelu(approximate: .tanh) }),
        ("silu", x, true, { $0.silu() }), ("softplus", x, true, { $0.softplus(beta: 2, threshold: 3) }),
        ("sum axes keep", randomInput([2, 3, 4]), true, { $0.sum(axes: [0, 2], keepDims: true) }),
        ("sum all", x, false, { $0.sum() }),
        ("mean", randomInput([2, 3, 4]), false, { $0.mean(axes: [1]) }),
        ("variance", randomInput([3, 4]), true, { $0.variance(axes: [1]) }),
        ("std", randomInput([3, 4]), true, { $0.std(axes: [0, 1], correction: 0, keepDims: true) }),
        ("max axis", randomInput([3, 4]), false, { $0.max(axis: 1).values }),
        ("min axis", randomInput([3, 4]), false, { $0.min(axis: 0, keepDims: true).values }),
        ("max all", randomInput([3, 4]), false, { $0.max() }),
        ("logSumExp", randomInput([3, 4]), true, { $0.logSumExp(axis: 1) }),
        ("softmax", randomInput([3, 4]), true, { $0.softmax(axis: 1) }),
        ("logSoftmax", randomInput([3, 4]), true, { $0.logSoftmax(axis: 0) }),
        ("reshape", randomInput([2, 6]), false, { $0.reshaped([3, 4]) * Tensor.arange(0, 12, dtype: .float64).reshaped([3, 4]) }),
        ("permute", randomInput([2, 3, 4]), false, { $0.permuted([2, 0, 1]).contiguous() }),
        ("transpose", randomInput([2, 3]), false, { $0.T }),
        ("slice", randomInput([5, 6]), true, { $0[stride(from: 1, to: 5, by: 2), 2...].square() }),
        ("index", randomInput([5, 6]), false, { $0[3] }),
        ("expand", randomInput([3, 1]), true, { $0.expanded(to: [2, 3, 4]).square() }),
        ("squeeze/unsqueeze", randomInput([3, 1]), false, { $0.squeezed().unsqueezed(axis: 0) }),
        ("pad", randomInput([2, 3]), true, { $0.padded([1, 2, 1, 0], value: 0.3).square() }),
        ("split", randomInput([5, 2]), false, { $0.split(sizes: [2, 3])[1] * 3 }),
        ("chunk", randomInput([6]), false, { $0.chunked(3)[2].exp() }),
        ("to float32 and back", randomInput([3]), false, { $0.to(.float32).to(.float64) * 2 }),
    ]

    @Test(arguments: unaryCases.indices)
    func unary(_ i: Int) {
        let (name, input, second, op) = Self.unaryCases[i]
        // Float32 round trips lose precision; check that case with looser tolerances.
        if name.hasPrefix("to float32") {
            #expect(GradientCheck.check([input], eps: 1e-2, atol: 1e-4) { op($0[0]) } == nil)
            return
        }
        expectGradients([input], secondOrder: second, name) { op($0[0]) }
    }

    static let binaryCases: [(String, Tensor, Tensor, Bool, (Tensor, Tensor) -> Tensor)] = [
        ("add broadcast", x, row, true, { $0 + $1 }), ("sub broadcast", row, x, true, { $0 - $1 }),
        ("mul broadcast", x, row, true, { $0 * $1 }), ("div", x, positive, true, { $0 / $1 }),
        ("pow", positive, y, true, { $0.pow($1) }), ("maximum", x, y, false, { Tensor.maximum($0, $1) }),
        ("minimum", x, row, false, { Tensor.minimum($0, $1) }),
        ("where", x, row, false, { Tensor.where($0 .> 0, $0 * 2, $1) }),
        ("matmul", randomInput([3, 4]), randomInput([4, 2]), true, { $0.matmul($1) }),
        ("matmul transposed", randomInput([4, 3]), randomInput([2, 4]), true, { $0.T.matmul($1.T) }),
        ("matmul batched broadcast", randomInput([2, 1, 3, 4]), randomInput([3, 4, 2]), true, { $0.matmul($1) }),
        ("matmul vector", randomInput([3, 4]), randomInput([4]), true, { $0.matmul($1) }),
        ("batch times transposed matrix", randomInput([2, 3, 4]), randomInput([5, 4]), true, { $0.matmul($1.T) }),
        ("batch times matrix", randomInput([2, 3, 4]), randomInput([4, 5]), false, { $0.matmul($1) }),
        ("transposed matrix times batch", randomInput([4, 3]), randomInput([2, 4, 5]), true, { $0.T.matmul($1) }),
        ("vector matmul", randomInput([3]), randomInput([3, 4]), false, { $0.matmul($1) }),
        ("dot", randomInput([4]), randomInput([4]), true, { $0.matmul($1) }),
        ("concat", x, randomInput([2, 2]), false, { Tensor.concat([$0, $1], axis: 1).square() }),
        ("stack", x, y, false, { Tensor.stack([$0, $1], axis: 1).square() }),
        (
            "scatterAdd", randomInput([3, 4]), randomInput([2, 4]), true,
            {
                $0.scatterAdd(axis: 0, index: Tensor([0, 2, 1, 0, 0, 2, 2, 1], shape: [2, 4]), source: $1).square()
            }
        ),
        (
            "indexAdd", randomInput([3, 2]), randomInput([4, 2]), true,
            {
                $0.indexAdd(axis: 0, index: Tensor([2, 0, 2, 1]), source: $1).square()
            }
        ),
    ]

    @Test(arguments: binaryCases.indices)
    func binary(_ i: Int) {
        let (name, a, b, second, op) = Self.binaryCases[i]
        expectGradients([a, b], secondOrder: second, name) { op($0[0], $0[1]) }
    }

    @Test func indexing() {
        expectGradients([randomInput([3, 4])], secondOrder: true, "gather") {
            $0[0].gather(axis: 1, index: Tensor([0, 3, 3, 1, 2, 2], shape: [3, 2])).square()
        }
        expectGradients([randomInput([4, 3])], secondOrder: true, "indexSelect") {
            $0[0].indexSelect(axis: 0, index: Tensor([3, 0, 3, 1])).square()
        }
    }

    @Test func checkerCatchesWrongGradients() {
        // A function whose recorded backward is deliberately wrong: the check must fail.
        let wrong = GradientCheck.check([randomInput([3])]) { xs in
            xs[0].square() + (xs[0] * 0.5).detach() * xs[0].detach()
        }
        #expect(wrong != nil)
    }
}
