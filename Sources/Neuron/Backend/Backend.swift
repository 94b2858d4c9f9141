/// Element-wise unary kernels; raw values match the kernel library's `nk_unary_op`.
enum UnaryKernel: Int32 {
    case neg, exp, log, sqrt, rsqrt, abs, sign, sigmoid, tanh, relu, leakyRelu, elu, gelu
    case geluTanh, silu, softplus, erf, clamp, step, square, reciprocal, log1p, expm1, sin, cos
}

/// Element-wise binary kernels; raw values match `nk_binary_op` (the activations' gradients:
/// the CPU only).
enum BinaryKernel: Int32 {
    case add, sub, mul, div, pow, maximum, minimum, maskPositive, geluGrad, sigmoidGrad, tanhGrad
}

/// Comparisons; raw values match `nk_compare_op`.
enum CompareKernel: Int32 {
    case eq, ne, lt, le, gt, ge
}

/// The random distributions a backend fills tensors from.
enum RandomDistribution {
    case uniform(low: Double, high: Double)
    case normal(mean: Double, std: Double)
    /// 1 with probability p, else 0.
    case bernoulli(p: Double)
}

/// The device half of the contract: memory, transfers, random numbers and ordering.
///
/// A tensor's storage is an opaque address that only its backend interprets; nothing outside
/// the backend reads it as a host pointer.
protocol DeviceBackend: AnyObject {
    var device: Device { get }
    /// At least `byteCount` bytes; returns the address and the capacity actually reserved.
    func allocate(byteCount: Int) -> (address: UInt, capacity: Int)
    func release(address: UInt, capacity: Int)
    /// Copies `byteCount` host bytes into the contiguous tensor `destination`.
    func upload(_ source: UnsafeRawPointer, byteCount: Int, into destination: Tensor)
    /// Copies the contiguous tensor `source` into host memory (waiting for queued work).
    func download(_ source: Tensor, into destination: UnsafeMutableRawPointer, byteCount: Int)
    /// Fills the contiguous floating-point tensor with samples drawn with `generator`.
    func fillRandom(_ x: Tensor, _ distribution: RandomDistribution, generator: RandomGenerator)
    /// Waits until every queued kernel has finished (and reports their errors).
    func synchronize()
}

/// The contract every device implements. Ops check shapes and record autograd; a backend
/// only computes, always into fresh contiguous outputs unless the method says otherwise.
protocol Backend: DeviceBackend {
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
    /// out[batch] = op(a[batch]) · op(b[batch]) for matrices described by `MatrixOperand`s;
    /// `accumulate` adds the product to what `out` holds instead.
    func matmul(
        _ a: MatrixOperand, _ b: MatrixOperand, into out: Tensor, batchOffsets: [(Int, Int)],
        m: Int, n: Int, k: Int, accumulate: Bool)
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
    /// Per-channel mean and biased variance of a contiguous x viewed as [n, c, inner], as
    /// float64 tensors [c] on this device.
    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: Tensor, variance: Tensor)
    /// Σ gy and Σ gy·(x − mean) per channel (float64 [c]).
    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: Tensor, n: Int, c: Int, inner: Int) -> (sum: Tensor, dot: Tensor)
    /// a[ch]·u + b[ch]·v + d[ch], with v (and b) optional; a, b, d are float64 [c].
    func channelAffine(_ u: Tensor, _ v: Tensor?, a: Tensor, b: Tensor?, d: Tensor, n: Int, c: Int, inner: Int) -> Tensor
    func maxPool(_ x: Tensor, outputSize: (Int, Int), _ pool: PoolGeometry) -> (values: Tensor, indices: Tensor)
    func windowAverage(_ source: Tensor, _ rows: Windows, _ cols: Windows, backward: Bool, inputShape: [Int]) -> Tensor
    /// One fused Adam/AdamW step in place on dense float32 tensors.
    func adam(
        _ parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool, step: Int)
    /// `adam` for many parameters with shared hyperparameters (each with its own step).
    func adam(
        _ tensors: [FusedUpdates.AdamTensors], lr: Double, beta1: Double, beta2: Double, eps: Double,
        weightDecay: Double, decoupled: Bool)
    /// One fused SGD step in place (PyTorch's arithmetic); `momentumBuffer` is nil without momentum.
    func sgd(
        _ parameter: Tensor, grad: Tensor, momentumBuffer: Tensor?, lr: Double, momentum: Double,
        dampening: Double, weightDecay: Double, nesterov: Bool, firstStep: Bool)
    /// A one-hot int64 encoding [n, classes] of int64 class indices.
    func oneHot(_ classes: Tensor, width: Int) -> Tensor
    /// Runs a recurrent cell over all steps: every step's states [T, S, N, H], and what the
    /// backward pass needs (the gates, in the backend's own layout).
    func recurrenceForward(_ cell: RecurrentCell, _ io: RecurrenceTensors) -> (states: Tensor, saved: Tensor)
    /// Backward through time from dy = ∂L/∂states into the gradients of the step's inputs.
    func recurrenceBackward(_ cell: RecurrentCell, _ io: RecurrenceTensors, dy: Tensor, grads: RecurrenceGradients)
    /// Softmax (or log-softmax) over the last axis of a float tensor seen as [rows, width] in
    /// one pass, or nil where the backend composes it from other ops instead.
    func fusedSoftmax(_ x: Tensor, rows: Int, width: Int, log: Bool) -> Tensor?
    /// Layer norm of a float tensor seen as [rows, width] with optional weight and bias [width]
    /// in one pass: the output and each row's mean and 1/√(var + eps); nil where composed.
    func fusedLayerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, rows: Int, width: Int, eps: Double)
        -> (output: Tensor, mean: Tensor, rstd: Tensor)?
    /// Its first-order gradients for the output gradient `g`: dx, and dweight and dbias when
    /// weight is given.
    func fusedLayerNormBackward(_ g: Tensor, _ x: Tensor, weight: Tensor?, mean: Tensor, rstd: Tensor, rows: Int, width: Int)
        -> (dx: Tensor, dweight: Tensor?, dbias: Tensor?)
}

extension Backend {
    /// One tensor after another.
    func adam(
        _ tensors: [FusedUpdates.AdamTensors], lr: Double, beta1: Double, beta2: Double, eps: Double,
        weightDecay: Double, decoupled: Bool
    ) {
        for t in tensors {
            adam(
                t.parameter, grad: t.grad, expAvg: t.expAvg, expAvgSq: t.expAvgSq, maxExpAvgSq: t.maxExpAvgSq,
                lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: decoupled, step: t.step)
        }
    }

    func fusedSoftmax(_ x: Tensor, rows: Int, width: Int, log: Bool) -> Tensor? { nil }
    func fusedLayerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, rows: Int, width: Int, eps: Double)
        -> (output: Tensor, mean: Tensor, rstd: Tensor)?
    { nil }
    func fusedLayerNormBackward(_ g: Tensor, _ x: Tensor, weight: Tensor?, mean: Tensor, rstd: Tensor, rows: Int, width: Int)
        -> (dx: Tensor, dweight: Tensor?, dbias: Tensor?)
    { preconditionFailure("layerNorm: \(device) has no fused layer norm") }

    /// A dense copy of `x` on this device.
    func contiguousCopy(_ x: Tensor) -> Tensor {
        let out = Tensor(uninitialized: x.shape, dtype: x.dtype, device: device)
        copy(x, into: out)
        return out
    }
}

/// The contiguous operands of a fused recurrence (see `Tensor.recurrence`).
struct RecurrenceTensors {
    let steps: Int, n: Int, hidden: Int
    let projections: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor?, h0: Tensor, c0: Tensor?, active: Tensor?
    /// Filled by the forward pass: every step's states and the gate activations.
    var states: Tensor?, gates: Tensor?
}

/// The gradients the backward recurrence writes.
struct RecurrenceGradients {
    let projections: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor?, h0: Tensor, c0: Tensor?
}

/// A matrix inside a tensor, read directly (or transposed) without a copy.
struct MatrixOperand {
    let tensor: Tensor
    let transposed: Bool
    let leadingDimension: Int
}

extension Backend {
    /// out[batch] = op(a[batch]) · op(b[batch]), overwriting `out`.
    func matmul(_ a: MatrixOperand, _ b: MatrixOperand, into out: Tensor, batchOffsets: [(Int, Int)], m: Int, n: Int, k: Int) {
        matmul(a, b, into: out, batchOffsets: batchOffsets, m: m, n: n, k: k, accumulate: false)
    }
}
