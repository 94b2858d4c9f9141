import Foundation
import Neuron
import Testing

@testable import NeuronNN

/// Attention and Transformer layers against PyTorch (Fixtures/make_attention_fixtures.py), and
/// their gradients against central differences.
@Suite struct AttentionTests {
    static let fixtures = NNFixtures.load("attention.safetensors")
    func f(_ name: String) -> Tensor { Self.fixtures.fixture(name) }
    func leaf(_ name: String) -> Tensor { f(name).copy().requiringGrad() }

    /// Backward of (out · g).sum(), then every input and parameter gradient against PyTorch's.
    func checkGradients(_ output: Tensor, case name: String, inputs: [(String, Tensor)], module: Module?) {
        (output * f("\(name).g")).sum().backward()
        for (input, tensor) in inputs {
            expectClose(tensor.grad ?? tensor.zerosLike(), f("\(name).grad_\(input)"), rtol: 1e-8, atol: 1e-10, "\(name) grad \(input)")
        }
        for (key, parameter) in module?.namedParameters() ?? [] {
            expectClose(parameter.grad ?? parameter.zerosLike(), f("\(name).grad.\(key)"), rtol: 1e-8, atol: 1e-10, "\(name) grad \(key)")
        }
    }

    @Test(arguments: ["sdpa_bool", "sdpa_additive"])
    func scaledDotProductAttentionMatchesPyTorch(_ name: String) {
        let q = leaf("\(name).q"), k = leaf("\(name).k"), v = leaf("\(name).v")
        let (output, weights) = scaledDotProductAttention(query: q, key: k, value: v, mask: f("\(name).mask"))
        #expect(!output.toArray(Double.self).contains { $0.isNaN }, "no NaN where a row has no key")
        expectClose(output, f("\(name).out"), rtol: 1e-10, atol: 1e-12, "\(name) output")
        expectClose(weights, f("\(name).weights"), rtol: 1e-10, atol: 1e-12, "\(name) weights")
        checkGradients(output, case: name, inputs: [("q", q), ("k", k), ("v", v)], module: nil)
    }

    @Test func causalAttentionMatchesPyTorch() {
        let q = leaf("sdpa_causal.q"), k = leaf("sdpa_causal.k"), v = leaf("sdpa_causal.v")
        let output = scaledDotProductAttention(query: q, key: k, value: v, isCausal: true).output
        expectClose(output, f("sdpa_causal.out"), rtol: 1e-10, atol: 1e-12, "causal output")
        checkGradients(output, case: "sdpa_causal", inputs: [("q", q), ("k", k), ("v", v)], module: nil)
    }

    @Test func multiheadAttentionMatchesPyTorch() throws {
        let attention = MultiheadAttention(embedDim: 8, heads: 2, dtype: .float64)
        try attention.load(stateDict: KeyRemap.section("mha.state", of: Self.fixtures))
        attention.eval()
        let query = leaf("mha.query"), key = leaf("mha.key"), value = leaf("mha.value")
        let (output, weights) = attention(query, key, value, keyPaddingMask: f("mha.key_padding_mask"), attentionMask: f("mha.attn_mask"))
        expectClose(output, f("mha.out"), rtol: 1e-9, atol: 1e-11, "mha output")
        expectClose(weights!, f("mha.weights"), rtol: 1e-9, atol: 1e-11, "mha weights")
        checkGradients(output, case: "mha", inputs: [("query", query), ("key", key), ("value", value)], module: attention)

        let batchFirst = MultiheadAttention(embedDim: 8, heads: 4, batchFirst: true, dtype: .float64)
        try batchFirst.load(stateDict: KeyRemap.section("mha_batch_first.state", of: Self.fixtures))
        batchFirst.eval()
        let x = leaf("mha_batch_first.x")
        let (selfOutput, selfWeights) = batchFirst(x, x, x, attentionMask: f("mha_batch_first.attn_mask"))
        expectClose(selfOutput, f("mha_batch_first.out"), rtol: 1e-9, atol: 1e-11, "batch-first output")
        expectClose(selfWeights!, f("mha_batch_first.weights"), rtol: 1e-9, atol: 1e-11, "batch-first weights")
        checkGradients(selfOutput, case: "mha_batch_first", inputs: [("x", x)], module: batchFirst)
    }

    @Test(arguments: [("encoder_post", false), ("encoder_pre", true)])
    func encoderLayerMatchesPyTorch(_ name: String, _ normFirst: Bool) throws {
        let layer = TransformerEncoderLayer(
            dModel: 8, heads: 2, feedForward: 16, activation: normFirst ? .gelu : .relu,
            batchFirst: true, normFirst: normFirst, dtype: .float64)
        try layer.load(stateDict: KeyRemap.section("\(name).state", of: Self.fixtures))
        layer.eval()
        let x = leaf("\(name).x")
        let output = layer(x, keyPaddingMask: f("\(name).key_padding_mask"))
        expectClose(output, f("\(name).out"), rtol: 1e-9, atol: 1e-11, "\(name) output")
        checkGradients(output, case: name, inputs: [("x", x)], module: layer)
    }

    @Test func encoderStackMatchesPyTorch() throws {
        let stack = TransformerEncoder(layers: 2, norm: LayerNorm([8], dtype: .float64)) { _ in
            TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, activation: .gelu, dtype: .float64)
        }
        try stack.load(stateDict: KeyRemap.section("stack.state", of: Self.fixtures))
        stack.eval()
        let x = leaf("stack.x")
        let output = stack(x, isCausal: true)
        expectClose(output, f("stack.out"), rtol: 1e-9, atol: 1e-11, "stack output")
        checkGradients(output, case: "stack", inputs: [("x", x)], module: stack)
    }

    /// Central differences through masked attention (including a query with no key) and
    /// through multi-head attention with a padding mask (the parameters' gradients are checked
    /// against PyTorch's above).
    @Test func gradientChecks() {
        let allowed = Tensor([1.0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1], shape: [3, 4]) .> 0.5
        expectGradients([randomInput([2, 3, 3]), randomInput([2, 4, 3], seed: 2), randomInput([2, 4, 2], seed: 3)], "masked attention") { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], mask: allowed).output
        }
        let attention = MultiheadAttention(embedDim: 4, heads: 2, batchFirst: true, dtype: .float64)
        let padding = Tensor([0.0, 0, 1, 0, 0, 0], shape: [2, 3]) .> 0.5
        expectGradients([randomInput([2, 3, 4])], "multi-head attention") { x in
            attention(x[0], x[0], x[0], keyPaddingMask: padding).output
        }
    }

    /// Dropout on the attention weights: about the given fraction zeroed, the rest scaled up;
    /// none in evaluation mode.
    @Test func attentionDropout() {
        let q = randomInput([2, 4, 64, 8]), k = randomInput([2, 4, 64, 8], seed: 2), v = randomInput([2, 4, 64, 8], seed: 3)
        let plain = scaledDotProductAttention(query: q, key: k, value: v).weights
        let dropped = scaledDotProductAttention(query: q, key: k, value: v, dropout: 0.5, generator: RandomGenerator(seed: 9)).weights
        let zeros = (dropped .== 0).to(.float64).mean().item()
        #expect(zeros > 0.45 && zeros < 0.55, "\(zeros) of the weights dropped")
        let kept = (dropped .> 0).to(.float64)
        expectClose(dropped, plain * kept * 2, rtol: 1e-12, atol: 1e-15, "kept weights scaled by 1/(1 − p)")
        let attention = MultiheadAttention(embedDim: 8, heads: 2, dropout: 0.5, batchFirst: true, dtype: .float64)
        let x = randomInput([2, 5, 8])
        attention.eval()
        let first = attention(x, x, x).output, second = attention(x, x, x).output
        expectClose(first, second, "no dropout in evaluation mode")
    }

    @Test func positionalEncodings() {
        let sinusoidal = SinusoidalPositionalEncoding(dimension: 4, maxLength: 10, dtype: .float64)
        let encoded = sinusoidal(Tensor.zeros([1, 3, 4], dtype: .float64))
        expectClose(encoded[0, 2], Tensor([sin(2.0), cos(2.0), sin(0.02), cos(0.02)], dtype: .float64), "PE at position 2")
        #expect(sinusoidal.namedBuffers().map { $0.0 } == ["encoding"] && sinusoidal.parameters().isEmpty)
        let learned = LearnedPositionalEmbedding(maxLength: 6, dimension: 4, dtype: .float64)
        expectGradients([randomInput([2, 5, 4]), learned.weight], "learned positions") { x in
            x[0] + x[1].narrowed(axis: 0, start: 0, length: 5)
        }
        #expect(learned.namedParameters().map { $0.0 } == ["weight"])
    }
}
