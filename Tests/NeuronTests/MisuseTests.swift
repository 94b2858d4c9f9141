import Testing

@testable import Neuron

/// Programmer errors stop the process with a message naming the op and the shapes.
@Suite struct MisuseTests {
    @Test func shapeMismatchInAdd() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]) + Tensor.ones([4])
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("add: shapes [2, 3] and [4] cannot be broadcast"))
    }

    @Test func shapeMismatchInMatmul() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]).matmul(Tensor.ones([4, 5]))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("matmul: shapes [2, 3] and [4, 5] do not match"))
    }

    @Test func backwardOfNonScalarWithoutSeed() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones([3]).requiringGrad()
            (x * 2).backward()
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("backward: the tensor of shape [3] is not a scalar"))
    }

    @Test func integerTensorCannotRequireGrad() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tensor([1, 2, 3]).requiresGrad = true
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("requiresGrad: only floating-point tensors can require gradients, got int64 tensor of shape [3]"))
    }

    @Test func secondBackwardThroughFreedGraph() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones([3]).requiringGrad()
            let y = x.exp().sum()
            y.backward()
            y.backward()
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("already freed"))
    }

    @Test func reshapeToWrongSize() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]).reshaped([4, 2])
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("reshape: cannot reshape a tensor of shape [2, 3] (6 elements) to [4, 2]"))
    }

    @Test func inPlaceUpdateOfParameterWhileRecording() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor.ones([2]).requiringGrad()
            w.assign(Tensor.zeros([2]))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("assign: in-place update of a tensor of shape [2] that requires a gradient"))
    }
}
