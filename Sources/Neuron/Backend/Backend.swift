/// Where a tensor's memory lives and which kernels compute on it.
public enum Device: Sendable, Equatable, CustomStringConvertible {
    case cpu

    public var description: String { "cpu" }

    var backend: CPUBackend { CPUBackend.shared }
}

/// Element-wise unary kernels; raw values match the kernel library's `nk_unary_op`.
enum UnaryKernel: Int32 {
    case neg, exp, log, sqrt, rsqrt, abs, sign, sigmoid, tanh, relu, leakyRelu, elu, gelu
    case geluTanh, silu, softplus, erf, clamp, step, square, reciprocal, log1p, expm1, sin, cos
}

/// Element-wise binary kernels; raw values match `nk_binary_op`.
enum BinaryKernel: Int32 {
    case add, sub, mul, div, pow, maximum, minimum, maskPositive
}

/// Comparisons; raw values match `nk_compare_op`.
enum CompareKernel: Int32 {
    case eq, ne, lt, le, gt, ge
}

/// The contract every device implements. Ops check shapes and record autograd; a backend
/// only computes, always into fresh contiguous outputs unless the method says otherwise.
protocol Backend {
    func unary(_ kernel: UnaryKernel, _ x: Tensor, _ p0: Double, _ p1: Double) -> Tensor
    /// Into `destination` when given (contiguous, of `shape`, and never a broadcast view of an
    /// operand other than an exact alias of `a`), else into a fresh tensor.
    func binary(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int], into destination: Tensor?) -> Tensor
    func compare(_ kernel: CompareKernel, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor
    func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor
    /// Copies `source` element by element into the (possibly strided) view `destination`.
    func copy(_ source: Tensor, into destination: Tensor)
    func cast(_ x: Tensor, to dtype: DType) -> Tensor
    func fill(_ x: Tensor, with value: Double)
    func sum(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int]) -> Tensor
    func extreme(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int], min: Bool)
        -> (values: Tensor, indices: Tensor)
    func gather(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int) -> Tensor
    func scatterAdd(
        into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int,
        axisSize: Int, inner: Int)
    func indexSelect(
        _ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int,
        shape: [Int]
    ) -> Tensor
    func indexAdd(
        into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int,
        axisSize: Int, inner: Int)
    /// out[batch] = op(a[batch]) · op(b[batch]) for matrices described by `MatrixOperand`s.
    func matmul(
        _ a: MatrixOperand, _ b: MatrixOperand, into out: Tensor, batchOffsets: [(Int, Int)],
        m: Int, n: Int, k: Int)
    /// The three products of a 2-D convolution on contiguous NCHW tensors: y = conv(x, w),
    /// its adjoint in x (the transposed convolution) and the weight gradient for x and dy.
    func convolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvGeometry, outputShape: [Int]) -> Tensor
    func convolutionAdjoint(_ y: Tensor, _ w: Tensor, _ geometry: ConvGeometry, inputShape: [Int]) -> Tensor
    func convolutionWeightGrad(_ x: Tensor, _ y: Tensor, _ geometry: ConvGeometry, weightShape: [Int]) -> Tensor
    /// Inference's fused convolution, clamp(conv(x, w) + bias + residual), float32, not recorded.
    func fusedConvolution(
        _ x: Tensor, _ w: Tensor, bias: Tensor?, residual: Tensor?, clamp: ClosedRange<Double>?, _ geometry: ConvGeometry,
        outputShape: [Int]
    ) -> Tensor
    /// Per-channel statistics and affine maps of a contiguous x viewed as [n, c, inner].
    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: [Double], variance: [Double])
    /// Σ gy and Σ gy·(x − mean) per channel.
    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: [Double], n: Int, c: Int, inner: Int) -> (sum: [Double], dot: [Double])
    /// a[ch]·u + b[ch]·v + d[ch], with v (and b) optional.
    func channelAffine(_ u: Tensor, _ v: Tensor?, a: [Double], b: [Double]?, d: [Double], n: Int, c: Int, inner: Int) -> Tensor
    func maxPool(_ x: Tensor, outputSize: (Int, Int), _ pool: PoolGeometry) -> (values: Tensor, indices: Tensor)
    func windowAverage(_ source: Tensor, _ rows: Windows, _ cols: Windows, backward: Bool, inputShape: [Int]) -> Tensor
    /// One fused Adam/AdamW step in place on dense float32 tensors.
    func adam(
        _ parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool, step: Int)
}

/// A matrix inside a tensor, read directly (or transposed) without a copy.
struct MatrixOperand {
    let tensor: Tensor
    let transposed: Bool
    let leadingDimension: Int
}
