import Testing

@testable import Neuron

@Suite struct TensorTests {
    @Test func creation() {
        #expect(Tensor.zeros([2, 3]).toArray(Float.self) == [Float](repeating: 0, count: 6))
        #expect(Tensor.full([2], 7, dtype: .int64).toArray(Int.self) == [7, 7])
        #expect(Tensor.arange(0, 5).toArray(Float.self) == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25, dtype: .float64).toArray(Double.self) == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.linspace(0, 1, count: 5).toArray(Float.self) == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.eye(2, 3).toArray(Float.self) == [1, 0, 0, 0, 1, 0])
        #expect(Tensor([true, false]).toArray(Bool.self) == [true, false])
        #expect(Tensor(3.5).shape == [] && Tensor(3.5).item() == 3.5)
    }

    @Test func doubleLiteralsAreFloat32LikeTheFactories() {
        #expect(Tensor([0.5, 1.5]).dtype == .float32 && Tensor([0.5, 1.5], shape: [2, 1]).dtype == .float32)
        #expect(Tensor([0.5, 1.5], dtype: .float64).dtype == .float64)
        #expect(Tensor([0.1], dtype: .float64).toArray(Double.self) == [0.1])
        #expect(Tensor([3.7, -2], dtype: .int64).toArray(Int.self) == [3, -2])
        #expect(Tensor([1, 2] as [Float]).dtype == .float32 && Tensor([1, 2]).dtype == .int64 && Tensor([true]).dtype == .bool)
        let product = Tensor([1.0, 2.0], shape: [1, 2]).matmul(Tensor.ones([2, 3]))
        #expect(product.dtype == .float32 && product.toArray(Float.self) == [3, 3, 3])
        #expect((Tensor([0.5, 1.5]) + Tensor.normal([2])).dtype == .float32)
        #expect(Tensor.arange(16_777_217, 16_777_218, dtype: .int64).toArray(Int.self) == [16_777_217])
    }

    @Test func viewsShareStorage() {
        let x = Tensor.arange(0, 12).reshaped([3, 4])
        let t = x.T
        #expect(t.storage === x.storage && t.shape == [4, 3] && t.strides == [1, 4] && !t.isContiguous)
        let s = x[1..., stride(from: 0, to: 4, by: 2)]
        #expect(s.storage === x.storage && s.toArray(Float.self) == [4, 6, 8, 10])
        let e = Tensor([1, 2] as [Float]).reshaped([2, 1]).expanded(to: [2, 3])
        #expect(e.strides == [1, 0] && e.toArray(Float.self) == [1, 1, 1, 2, 2, 2])
        #expect(x.unsqueezed(axis: 1).storage === x.storage && x.unsqueezed(axis: 1).shape == [3, 1, 4])
        #expect(t.contiguous().isContiguous && t.contiguous().storage !== x.storage)
        #expect(x.contiguous() === x)
        // A transposed view reshaped to its own flat order needs a copy; a squeeze does not.
        #expect(t.reshaped([12]).toArray(Float.self) == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        #expect(x[.all, 1].toArray(Float.self) == [1, 5, 9])
        #expect(x[-1, .newAxis].shape == [1, 4])
    }

    @Test func splitAndChunk() {
        let x = Tensor.arange(0, 10)
        #expect(x.split(size: 4).map { $0.count } == [4, 4, 2])
        #expect(x.chunked(3).map { $0.toArray(Float.self) } == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    }

    @Test func integerAndBooleanArithmetic() {
        let labels = Tensor([1, 2, 3]), predictions = Tensor([1, 0, 3])
        #expect((labels .== predictions).sum().item() == 2)
        #expect((labels + predictions).toArray(Int.self) == [2, 2, 6])
        #expect((labels / 2).toArray(Float.self) == [0.5, 1, 1.5])
        #expect((labels * 2.5).dtype == .float32)
        #expect(Tensor([true, true, false]).sum().item() == 2)
    }

    @Test func randomIsReproducible() {
        let a = Tensor.normal([100], generator: RandomGenerator(seed: 5))
        let b = Tensor.normal([100], generator: RandomGenerator(seed: 5))
        #expect(a.toArray(Float.self) == b.toArray(Float.self))
        let n = Tensor.normal([20_000], mean: 1, std: 2, dtype: .float64, generator: RandomGenerator(seed: 1))
        #expect(abs(n.mean().item() - 1) < 0.05 && abs(n.std().item() - 2) < 0.05)
        let u = Tensor.uniform([20_000], low: -1, high: 3, generator: RandomGenerator(seed: 2))
        #expect(u.min().item() >= -1 && u.max().item() < 3 && abs(u.mean().item() - 1) < 0.05)
        let coin = Tensor.bernoulli([20_000], p: 0.3, generator: RandomGenerator(seed: 3))
        #expect(abs(coin.mean().item() - 0.3) < 0.02)
        let perm = Tensor.permutation(50, generator: RandomGenerator(seed: 4)).toArray(Int.self)
        #expect(perm.sorted() == Array(0..<50) && perm != Array(0..<50))
        Random.seed(9)
        let first = Tensor.uniform([3]).toArray(Float.self)
        Random.seed(9)
        #expect(Tensor.uniform([3]).toArray(Float.self) == first)
    }

    @Test func printsLikePyTorch() {
        #expect("\(Tensor([1.5, -2, 0.25] as [Float]))" == "tensor([ 1.5000, -2.0000,  0.2500])")
        #expect("\(Tensor([1, 2, 3, 4] as [Float], shape: [2, 2]))" == "tensor([[1., 2.],\n        [3., 4.]])")
        #expect("\(Tensor([1, 20]))" == "tensor([ 1, 20])")
        #expect("\(Tensor([0.5], dtype: .float64))" == "tensor([0.5000], dtype=float64)")
        #expect("\(Tensor([1] as [Float]).requiringGrad())" == "tensor([1.], requiresGrad=true)")
        let big = "\(Tensor.arange(2, 1004).reshaped([2, 501]))"
        #expect(big == "tensor([[   2.,    3.,    4.,  ...,  500.,  501.,  502.],\n        [ 503.,  504.,  505.,  ..., 1001., 1002., 1003.]])")
        #expect("\(Tensor([1e-5, 1] as [Float]))" == "tensor([1.0000e-05, 1.0000e+00])")
    }

    @Test func largeTensorsUseBothThreadsAndAgree() {
        // Big enough to be split across threads: results must match the single-threaded ones.
        let x = Tensor.normal([300_000], generator: RandomGenerator(seed: 1))
        let parallel = (x.exp() + x * 2).sum().item()
        let saved = Threads.count
        Threads.count = 1
        let serial = (x.exp() + x * 2).sum().item()
        Threads.count = saved
        #expect(abs(parallel - serial) <= 1e-3 * abs(serial))
    }
}
