import Neuron
import Testing

@testable import NeuronNN

/// The AVX-512, AVX2 and baseline variants of the CPU kernels compute the same results on the
/// same inputs (up to the rounding of fused multiply-adds and of a different summation order).
@Suite(.enabled(if: Device.default.isCPU, "compares CPU kernels")) struct VectorLevelTests {
    /// Forward and backward of a small CNN, an LSTM and a batch of element-wise, reduction and
    /// indexing ops, then two Adam steps: every kernel family with wide variants, at sizes that
    /// split over threads.
    static func everyKernelFamily() -> [(String, Tensor)] {
        let generator = RandomGenerator(seed: 5)
        var results: [(String, Tensor)] = []
        // No bias before batch norm: its gradient is rounding noise, which Adam scales to ±lr.
        let cnn = Sequential([
            Conv2d(3, 8, kernelSize: (5, 5), padding: .explicit(2, 2), bias: false, generator: generator), BatchNorm2d(8), ReLU(),
            MaxPool2d(2), AvgPool2d(2), Flatten(), LayerNorm([8 * 7 * 7]), Linear(8 * 7 * 7, 10, generator: generator),
        ])
        let lstm = LSTM(inputSize: 16, hiddenSize: 32, generator: generator)
        let images = Tensor.normal([32, 3, 28, 28], generator: generator)
        let labels = Tensor.uniform([32], low: 0, high: 10, generator: generator).to(.int64)
        let sequence = Tensor.normal([12, 48, 16], generator: generator)
        let parameters = cnn.parameters() + lstm.parameters()
        let adam = Adam(parameters, lr: 0.01)
        for step in 0..<2 {
            adam.zeroGrad()
            let logits = cnn(images)
            let output = lstm(sequence).output
            let loss = crossEntropy(logits, labels) + output.square().mean()
            loss.backward()
            results.append(("logits \(step)", logits.detach()))
            results.append(("lstm output \(step)", output.detach()))
            for (i, p) in parameters.enumerated() { results.append(("gradient \(i) step \(step)", p.grad!)) }
            adam.step()
        }
        for (i, p) in parameters.enumerated() { results.append(("parameter \(i)", p.detach())) }

        let x = Tensor.normal([300, 257], generator: generator).requiringGrad()
        let y = Tensor.normal([257], generator: generator)
        let mixed = (x.exp() * y + x.tanh() - x.gelu() + x.sigmoid() * x.softplus() + (x * y).clamped(min: -1, max: 1)).relu()
        let index = Tensor((0..<600).map { ($0 * 37) % 257 }, shape: [600])
        let picked = x.indexSelect(axis: 1, index: index)
        let gathered = x.gather(axis: 1, index: Tensor((0..<(300 * 40)).map { ($0 * 13) % 257 }, shape: [300, 40]))
        let total = mixed.sum() + picked.square().sum() + gathered.sum() + x.softmax(axis: 1).max()
        total.backward()
        results += [
            ("element-wise", mixed.detach()), ("index select", picked.detach()), ("gather", gathered.detach()),
            ("row sums", x.detach().sum(axis: 1)), ("column maxima", x.detach().max(axis: 0).values),
            ("log-softmax", x.detach().logSoftmax(axis: 1)), ("bfloat16 round trip", x.detach().to(.bfloat16).to(.float32)),
            ("input gradient", x.grad!),
        ]
        return results
    }

    @Test func everyLevelAgreesWithTheBaseline() {
        let baseline = VectorLevel.run(at: .baseline) { Self.everyKernelFamily() }
        for level in VectorLevel.available where level > .baseline {
            let wide = VectorLevel.run(at: level) { Self.everyKernelFamily() }
            for ((name, narrow), (_, widened)) in zip(baseline, wide) {
                expectClose(widened, narrow, rtol: 1e-4, atol: 1e-5, "\(level) vs baseline: \(name)")
            }
        }
    }

    @Test func argmaxIsTheSameAtEveryLevel() {
        let x = Tensor.normal([513, 301], generator: RandomGenerator(seed: 6))
        let expected = VectorLevel.run(at: .baseline) { x.argmax(axis: 1).toArray(Int.self) }
        for level in VectorLevel.available {
            #expect(VectorLevel.run(at: level) { x.argmax(axis: 1).toArray(Int.self) } == expected, "\(level)")
        }
    }

    /// The levels run different code, in the worker threads too: the baseline has no fused
    /// multiply-add, so an Adam step rounds differently in (almost) every block of elements,
    /// whichever thread updated it.
    @Test func theLevelsRunDifferentCodeOnEveryThread() {
        #expect(VectorLevel.run(at: .baseline) { VectorLevel.current } == .baseline)
        #expect(VectorLevel.run(at: .avx512) { VectorLevel.current } == VectorLevel.supported)
        guard VectorLevel.supported >= .avx2 else { return }
        func adamStep() -> [Float] {
            let generator = RandomGenerator(seed: 7)
            let parameter = Tensor.normal([200_000], generator: generator).requiringGrad()
            parameter.grad = Tensor.normal([200_000], generator: generator)
            Adam([parameter], lr: 0.01).step()
            return parameter.detach().toArray(Float.self)
        }
        let narrow = VectorLevel.run(at: .baseline) { adamStep() }
        let wide = VectorLevel.run(at: .avx2) { adamStep() }
        let block = 4096
        for start in stride(from: 0, to: narrow.count, by: block) {
            let end = min(start + block, narrow.count)
            #expect(narrow[start..<end] != wide[start..<end], "elements \(start)..<\(end) are the same at both levels")
        }
    }
}
