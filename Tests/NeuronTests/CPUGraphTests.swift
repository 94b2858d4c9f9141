import Foundation
import Testing

@testable import Neuron

/// A recorded graph replays its kernels on whatever its input tensors hold, with the results
/// of running the same code eagerly; what it cannot replay, it refuses.
@Suite(.enabled(if: Device.default.isCPU, "records CPU kernels")) struct CPUGraphTests {
    static func forwardAndBackward(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        let y = (x.matmul(w) + b).relu().softmax(axis: 1)
        let loss = (y * y).sum() + y.max(axis: 1).values.mean()
        loss.backward()
        return (y, loss)
    }

    @Test func replaysOnNewInputsAsEagerCode() throws {
        let generator = RandomGenerator(seed: 3)
        let w = Tensor.normal([7, 5], generator: generator).requiringGrad(), b = Tensor.normal([5], generator: generator).requiringGrad()
        let input = Tensor.zeros([4, 7])
        var y: Tensor!, loss: Tensor!
        let graph = try #require(CPUGraph { (y, loss) = Self.forwardAndBackward(input, w, b) })
        let gradient = try #require(w.grad)
        #expect(graph.kernelCount > 5 && !graph.drewRandomNumbers)
        for _ in 0..<3 {
            let batch = Tensor.normal([4, 7], generator: generator)
            input.assign(batch)
            graph.replay()
            w.grad = nil
            b.grad = nil
            let (eagerY, eagerLoss) = Self.forwardAndBackward(batch, w, b)
            #expect(y.toArray(Float.self) == eagerY.toArray(Float.self))
            #expect(loss.item() == eagerLoss.item())
            #expect(gradient.toArray(Float.self) == w.grad!.toArray(Float.self))
        }
    }

    @Test func refusesWhatItCannotReplay() {
        let x = Tensor.normal([3, 3])
        #expect(CPUGraph { _ = (x * 2).sum().item() } == nil)
        #expect(CPUGraph { _ = Tensor([1, 2, 3] as [Float]) } == nil)
        #expect(CPUGraph { _ = Tensor.normal([2]) }?.drewRandomNumbers == true)
        #expect(!CPUGraph.isRecording)
        var inside = false
        _ = CPUGraph { inside = CPUGraph.isRecording }
        #expect(inside)
    }

    /// Kernels issued on other threads while a graph records are not part of it.
    @Test func recordsOnlyItsOwnThread() async throws {
        let x = Tensor.normal([100])
        let graph = try #require(
            CPUGraph {
                _ = x + 1
                let other = Thread { _ = x * 3 }
                other.start()
                while !other.isFinished {}
            })
        #expect(graph.kernelCount == 2)  // the scalar's fill and the add
    }
}
