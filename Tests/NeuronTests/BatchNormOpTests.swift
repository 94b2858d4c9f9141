import Testing

@testable import Neuron

/// The fused batch-norm op: gradient checks (first order runs the fused backward kernel,
/// second order the composed one), and the two backward paths against each other.
@Suite struct BatchNormOpTests {
    static let shapes: [[Int]] = [[4, 3, 2, 2], [5, 3], [3, 2, 7]]

    @Test(arguments: shapes)
    func gradientChecks(_ shape: [Int]) {
        let c = shape[1]
        let x = randomInput(shape), w = randomInput([c], seed: 2), b = randomInput([c], seed: 3)
        expectGradients([x, w, b], secondOrder: true, "batchNormalized \(shape)") {
            $0[0].batchNormalized(weight: $0[1], bias: $0[2], eps: 1e-5).output
        }
        expectGradients([x], secondOrder: true, "batchNormalized without affine \(shape)") {
            $0[0].batchNormalized(weight: nil, bias: nil, eps: 1e-3).output
        }
    }

    @Test func fusedBackwardMatchesComposed() {
        for dtype in [DType.float64, .float32] {
            let x = randomInput([6, 4, 5, 3]).to(dtype).requiringGrad()
            let w = randomInput([4], seed: 2).to(dtype).requiringGrad(), b = randomInput([4], seed: 3).to(dtype).requiringGrad()
            let seed = randomInput([6, 4, 5, 3], seed: 4).to(dtype)
            let (y, mean, variance) = x.batchNormalized(weight: w, bias: b, eps: 1e-5)
            y.backward(seed)
            let composed = noGrad { x.composedBatchNormGradients(seed, weight: w, hasBias: true, eps: 1e-5) }
            let tolerance = dtype == .float64 ? 1e-10 : 1e-4
            for (what, (fused, reference)) in zip(["x", "weight", "bias"], zip([x.grad!, w.grad!, b.grad!], composed)) {
                expectClose(fused, reference!, rtol: tolerance, atol: tolerance, "\(dtype) \(what) gradient")
            }
            expectClose(mean, x.detach().mean(axes: [0, 2, 3]), rtol: tolerance, atol: tolerance, "\(dtype) mean")
            let centred = x.detach() - x.detach().mean(axes: [0, 2, 3], keepDims: true)
            expectClose(variance, centred.square().mean(axes: [0, 2, 3]), rtol: tolerance, atol: tolerance, "\(dtype) variance")
        }
    }
}
