import Foundation
import Testing

@testable import Neuron

/// Graph capture and replay: `make test` runs these on the emulated GPU, whose capture records
/// work without running it and whose synchronisation is refused while capturing, as CUDA's is.
@Suite(.enabled(if: Device.default.isCUDA, "needs a CUDA device (make test uses the emulated one)"))
struct CUDAGraphTests {
    @Test func replaysTheRecordedWorkOnNewInputs() {
        let w = Tensor.normal([5, 3], generator: RandomGenerator(seed: 1))
        let x = Tensor.zeros([4, 5])
        var y: Tensor!
        let graph = CUDAGraph(device: x.device) { y = (x.matmul(w) + 1).relu().sum(axis: 1) }!
        #expect(!graph.drewRandomNumbers)
        for seed in [2, 3] {
            let batch = Tensor.normal([4, 5], generator: RandomGenerator(seed: UInt64(seed)))
            x.assign(batch)
            graph.replay()
            expectClose(y, (batch.matmul(w) + 1).relu().sum(axis: 1))
        }
    }

    @Test func memoryOfTheCaptureIsNeverHandedOutAgain() {
        let x = Tensor.ones([300])
        var y: Tensor!
        // The intermediates are released when the capture ends; replays still write them.
        let graph = CUDAGraph(device: x.device) { y = ((x * 2).exp() * 3).log() }!
        let others = (0..<16).map { _ in Tensor.full([300], 7) }
        graph.replay()
        graph.replay()
        for t in others { #expect(t.toArray(Float.self).allSatisfy { $0 == 7 }) }
        expectClose(y, Tensor.full([300], 2 + Foundation.log(3.0)))
    }

    @Test func randomNumbersAreReported() {
        var y: Tensor!
        let graph = CUDAGraph(device: .default) { y = Tensor.uniform([8], generator: RandomGenerator(seed: 4)) }!
        #expect(graph.drewRandomNumbers && y.shape == [8])
    }

    @Test func aBodyThatNeedsValuesOnTheHostRunsOpByOp() {
        let x = Tensor.full([3], 1)
        var total = 0.0
        var y: Tensor!
        let graph = CUDAGraph(device: x.device) {
            y = x * 2
            total = y.sum().item()
            y = y + Tensor([total, total, total], device: x.device)
        }
        #expect(graph == nil && total == 6 && y.toArray(Float.self) == [8, 8, 8])
        // The stream captures again afterwards.
        var z: Tensor!
        let next = CUDAGraph(device: x.device) { z = x + 1 }
        next?.replay()
        #expect(next != nil && z.toArray(Float.self) == [2, 2, 2])
    }
}
