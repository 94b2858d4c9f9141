import Testing

@testable import Neuron

@Suite struct GradientHookTests {
    @Test func gradientReadyFiresOncePerBackwardWithTheFinalGradient() {
        let w = Tensor([1.0, 2.0, 3.0], dtype: .float64).requiringGrad()
        let x = Tensor([0.5, -1.0, 2.0], dtype: .float64)
        var seen: [[Double]] = []
        let handle = w.onGradientReady { seen.append($0.grad!.toArray(Double.self)) }
        // w is used three times: the hook must see the sum of all three contributions, once.
        let loss = (w * x).sum() + (w * w).sum() + (w * 3).sum()
        loss.backward()
        #expect(seen.count == 1)
        let expected: [Double] = [5.5, 6, 11]  // x + 2w + 3
        #expect(seen[0] == expected)
        // A second backward accumulates into the same memory, and the hook sees the total.
        let first = w.grad!
        (w * x).sum().backward()
        #expect(seen.count == 2 && seen[1] == [6, 5, 13])
        #expect(w.grad === first && first.toArray(Double.self) == [6, 5, 13])
        handle.remove()
        (w * x).sum().backward()
        #expect(seen.count == 2)
    }

    @Test func hooksFireForEveryLeafOfAModelWhileBackwardRuns() {
        let a = Tensor.normal([4, 3]).requiringGrad(), b = Tensor.normal([3, 2]).requiringGrad()
        let input = Tensor.normal([5, 4])
        var order: [String] = []
        a.onGradientReady { _ in order.append("a") }
        b.onGradientReady { _ in order.append("b") }
        input.matmul(a).relu().matmul(b).sum().backward()
        // b's gradient is final before a's (it is nearer the output).
        #expect(order == ["b", "a"])
        // `gradients(of:wrt:)` leaves .grad alone and calls no hook.
        _ = gradients(of: input.matmul(a).sum(), wrt: [a])
        #expect(order.count == 2)
    }
}
