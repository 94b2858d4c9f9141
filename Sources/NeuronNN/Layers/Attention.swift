import Neuron

/// Scaled dot-product attention, softmax(Q Kᵀ / √d + mask) V, as PyTorch's
/// `F.scaled_dot_product_attention`: query [..., L, d], key [..., S, d], value [..., S, dv].
///
/// `mask` broadcasts to [..., L, S]: a bool tensor is true where a query may attend (PyTorch's
/// convention for this function), a floating one is added to the scores (−∞ excludes).
/// `isCausal` lets query i attend keys ≤ i only. A query whose keys are all excluded gets zero
/// weights and a zero output, never NaN. `dropout` applies to the weights when > 0. Returns
/// the output and the weights [..., L, S].
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, isCausal: Bool = false,
    dropout: Double = 0, generator: RandomGenerator = Random.generator
) -> (output: Tensor, weights: Tensor) {
    let d = query.shape.last ?? 0
    precondition(
        query.rank >= 2 && key.rank == query.rank && value.rank == query.rank && key.shape.last == d,
        "scaledDotProductAttention: query \(query.shape), key \(key.shape) and value \(value.shape) must be [..., L, d], [..., S, d], [..., S, dv]")
    precondition(
        key.shape[key.rank - 2] == value.shape[value.rank - 2],
        "scaledDotProductAttention: key \(key.shape) and value \(value.shape) differ in length")
    if let mask, mask.dtype == .bool {
        return attention(query, key, value, additive: nil, allowed: mask, isCausal: isCausal, dropout: dropout, generator: generator)
    }
    return attention(query, key, value, additive: mask, allowed: nil, isCausal: isCausal, dropout: dropout, generator: generator)
}

/// Attention with an additive mask and a bool mask of allowed keys (either may be nil).
func attention(
    _ query: Tensor, _ key: Tensor, _ value: Tensor, additive: Tensor?, allowed allowedMask: Tensor?, isCausal: Bool,
    dropout: Double, generator: RandomGenerator
) -> (output: Tensor, weights: Tensor) {
    let d = query.shape.last ?? 0
    let (l, s) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
    // Scaling the queries costs L·d multiplications instead of L·S.
    var scores = (query * (1 / Double(d).squareRoot())).matmul(key.transposed())
    // 1 where a query may attend, 0 where it may not; nil when every key is allowed.
    var allowed = allowedMask.map { $0.to(scores.dtype) }
    if isCausal {
        let causal = DeviceConstants.shared.tensor("causal \(l)x\(s) \(scores.dtype)", device: scores.device) {
            Tensor(Array((0..<(l * s)).map { $0 % s <= $0 / s ? 1.0 : 0.0 }), shape: [l, s], dtype: scores.dtype, device: $0)
        }
        allowed = allowed.map { $0 * causal } ?? causal
    }
    // Everything added to the scores, kept at the masks' (broadcast) shape: excluded keys sink
    // 1e30 below the rest, so exp gives exactly 0 for them, and −∞ in an additive mask becomes
    // −1e30 so that no sum turns into NaN.
    var bias = allowed.map { ($0 - 1) * 1e30 }
    if let additive {
        let values = additive.to(scores.dtype)
        let finite = (values .> -Double.greatestFiniteMagnitude).to(scores.dtype)
        allowed = allowed.map { $0 * finite } ?? finite
        bias = bias.map { $0 + values.maximum(-1e30) } ?? values.maximum(-1e30)
    }
    if let bias { scores = scores + bias }
    var weights = scores.softmax(axis: -1)
    // A query with no allowed key got uniform weights; zero them. Elsewhere the excluded keys'
    // weights are exactly 0 already, so the product changes nothing: on the CPU it is skipped
    // unless a row needs it (checked on the small mask); on a GPU it always runs, since the check
    // would wait for the device (and keep a step from replaying as a CUDA graph), as would it a
    // CPU graph.
    if let allowed, !weights.device.isCPU || CPUGraph.isRecording || allowed.sum(axis: -1).min().item() == 0 {
        weights = weights * allowed
    }
    if dropout > 0 {
        weights =
            weights
            * (Tensor.bernoulli(weights.shape, p: 1 - dropout, dtype: weights.dtype, device: weights.device, generator: generator)
                * (1 / (1 - dropout)))
    }
    return (weights.matmul(value), weights)
}

/// Multi-head attention with PyTorch's parameters and names: the query, key and value
/// projections packed in `in_proj_weight` [3E, E] and `in_proj_bias` [3E], then `out_proj`.
/// Inputs are [L, N, E] (sequence first, PyTorch's default) or [N, L, E] with `batchFirst`.
public final class MultiheadAttention: Module {
    @ParameterInfo public var inProjectionWeight: Tensor
    @ParameterInfo public var inProjectionBias: Tensor
    @ModuleInfo public var outProjection: Linear
    public let embedDim: Int, heads: Int, dropout: Double, batchFirst: Bool
    let generator: RandomGenerator

    /// Initialised as PyTorch: Xavier-uniform in-projection, zero biases, out-projection
    /// Kaiming-uniform weight and zero bias.
    public init(
        embedDim: Int, heads: Int, dropout: Double = 0, batchFirst: Bool = false, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(heads > 0 && embedDim % heads == 0, "MultiheadAttention: embedDim \(embedDim) must be divisible by heads \(heads)")
        (self.embedDim, self.heads, self.dropout, self.batchFirst, self.generator) = (embedDim, heads, dropout, batchFirst, generator)
        let bound = (6.0 / Double(embedDim + 3 * embedDim)).squareRoot()
        _inProjectionWeight = ParameterInfo(
            wrappedValue: Tensor.uniform(
                [3 * embedDim, embedDim], low: -bound, high: bound, dtype: dtype,
                generator: generator), key: "in_proj_weight")
        _inProjectionBias = ParameterInfo(wrappedValue: Tensor.zeros([3 * embedDim], dtype: dtype), key: "in_proj_bias")
        _outProjection = ModuleInfo(wrappedValue: Linear(embedDim, embedDim, dtype: dtype, generator: generator), key: "out_proj")
        super.init()
        noGrad { outProjection.bias?.zero() }
    }

    /// The attention output in the input's layout and, with `needWeights`, the weights
    /// [N, L, S] (averaged over heads, or [N, heads, L, S] when `averageWeights` is false).
    /// `keyPaddingMask` [N, S] (bool) is true at keys to ignore; `attentionMask` [L, S] or
    /// [N·heads, L, S] is true where attention is not allowed (bool) or added to the scores.
    public func callAsFunction(
        _ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil,
        attentionMask: Tensor? = nil, isCausal: Bool = false, needWeights: Bool = true,
        averageWeights: Bool = true
    ) -> (output: Tensor, weights: Tensor?) {
        precondition(
            query.rank == 3 && key.rank == 3 && value.rank == 3 && query.shape[2] == embedDim,
            "MultiheadAttention: expects query, key and value [\(batchFirst ? "N, L" : "L, N"), \(embedDim)], got \(query.shape), \(key.shape), \(value.shape)"
        )
        let q = batchFirst ? query : query.transposed(0, 1), k = batchFirst ? key : key.transposed(0, 1)
        let v = batchFirst ? value : value.transposed(0, 1)
        let (n, l, s, e) = (q.shape[0], q.shape[1], k.shape[1], embedDim)
        precondition(
            k.shape[0] == n && v.shape[0] == n && v.shape[1] == s,
            "MultiheadAttention: query \(query.shape), key \(key.shape) and value \(value.shape) disagree")
        let w = inProjectionWeight, b = inProjectionBias
        func project(_ x: Tensor, _ part: Int, _ length: Int) -> Tensor {
            let weight = w.narrowed(axis: 0, start: part * e, length: e), bias = b.narrowed(axis: 0, start: part * e, length: e)
            return (x.matmul(weight.T) + bias).reshaped([n, length, heads, e / heads]).transposed(1, 2)
        }
        // PyTorch's masks mark what is excluded; attention takes what is allowed.
        var additive: Tensor?, allowed: Tensor?
        if let attentionMask {
            let shaped = attentionMask.rank == 2 ? attentionMask : attentionMask.reshaped([n, heads, l, s])
            if attentionMask.dtype == .bool { allowed = (shaped .== 0) } else { additive = shaped }
        }
        if let keyPaddingMask {
            precondition(keyPaddingMask.shape == [n, s], "MultiheadAttention: keyPaddingMask must be [\(n), \(s)], got \(keyPaddingMask.shape)")
            let keep = (keyPaddingMask .== 0).to(q.dtype).reshaped([n, 1, 1, s])
            allowed = allowed.map { $0.to(q.dtype) * keep } ?? keep
        }
        let (attended, weights) = attention(
            project(q, 0, l), project(k, 1, s), project(v, 2, s), additive: additive, allowed: allowed,
            isCausal: isCausal, dropout: isTraining ? dropout : 0, generator: generator)
        var output = outProjection(attended.transposed(1, 2).reshaped([n, l, e]))
        if !batchFirst { output = output.transposed(0, 1) }
        guard needWeights else { return (output, nil) }
        return (output, averageWeights ? weights.mean(axis: 1) : weights)
    }
}
