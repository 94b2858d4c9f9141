import CNeuronKernels

/// The vector instructions the CPU kernels run with.
///
/// Each element-wise, reduction, pooling, normalisation, recurrence and optimiser kernel is
/// compiled for three levels and the widest one the processor runs is chosen when the program
/// starts. The `NEURON_CPU_ISA` environment variable (`avx512`, `avx2` or `baseline`) asks for
/// a narrower one, for oneDNN's GEMM and convolution kernels too — to measure on a wide machine
/// what a narrower one would run. ``run(at:_:)`` switches Neuron's own kernels for one thread
/// (and the worker threads its kernels start); tests use it to compare the variants.
public enum VectorLevel: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    /// x86-64's baseline (SSE2), or any processor other than x86-64.
    case baseline = 0
    /// AVX2 with FMA (x86-64-v3).
    case avx2 = 1
    /// AVX-512 F, BW, CD, DQ and VL (x86-64-v4).
    case avx512 = 2

    /// The widest level this processor runs.
    public static var supported: VectorLevel { VectorLevel(rawValue: Int(nk_supported_vector_level())) ?? .baseline }

    /// The level the kernels called from this thread run at.
    public static var current: VectorLevel { VectorLevel(rawValue: Int(nk_vector_level())) ?? .baseline }

    /// Runs `body` with this thread's kernels at `level` (or the widest supported level, if
    /// `level` is wider), then restores the previous level.
    public static func run<Result>(at level: VectorLevel, _ body: () throws -> Result) rethrows -> Result {
        let previous = nk_set_vector_level(Int32(level.rawValue))
        defer { nk_set_vector_level(previous) }
        return try body()
    }

    /// The levels this processor runs, narrowest first.
    public static var available: [VectorLevel] { allCases.filter { $0 <= supported } }

    public static func < (lhs: VectorLevel, rhs: VectorLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .baseline: "baseline"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}
