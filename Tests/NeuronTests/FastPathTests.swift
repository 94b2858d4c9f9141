import Testing

@testable import Neuron

/// The CPU's fast paths against plain ones on the same inputs: the branch-free 2×2 max
/// pooling, the convolution weight gradient computed a few images at a time per thread, and
/// the affine map of a Linear layer as one GEMM onto the broadcast bias, GELU's, sigmoid's and
/// tanh's backward in one pass, and normal samples transformed in bulk over threads.
@Suite struct FastPathTests {
    /// Max pooling by the rule of the general window loop: the first value that is NaN or
    /// greater than every value before it, with its flat position in the plane.
    static func plainMaxPool(_ x: [Float], planes: Int, h: Int, w: Int) -> (values: [Float], indices: [Int]) {
        var values: [Float] = [], indices: [Int] = []
        for plane in 0..<planes {
            for oy in 0..<h / 2 {
                for ox in 0..<w / 2 {
                    var best: Float = 0, at = -1
                    window: for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let position = (2 * oy + dy) * w + 2 * ox + dx
                        let v = x[plane * h * w + position]
                        if at < 0 || v > best || v.isNaN { (best, at) = (v, position) }
                        if v.isNaN { break window }
                    }
                    values.append(best)
                    indices.append(at)
                }
            }
        }
        return (values, indices)
    }

    /// Rows of at most 16 outputs take the 16-lane kernel (odd sizes leave a column and a row
    /// out, and the last rows may not read past the input); wider ones the row loop.
    @Test(arguments: [(6, 10, 14), (3, 9, 33), (2, 8, 40), (4, 3, 3)])
    func maxPoolTwoByTwoMatchesTheWindowLoop(_ size: (Int, Int, Int)) {
        let (planes, h, w) = size
        var x = Tensor.uniform([planes * h * w], low: -1, high: 1, generator: RandomGenerator(seed: 4)).toArray(Float.self)
        // ties (the first wins), NaNs first, second and last in a window, and two NaNs in one
        for i in stride(from: 0, to: x.count - 1, by: 7) { x[i] = x[i + 1] }
        for i in [0, 29, 30 + w + 1, 44, 45, 100 + w] where i < x.count { x[i] = .nan }
        // the last window of the input: its bottom-right value the largest
        x[((planes - 1) * h + 2 * (h / 2) - 1) * w + 2 * (w / 2) - 1] = 5
        let input = Tensor(x, shape: [planes, 1, h, w])
        let (values, indices) = input.maxPool2d(kernel: (2, 2))
        let plain = Self.plainMaxPool(x, planes: planes, h: h, w: w)
        let got = values.toArray(Float.self)
        #expect(got.count == plain.values.count)
        for i in got.indices {
            #expect(got[i] == plain.values[i] || (got[i].isNaN && plain.values[i].isNaN), "value \(i)")
        }
        #expect(indices.toArray(Int.self) == plain.indices)
    }

    /// dW[o, c, i, j] = Σ over images and outputs of dY · the input under that tap, as plain loops in float64.
    static func plainWeightGradient(
        x: [Double], dy: [Double], n: Int, c: Int, h: Int, w: Int, oc: Int, k: Int, pad: Int, groups: Int
    ) -> [Double] {
        let (oh, ow) = (h + 2 * pad - k + 1, w + 2 * pad - k + 1)
        let (cg, ocg) = (c / groups, oc / groups)
        var dw = [Double](repeating: 0, count: oc * cg * k * k)
        for o in 0..<oc {
            let group = o / ocg
            for ci in 0..<cg {
                for i in 0..<k {
                    for j in 0..<k {
                        var sum = 0.0
                        for image in 0..<n {
                            for oy in 0..<oh {
                                let iy = oy + i - pad
                                guard iy >= 0, iy < h else { continue }
                                for ox in 0..<ow {
                                    let ix = ox + j - pad
                                    guard ix >= 0, ix < w else { continue }
                                    sum +=
                                        dy[((image * oc + o) * oh + oy) * ow + ox]
                                        * x[((image * c + group * cg + ci) * h + iy) * w + ix]
                                }
                            }
                        }
                        dw[((o * cg + ci) * k + i) * k + j] = sum
                    }
                }
            }
        }
        return dw
    }

    /// Shapes whose columns span several chunks per thread, with an uneven split of images. Float32
    /// takes oneDNN or the chunked column products, whichever was faster for the shape here;
    /// float64 always the chunked column products.
    @Test(arguments: [(7, 2, 32, 4, 5, 2, 1), (5, 6, 30, 12, 5, 0, 3), (1, 1, 28, 6, 5, 2, 1)], [DType.float32, .float64])
    func convolutionWeightGradientMatchesPlainLoops(_ shape: (Int, Int, Int, Int, Int, Int, Int), _ dtype: DType) {
        let (n, c, size, oc, k, pad, groups) = shape
        let x = Tensor.uniform([n, c, size, size], low: -1, high: 1, dtype: dtype, generator: RandomGenerator(seed: 5))
        let weight = Tensor.uniform([oc, c / groups, k, k], low: -1, high: 1, dtype: dtype, generator: RandomGenerator(seed: 6))
            .requiringGrad()
        let out = size + 2 * pad - k + 1
        let upstream = Tensor.uniform([n, oc, out, out], low: -1, high: 1, dtype: dtype, generator: RandomGenerator(seed: 7))
        (x.conv2d(weight, padding: .explicit(pad, pad), groups: groups) * upstream).sum().backward()
        let plain = Self.plainWeightGradient(
            x: x.toArray(Double.self), dy: upstream.toArray(Double.self), n: n, c: c, h: size, w: size, oc: oc, k: k, pad: pad,
            groups: groups)
        let got = weight.grad!.toArray(Double.self)
        let worst = zip(got, plain).map { abs($0 - $1) / max(1, abs($1)) }.max()!
        #expect(worst < (dtype == .float32 ? 1e-4 : 1e-10), "largest relative difference \(worst)")
    }

    @Test func linearGradients() {
        let x = randomInput([5, 4]), w = randomInput([3, 4], seed: 2), b = randomInput([3], seed: 3)
        expectGradients([x, w, b], secondOrder: true, "linear") { $0[0].linear(weight: $0[1], bias: $0[2]) }
        expectGradients([randomInput([2, 3, 4]), w, b], "linear 3-D") { $0[0].linear(weight: $0[1], bias: $0[2]) }
        expectGradients([x.transposed().contiguous().transposed(), w], "linear strided, no bias") { $0[0].linear(weight: $0[1], bias: nil) }
    }

    /// The fused map and `matmul` + `+` give the same values and gradients, float32.
    @Test func linearMatchesProductPlusBias() {
        let generator = RandomGenerator(seed: 8)
        let x = Tensor.uniform([64, 300], low: -1, high: 1, generator: generator).requiringGrad()
        let w = Tensor.uniform([70, 300], low: -1, high: 1, generator: generator).requiringGrad()
        let b = Tensor.uniform([70], low: -1, high: 1, generator: generator).requiringGrad()
        let upstream = Tensor.uniform([64, 70], low: -1, high: 1, generator: generator)
        (x.linear(weight: w, bias: b) * upstream).sum().backward()
        let fused = [x.grad!, w.grad!, b.grad!]
        x.grad = nil
        w.grad = nil
        b.grad = nil
        let plain = x.matmul(w.transposed()) + b
        (plain * upstream).sum().backward()
        expectClose(x.linear(weight: w, bias: b), plain, rtol: 1e-5, atol: 1e-5, "values")
        for (got, expected) in zip(fused, [x.grad!, w.grad!, b.grad!]) { expectClose(got, expected, rtol: 1e-5, atol: 1e-5, "gradients") }
    }

    /// GELU's one-pass backward (float32, the forward's erf) against the composed derivative.
    @Test func geluBackwardMatchesTheComposition() {
        let x = Tensor.uniform([1000], low: -6, high: 6, generator: RandomGenerator(seed: 9)).requiringGrad()
        let g = Tensor.uniform([1000], low: -1, high: 1, generator: RandomGenerator(seed: 10))
        (x.gelu() * g).sum().backward()
        let cdf = ((x.detach() * (1 / 2.0.squareRoot())).erf() + 1) * 0.5
        let pdf = (x.detach() * x.detach() * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
        expectClose(x.grad!, g * (cdf + x.detach() * pdf), rtol: 1e-5, atol: 1e-6)
    }

    @Test func sigmoidAndTanhBackwardMatchTheComposition() {
        let x = Tensor.uniform([999], low: -8, high: 8, generator: RandomGenerator(seed: 11)).requiringGrad()
        let g = Tensor.uniform([999], low: -1, high: 1, generator: RandomGenerator(seed: 12))
        (x.sigmoid() * g).sum().backward()
        let s = x.detach().sigmoid()
        expectClose(x.grad!, g * s * (1 - s), rtol: 1e-6, atol: 1e-7, "sigmoid")
        x.grad = nil
        (x.tanh() * g).sum().backward()
        let t = x.detach().tanh()
        expectClose(x.grad!, g * (1 - t * t), rtol: 1e-6, atol: 1e-7, "tanh")
    }

    /// `Tensor.normal` draws its uniforms first and transforms them over threads: the same
    /// numbers, bit for bit, as drawing `nextNormal()` one element at a time.
    @Test(arguments: [DType.float32, .float64])
    func bulkNormalSamplesAreTheOneByOneDraws(_ dtype: DType) {
        let bulk = RandomGenerator(seed: 21), single = RandomGenerator(seed: 21)
        let x = Tensor.normal([5000], mean: 0.5, std: 2, dtype: dtype, device: .cpu, generator: bulk)
        let expected = (0..<5000).map { _ in 0.5 + 2 * single.nextNormal() }
        if dtype == .float32 {
            #expect(x.toArray(Float.self) == expected.map { Float($0) })
        } else {
            #expect(x.toArray(Double.self) == expected)
        }
        #expect(bulk.next() == single.next(), "both generators end in the same state")
    }
}
