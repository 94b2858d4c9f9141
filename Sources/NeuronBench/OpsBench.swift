import Neuron

/// Micro-benchmarks of the tensor core: GEMM throughput, per-op and per-step overhead,
/// and memory bandwidth of a large element-wise op.
public enum OpsBench {
    public static func run() -> [BenchResult] {
        [matmul(1024), addOverhead(), mlpStepOverhead(), add1M(), conv()]
    }

    /// Float32 3×3 convolution forward, N64 C32→64 14×14, padding 1.
    public static func conv() -> BenchResult {
        let generator = RandomGenerator(seed: 4)
        let x = Tensor.normal([64, 32, 14, 14], generator: generator), w = Tensor.normal([64, 32, 3, 3], generator: generator)
        let seconds = medianTime(runs: 20) { _ = x.conv2d(w, padding: .explicit(1, 1)) }
        return BenchResult("conv_n64_32x64_14x14", [("gflops", 2.0 * 64 * 64 * 14 * 14 * 32 * 9 / seconds / 1e9)])
    }

    /// Float32 matmul of two n × n matrices.
    public static func matmul(_ n: Int) -> BenchResult {
        let generator = RandomGenerator(seed: 1)
        let a = Tensor.normal([n, n], generator: generator), b = Tensor.normal([n, n], generator: generator)
        let seconds = medianTime(runs: 50, warmup: 5) { _ = a.matmul(b) }
        return BenchResult("matmul_\(n)", [("gflops", 2 * Double(n * n * n) / seconds / 1e9)])
    }

    /// a + b on two 1-element tensors: the fixed cost of one op.
    public static func addOverhead() -> BenchResult {
        let a = Tensor([1] as [Float]), b = Tensor([2] as [Float])
        let count = 200_000
        let seconds = medianTime(runs: 5, warmup: 1) {
            for _ in 0..<count { _ = a + b }
        }
        return BenchResult("add_1x1_overhead", [("us_per_op", seconds / Double(count) * 1e6)])
    }

    /// Forward and backward of a Linear(10, 10) on a batch of 1 with loss = sum.
    public static func mlpStepOverhead() -> BenchResult {
        let generator = RandomGenerator(seed: 2)
        let weight = Tensor.uniform([10, 10], low: -0.3, high: 0.3, generator: generator).requiringGrad()
        let bias = Tensor.uniform([10], low: -0.3, high: 0.3, generator: generator).requiringGrad()
        let input = Tensor.normal([1, 10], generator: generator)
        let steps = 20_000
        let seconds = medianTime(runs: 5, warmup: 1) {
            for _ in 0..<steps {
                weight.grad = nil
                bias.grad = nil
                let loss = (input.matmul(weight.T) + bias).sum()
                loss.backward()
            }
        }
        return BenchResult("mlp_step_overhead", [("us_per_step", seconds / Double(steps) * 1e6)])
    }

    /// c = a + b on 1,000,000 floats: 12 MB moved per op.
    public static func add1M() -> BenchResult {
        let generator = RandomGenerator(seed: 3)
        let a = Tensor.normal([1_000_000], generator: generator), b = Tensor.normal([1_000_000], generator: generator)
        let seconds = medianTime(runs: 200, warmup: 10) { _ = a + b }
        return BenchResult("add_1M", [("gb_per_s", 12e6 / seconds / 1e9)])
    }
}
