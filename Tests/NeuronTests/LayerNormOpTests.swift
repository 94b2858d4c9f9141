import Testing

@testable import Neuron

/// `layerNormalized`: gradients (and gradients of gradients, through the composed backward a
/// recorded pass takes) on whatever the default device is; the forward and first-order backward
/// are fused kernels (CPU and CUDA), checked against the composed ops.
struct LayerNormOpTests {
    @Test func gradientsOfLayerNorm() {
        let x = Tensor.normal([3, 2, 5], dtype: .float64, generator: RandomGenerator(seed: 31))
        let w = Tensor.normal([2, 5], dtype: .float64, generator: RandomGenerator(seed: 32))
        let b = Tensor.normal([2, 5], dtype: .float64, generator: RandomGenerator(seed: 33))
        expectGradients([x, w, b], secondOrder: true, "layerNormalized") {
            $0[0].layerNormalized(lastDimensions: 2, weight: $0[1], bias: $0[2], eps: 1e-5)
        }
        expectGradients([x], secondOrder: true, "layerNormalized without affine") {
            $0[0].layerNormalized(lastDimensions: 1, weight: nil, bias: nil, eps: 1e-5)
        }
    }

    @Test func matchesTheComposition() {
        let x = Tensor.normal([4, 7], generator: RandomGenerator(seed: 34))
        let w = Tensor.normal([7], generator: RandomGenerator(seed: 35)), b = Tensor.normal([7], generator: RandomGenerator(seed: 36))
        let centred = x - x.mean(axes: [1], keepDims: true)
        let expected = centred * (centred.square().mean(axes: [1], keepDims: true) + 1e-5).rsqrt() * w + b
        expectClose(x.layerNormalized(lastDimensions: 1, weight: w, bias: b, eps: 1e-5), expected, rtol: 1e-5, atol: 1e-6)
    }

    /// Float32 rows split over threads (parameter gradients summed per share), against the composition.
    @Test func fusedGradientsMatchTheComposition() {
        let x = Tensor.normal([3, 37, 100], generator: RandomGenerator(seed: 37)).requiringGrad()
        let w = Tensor.normal([100], generator: RandomGenerator(seed: 38)).requiringGrad()
        let b = Tensor.normal([100], generator: RandomGenerator(seed: 39)).requiringGrad()
        let g = Tensor.normal([3, 37, 100], generator: RandomGenerator(seed: 40))
        (x.layerNormalized(lastDimensions: 1, weight: w, bias: b, eps: 1e-5) * g).sum().backward()
        let expected = noGrad { x.composedLayerNormGradients(g, axes: [2], weight: w, hasBias: true, eps: 1e-5) }
        for (got, want) in zip([x.grad!, w.grad!, b.grad!], expected) { expectClose(got, want!, rtol: 1e-4, atol: 1e-5) }
    }
}
