import Neuron
import Testing

@testable import Neuron
@testable import NeuronNN

/// Channel-blocked activations (oneDNN's nChw8c / nChw16c kept between layers) compute what
/// the plain NCHW path computes on the same inputs, up to float32 rounding of a different
/// summation order, and read back as ordinary NCHW tensors wherever they are used.
@Suite(.enabled(if: Device.default.isCPU, "compares CPU layouts")) struct ConvolutionLayoutTests {
    /// A small residual network: a stem, a block with an identity shortcut, a strided block
    /// with a 1×1 projection, global pooling and a classifier.
    final class ResidualNet: Module, Layer {
        let stem: Sequential, body: Sequential, down: Sequential, projection: Conv2d, head: Sequential

        init(generator: RandomGenerator) {
            stem = Sequential([Conv2d(3, 16, kernelSize: 3, padding: 1, bias: false, generator: generator), BatchNorm2d(16), ReLU()])
            body = Sequential([
                Conv2d(16, 16, kernelSize: 3, padding: 1, bias: false, generator: generator), BatchNorm2d(16), ReLU(),
                Conv2d(16, 16, kernelSize: 3, padding: 1, bias: false, generator: generator), BatchNorm2d(16),
            ])
            down = Sequential([
                Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1, bias: false, generator: generator), BatchNorm2d(32),
            ])
            projection = Conv2d(16, 32, kernelSize: 1, stride: 2, bias: false, generator: generator)
            head = Sequential([AdaptiveAvgPool2d(1), Flatten(), Linear(32, 10, generator: generator)])
            super.init()
        }

        func forward(_ x: Tensor) -> Tensor {
            let a = stem(x)
            let b = (body(a) + a).relu()
            return head((down(b) + projection(b)).relu())
        }
    }

    /// Two Adam steps of the network in one layout: logits, input and parameter gradients,
    /// parameters after the steps, and the logits in evaluation mode.
    static func trainingRun(_ layout: ConvolutionLayout) -> [(String, Tensor)] {
        ConvolutionLayout.run(layout) {
            let generator = RandomGenerator(seed: 11)
            let net = ResidualNet(generator: generator)
            let images = Tensor.normal([8, 3, 16, 16], generator: generator).requiringGrad()
            let labels = Tensor.uniform([8], low: 0, high: 10, generator: generator).to(.int64)
            let adam = Adam(net.parameters(), lr: 0.01)
            var results: [(String, Tensor)] = []
            for step in 0..<2 {
                adam.zeroGrad()
                images.grad = nil
                let logits = net(images)
                crossEntropy(logits, labels).backward()
                results.append(("logits \(step)", logits.detach()))
                results.append(("input gradient \(step)", images.grad!))
                for (i, p) in net.parameters().enumerated() { results.append(("gradient \(i) step \(step)", p.grad!)) }
                adam.step()
            }
            for (i, p) in net.parameters().enumerated() { results.append(("parameter \(i)", p.detach())) }
            net.eval()
            results.append(("evaluation logits", net(images).detach()))
            return results
        }
    }

    @Test func blockedTrainingStepsMatchPlainOnes() {
        let plain = Self.trainingRun(.plain), blocked = Self.trainingRun(.blocked)
        #expect(plain.count == blocked.count)
        for ((name, p), (_, b)) in zip(plain, blocked) {
            let scale = p.abs().max().item()
            expectClose(b, p, rtol: 1e-3, atol: 1e-4 * Swift.max(scale, 1e-3), name)
        }
    }

    /// The convolutions really store their outputs and input gradients blocked where oneDNN
    /// works blocked (every x86-64 processor with AVX2), and the ops after them keep the layout.
    @Test(.enabled(if: VectorLevel.supported >= .avx2, "oneDNN's blocked kernels")) func layersKeepTheBlockedLayout() {
        ConvolutionLayout.run(.blocked) {
            let generator = RandomGenerator(seed: 3)
            let conv = Conv2d(16, 16, kernelSize: 3, padding: 1, bias: false, generator: generator)
            let x = Tensor.normal([4, 16, 8, 8], generator: generator).requiringGrad()
            let y = conv(x)
            #expect([8, 16].contains(y.channelBlock), "conv2d output stored blocked")
            let z = y.batchNormalized(weight: nil, bias: nil, eps: 1e-5).output.relu()
            #expect(z.channelBlock == y.channelBlock, "batch norm and ReLU keep the layout")
            #expect((z + y).channelBlock == y.channelBlock, "a residual sum keeps the layout")
            (z + y).square().sum().backward()
            #expect(x.grad!.channelBlock == y.channelBlock, "the input gradient is stored blocked")
            ConvolutionLayout.run(.plain) { #expect(conv(x).channelBlock == 0, "plain layouts stay plain") }
        }
    }

    /// Every way of reading a blocked tensor sees NCHW: element access, views, slices,
    /// reductions, broadcasting arithmetic and in-place updates, at both block sizes.
    @Test func blockedTensorsReadAsNCHW() {
        let generator = RandomGenerator(seed: 7)
        let source = Tensor.normal([2, 16, 3, 5], generator: generator)
        let expected = source.toArray(Float.self)
        let backend = CPUBackend.shared
        for block in [8, 16] {
            #expect(backend.blocked(source, block).channelBlock == block)
            #expect(backend.blocked(source, block).toArray(Float.self) == expected, "toArray, block \(block)")
            expectClose(backend.blocked(source, block).reshaped([2, 240]), source.reshaped([2, 240]), rtol: 0, atol: 0, "reshape")
            expectClose(backend.blocked(source, block)[1], source[1], rtol: 0, atol: 0, "index")
            expectClose(
                backend.blocked(source, block).permuted([0, 2, 3, 1]), source.permuted([0, 2, 3, 1]), rtol: 0, atol: 0, "permute")
            expectClose(backend.blocked(source, block).sum(axes: [0, 2, 3]), source.sum(axes: [0, 2, 3]), rtol: 1e-6, atol: 1e-5, "sum")
            let bias = Tensor.normal([16, 1, 1], generator: generator)
            expectClose(backend.blocked(source, block) + bias, source + bias, rtol: 0, atol: 0, "broadcast add")
            expectClose(backend.blocked(source, block) * 3, source * 3, rtol: 0, atol: 0, "scalar product")
            expectClose(backend.blocked(source, block) - source, Tensor.zeros(source.shape), rtol: 0, atol: 0, "mixed layouts")
            expectClose(backend.blocked(source, block).sigmoid(), source.sigmoid(), rtol: 0, atol: 0, "unary")
            let square = Tensor.normal([2, 16, 4, 4], generator: generator)
            let blockedSquare = { backend.blocked(square, block) }
            let y = blockedSquare()
            expectClose(y + y.transposed(2, 3), square + square.transposed(2, 3), rtol: 0, atol: 0, "a view of the same storage")
            let z = blockedSquare()
            expectClose(z.transposed(2, 3) + z, square.transposed(2, 3) + square, rtol: 0, atol: 0, "the view first")
            let e = blockedSquare()
            expectClose(e * e[0, 3, 1, 2], square * square[0, 3, 1, 2], rtol: 0, atol: 0, "an element of the same storage")
            let (d, other) = (blockedSquare(), blockedSquare())
            d.addInPlace(other.transposed(2, 3))
            expectClose(d, square + square.transposed(2, 3), rtol: 0, atol: 0, "in place with a view of another")
            let inPlace = backend.blocked(source, block)
            inPlace.addInPlace(source)
            expectClose(inPlace, source * 2, rtol: 0, atol: 0, "in-place sum")
            let assigned = backend.blocked(source, block)
            assigned.assign(source.sigmoid())
            expectClose(assigned, source.sigmoid(), rtol: 0, atol: 0, "assign")
        }
    }

    /// Batch normalisation's blocked kernels (statistics, gradient sums, the affine map) at both
    /// block sizes and every vector level give the plain kernels' results.
    @Test func blockedBatchNormMatchesPlain() {
        let generator = RandomGenerator(seed: 9)
        let x = Tensor.normal([6, 32, 7, 9], generator: generator) * 3 + 1
        let seed = Tensor.normal(x.shape, generator: generator)
        let weight = Tensor.normal([32], generator: generator), bias = Tensor.normal([32], generator: generator)
        func run(_ input: Tensor) -> [Tensor] {
            let (w, b) = (weight.detach().requiringGrad(), bias.detach().requiringGrad())
            let input = input.detach().requiringGrad()
            let (y, mean, variance) = input.batchNormalized(weight: w, bias: b, eps: 1e-5)
            (y * seed).sum().backward()
            let scaled = input.channelScaled(scale: w, shift: b)
            return [y.detach(), mean, variance, input.grad!, w.grad!, b.grad!, scaled.detach()]
        }
        let plain = run(x)
        for level in VectorLevel.available {
            VectorLevel.run(at: level) {
                for block in [8, 16] {
                    for (i, (b, p)) in zip(run(CPUBackend.shared.blocked(x, block)), plain).enumerated() {
                        expectClose(b, p, rtol: 1e-4, atol: 1e-4, "\(level), block \(block), result \(i)")
                    }
                }
            }
        }
    }

    /// A convolution reads an input stored in a block other than the one oneDNN works in, and
    /// one stored plain, to the same result.
    @Test func convolutionsReadAnyStoredLayout() {
        let generator = RandomGenerator(seed: 4)
        let x = Tensor.normal([2, 16, 6, 6], generator: generator)
        let w = Tensor.normal([32, 16, 3, 3], generator: generator)
        let plain = ConvolutionLayout.run(.plain) { x.conv2d(w, padding: .same) }
        for block in [8, 16] {
            let y = ConvolutionLayout.run(.blocked) { CPUBackend.shared.blocked(x, block).conv2d(w, padding: .same) }
            expectClose(y, plain, rtol: 1e-5, atol: 1e-5, "input blocked by \(block)")
        }
    }
}
