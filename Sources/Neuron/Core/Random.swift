import Glibc

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64). The same
/// seed gives the same numbers on every machine. The single draws (`next`, `nextUnit`, …) are
/// not synchronised; the tensor factories (`Tensor.uniform`, `normal`, `bernoulli`,
/// `permutation`, `randint`) hold the generator for their whole fill, so threads sharing one
/// (the default generator) never interleave inside a draw.
public final class RandomGenerator {
    var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()

    public init(seed: UInt64) { reseed(seed) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the generator to itself (other threads' `exclusive` calls wait).
    public func exclusive<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Restarts the sequence from `seed`.
    public func reseed(_ seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let words = (splitMix(), splitMix(), splitMix(), splitMix())
        exclusive { state = words }
    }

    /// The generator's full state, to save in a checkpoint.
    public var stateWords: [UInt64] {
        get { [state.0, state.1, state.2, state.3] }
        set {
            precondition(newValue.count == 4, "RandomGenerator: state has 4 words, got \(newValue.count)")
            state = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    @inline(__always)
    public func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Shuffles `values` in place by Fisher–Yates (the draws `Tensor.permutation` makes).
    public func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        exclusive {
            for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, next(below: i + 1)) }
        }
    }

    /// Uniform integer in 0..<bound (Lemire's unbiased method).
    public func next(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Standard normal (Box–Muller; one draw per call for reproducibility).
    public func nextNormal() -> Double {
        let u1 = 1 - nextUnit(), u2 = nextUnit()
        return (-2 * Glibc.log(u1)).squareRoot() * Glibc.cos(2 * Double.pi * u2)
    }
}

/// The process-wide default generator used when none is passed.
public enum Random {
    public static let generator = RandomGenerator(seed: 0)

    /// Reseeds the default generator (PyTorch's `torch.manual_seed`).
    public static func seed(_ seed: UInt64) { generator.reseed(seed) }
}

extension Tensor {
    static func generated(
        _ shape: [Int], dtype: DType, device: Device, _ op: String, _ generator: RandomGenerator,
        _ distribution: RandomDistribution
    ) -> Tensor {
        precondition(dtype.isFloatingPoint, "\(op): needs a floating-point type, got \(dtype)")
        let out = Tensor(uninitialized: shape, dtype: dtype, device: device)
        device.backend.fillRandom(out, distribution, generator: generator)
        return out
    }

    /// Uniform samples in [low, high). On the CPU a seed gives the same numbers everywhere;
    /// a GPU draws one key from `generator` and fills with a counter-based generator.
    public static func uniform(
        _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32, device: Device = .default,
        generator: RandomGenerator = Random.generator
    ) -> Tensor {
        generated(shape, dtype: dtype, device: device, "uniform", generator, .uniform(low: low, high: high))
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(
        _ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32, device: Device = .default,
        generator: RandomGenerator = Random.generator
    ) -> Tensor {
        generated(shape, dtype: dtype, device: device, "normal", generator, .normal(mean: mean, std: std))
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(
        _ shape: [Int], p: Double, dtype: DType = .float32, device: Device = .default,
        generator: RandomGenerator = Random.generator
    ) -> Tensor {
        precondition(p >= 0 && p <= 1, "bernoulli: probability \(p) is outside [0, 1]")
        return generated(shape, dtype: dtype, device: device, "bernoulli", generator, .bernoulli(p: p))
    }

    /// A random ordering of 0..<n (int64), by Fisher–Yates.
    public static func permutation(_ n: Int, generator: RandomGenerator = Random.generator) -> Tensor {
        var values = Array(0..<n)
        generator.shuffle(&values)
        return Tensor(values)
    }

    /// Uniform integers in low..<high (int64).
    public static func randint(
        _ low: Int, _ high: Int, _ shape: [Int],
        generator: RandomGenerator = Random.generator
    ) -> Tensor {
        precondition(high > low, "randint: empty range \(low)..<\(high)")
        let n = shape.reduce(1, *)
        return Tensor(generator.exclusive { (0..<n).map { _ in low + generator.next(below: high - low) } }, shape: shape)
    }
}
