import Testing

@testable import Neuron

@Suite struct AutogradTests {
    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
        (x * x).sum().backward()
        (x * 3).sum().backward()
        #expect(x.grad!.toArray(Double.self) == [5, 7, 9])
    }

    @Test func sharedInputsGetSeparateGradientMemory() {
        let a = Tensor([1, 2] as [Float]).requiringGrad(), b = Tensor([3, 4] as [Float]).requiringGrad()
        (a + b).sum().backward()
        #expect(a.grad !== b.grad)
        #expect(a.grad!.storage !== b.grad!.storage)
    }

    @Test func broadcastGradientsAreReduced() {
        let x = Tensor.ones([2, 3]).requiringGrad(), bias = Tensor.ones([3]).requiringGrad()
        let scale = Tensor.ones([2, 1]).requiringGrad()
        ((x + bias) * scale).sum().backward()
        #expect(bias.grad!.shape == [3] && bias.grad!.toArray(Float.self) == [2, 2, 2])
        #expect(scale.grad!.shape == [2, 1] && scale.grad!.toArray(Float.self) == [6, 6])
    }

    @Test func noGradRecordsNothing() {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        let y = noGrad { x * 2 }
        #expect(!y.requiresGrad && y.isLeaf)
        let z = x.detach() * 2
        #expect(!z.requiresGrad)
        #expect(GradMode.isEnabled)
    }

    @Test func seededBackwardOfNonScalar() {
        let x = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
        (x * x).backward(Tensor([1, 0, 2], dtype: .float64))
        #expect(x.grad!.toArray(Double.self) == [2, 0, 12])
    }

    @Test func functionalGradientsLeaveGradUntouched() {
        let x = Tensor([2], dtype: .float64).requiringGrad(), unused = Tensor([5], dtype: .float64).requiringGrad()
        let y = x.pow(3).sum()
        let (g, gUnused) = {
            let r = gradients(of: y, wrt: [x, unused], createGraph: true)
            return (r[0], r[1])
        }()
        #expect(g.item() == 12 && gUnused.item() == 0)
        #expect(x.grad == nil)
        let g2 = gradients(of: g.sum(), wrt: [x], createGraph: true)[0]
        #expect(g2.item() == 12)
        let g3 = gradients(of: g2.sum(), wrt: [x])[0]
        #expect(g3.item() == 6)
    }

    @Test func graphIsFreedAfterBackward() {
        let x = Tensor.ones([4]).requiringGrad()
        let y = (x.exp() * 2).sum()
        y.backward()
        #expect(y.node?.inputs.isEmpty ?? true)
        #expect(y.node?.rule == nil)
    }

    @Test func deepGraphsDoNotOverflowTheStack() {
        let x = Tensor([1], dtype: .float64).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        #expect(abs(x.grad!.item() - Foundation_pow(1.0001, 20_000)) < 1e-6)
    }

    @Test func memoryStaysFlatOverTrainingSteps() async {
        // In a child process, so that other tests' tensors do not move the process-wide count.
        await #expect(processExitsWith: .success) { AutogradTests.trainAndCheckMemory() }
    }

    /// A small regression trained by hand: after warm-up, live tensor memory must not grow.
    static func trainAndCheckMemory() {
        let generator = RandomGenerator(seed: 11)
        let w1 = Tensor.normal([8, 16], std: 0.3, generator: generator).requiringGrad()
        let b1 = Tensor.zeros([16]).requiringGrad()
        let w2 = Tensor.normal([16, 1], std: 0.3, generator: generator).requiringGrad()
        let inputs = Tensor.normal([32, 8], generator: generator)
        let targets = inputs.sum(axis: 1, keepDims: true).tanh()
        func step() -> Double {
            let hidden = (inputs.matmul(w1) + b1).relu()
            let loss = (hidden.matmul(w2) - targets).square().mean()
            loss.backward()
            noGrad {
                for p in [w1, b1, w2] {
                    p.assign(p - p.grad! * 0.05)
                    p.grad = nil
                }
            }
            return loss.item()
        }
        let first = step()
        for _ in 0..<100 { _ = step() }
        let baseline = Memory.liveBytes
        var last = 0.0
        for _ in 0..<10_000 { last = step() }
        precondition(Memory.liveBytes == baseline, "live bytes grew from \(baseline) to \(Memory.liveBytes)")
        precondition(last < first * 0.5, "loss did not fall: \(first) -> \(last)")
    }
}

private func Foundation_pow(_ a: Double, _ b: Double) -> Double { (0..<Int(b)).reduce(1.0) { r, _ in r * a } }
