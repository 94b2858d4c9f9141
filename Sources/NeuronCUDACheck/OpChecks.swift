import Neuron
import NeuronNN

/// One op of the CUDA backend checked against the CPU backend on seeded inputs: its outputs,
/// and the gradients of Σ output·v with respect to its floating-point inputs.
struct OpCheck {
    let name: String
    let inputs: [Tensor]
    let differentiable: Bool
    /// Relative error allowed against the CPU (float32; float64 checks use 1e-10).
    var tolerance = 1e-5
    let run: ([Tensor]) -> Tensor
}

/// What one check found: the worst mismatch, relative to max(|cpu|, 1).
struct OpOutcome {
    let name: String
    let outputError: Double
    let gradientError: Double?
    /// The CUDA result and inputs, for the PyTorch comparison.
    let cudaOutput: Tensor
}

enum OpChecks {
    static func seeded(_ shape: [Int], _ seed: UInt64, low: Double = -2, high: Double = 2) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, device: .cpu, generator: RandomGenerator(seed: seed))
    }

    /// Every op family the CUDA backend implements, with broadcasting, strided views and both
    /// float types where the family has them.
    static var all: [OpCheck] {
        let a = seeded([64, 33], 1), b = seeded([33], 2), positive = seeded([64, 33], 3, low: 0.1, high: 3)
        let wide = seeded([4, 70_000], 4), square = seeded([96, 96], 5), batched = seeded([3, 96, 40], 6)
        let index = Tensor((0..<64 * 5).map { ($0 * 7) % 33 }, shape: [64, 5], device: .cpu)
        let rows = Tensor([3, 0, 63, 5, 5, 17], device: .cpu)
        var checks: [OpCheck] = []
        func add(_ name: String, _ inputs: [Tensor], differentiable: Bool = true, _ run: @escaping ([Tensor]) -> Tensor) {
            checks.append(OpCheck(name: name, inputs: inputs, differentiable: differentiable, run: run))
        }
        let unary: [(String, (Tensor) -> Tensor)] = [
            ("neg", { -$0 }), ("exp", { $0.exp() }), ("abs", { $0.abs() }), ("sigmoid", { $0.sigmoid() }), ("tanh", { $0.tanh() }),
            ("relu", { $0.relu() }), ("leaky_relu", { $0.leakyRelu(negativeSlope: 0.1) }), ("elu", { $0.elu(alpha: 0.7) }),
            ("gelu", { $0.gelu() }), ("gelu_tanh", { $0.gelu(approximate: .tanh) }), ("silu", { $0.silu() }),
            ("softplus", { $0.softplus(beta: 2, threshold: 3) }), ("erf", { $0.erf() }),
            ("clamp", { $0.clamped(min: -0.5, max: 0.75) }), ("square", { $0.square() }), ("sin", { $0.sin() }), ("cos", { $0.cos() }),
            ("sign", { $0.sign() }),
        ]
        for (name, f) in unary { add(name, [a]) { f($0[0]) } }
        let positiveUnary: [(String, (Tensor) -> Tensor)] = [
            ("log", { $0.log() }), ("sqrt", { $0.sqrt() }), ("rsqrt", { $0.rsqrt() }), ("reciprocal", { $0.reciprocal() }),
        ]
        for (name, f) in positiveUnary { add(name, [positive]) { f($0[0]) } }
        add("add_broadcast", [a, b]) { $0[0] + $0[1] }
        add("sub_broadcast", [b, a]) { $0[0] - $0[1] }
        add("mul_transposed", [square, square]) { $0[0] * $0[1].transposed() }
        add("div", [a, positive]) { $0[0] / $0[1] }
        add("pow", [positive, a]) { $0[0].pow($0[1]) }
        add("maximum", [a, b]) { Tensor.maximum($0[0], $0[1]) }
        add("minimum", [a, b]) { Tensor.minimum($0[0], $0[1]) }
        add("scalar_ops", [a]) { ($0[0] * 3 + 1) / 2 }
        add("where_lt", [a, b], differentiable: false) { Tensor.where($0[0] .< $0[1], $0[0], $0[1] * 2) }
        add("compare_ge", [a, b], differentiable: false) { ($0[0] .>= $0[1]).to(.float32) }
        add("sum_rows", [a]) { $0[0].sum(axis: 1) }
        add("sum_cols", [a]) { $0[0].sum(axis: 0) }
        add("sum_wide", [wide]) { $0[0].sum(axis: 1) }
        add("sum_all", [wide]) { $0[0].sum() }
        add("mean_var", [a]) { $0[0].variance(axes: [0]) + $0[0].mean(axis: 0) }
        add("max_values", [a]) { $0[0].max(axis: 1).values }
        add("argmax", [a], differentiable: false) { $0[0].argmax(axis: 0).to(.float32) }
        add("softmax", [a]) { $0[0].softmax(axis: 1) }
        add("log_softmax", [a]) { $0[0].logSoftmax(axis: 0) }
        add("cross_entropy", [a], differentiable: true) { crossEntropy($0[0], Tensor((0..<64).map { $0 % 33 }, device: $0[0].device)) }
        add("gather", [a, index]) { $0[0].gather(axis: 1, index: $0[1]) }
        add("scatter_add", [a, index, seeded([64, 5], 7)]) { $0[0].scatterAdd(axis: 1, index: $0[1], source: $0[2]) }
        add("index_select", [a, rows]) { $0[0].indexSelect(axis: 0, index: $0[1]) }
        add("index_add", [a, rows, seeded([6, 33], 8)]) { $0[0].indexAdd(axis: 0, index: $0[1], source: $0[2]) }
        add("one_hot", [rows], differentiable: false) { $0[0].oneHot(classes: 70).to(.float32) }
        add("contiguous_transposed", [a]) { $0[0].transposed().contiguous() }
        add("cast_f64_i64", [a], differentiable: false) { ($0[0] * 10).to(.float64).to(.int64).to(.float32) }
        add("concat_slices", [a, positive]) { Tensor.concat([$0[0][2..<9], $0[1][..<3]], axis: 0) }
        add("matmul", [a, a]) { $0[0].matmul($0[1].transposed()) }
        add("matmul_batched_broadcast", [batched, square]) { $0[1].matmul($0[0]) }
        add("matmul_f64", [a.to(.float64), b.to(.float64).reshaped([33, 1])]) { $0[0].matmul($0[1]) }
        add("linear_mlp", [a, seeded([16, 33], 9), seeded([16], 10)]) { ($0[0].matmul($0[1].transposed()) + $0[2]).relu() }
        checks += layerChecks
        return checks
    }

    /// Convolutions, pooling, normalisation, recurrences, attention, bfloat16 and autocast.
    static var layerChecks: [OpCheck] {
        var checks: [OpCheck] = []
        func add(_ name: String, _ inputs: [Tensor], differentiable: Bool = true, _ run: @escaping ([Tensor]) -> Tensor) {
            checks.append(OpCheck(name: name, inputs: inputs, differentiable: differentiable, run: run))
        }
        let images = seeded([4, 6, 13, 11], 20), small = seeded([2, 4, 5, 6], 21)
        add("conv2d_groups_dilation", [images, seeded([8, 3, 3, 3], 22), seeded([8], 23)]) {
            $0[0].conv2d($0[1], bias: $0[2], stride: (2, 1), padding: .explicit(1, 2), dilation: (1, 2), groups: 2)
        }
        add("conv2d_1x1", [images, seeded([5, 6, 1, 1], 24)]) { $0[0].conv2d($0[1]) }
        add("conv_transpose2d", [small, seeded([4, 3, 4, 4], 25), seeded([3], 26)]) {
            $0[0].convTranspose2d($0[1], bias: $0[2], stride: (2, 2), padding: (1, 1))
        }
        add("max_pool2d", [images]) { $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).values }
        add("avg_pool2d", [images]) { $0[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false) }
        add("adaptive_avg_pool2d", [images]) { $0[0].adaptiveAvgPool2d((4, 3)) }
        add("batch_norm_train", [seeded([8, 5, 4, 4], 27), seeded([5], 28), seeded([5], 29)]) {
            $0[0].batchNormalized(weight: $0[1], bias: $0[2], eps: 1e-5).output
        }
        add("layer_norm", [seeded([6, 7, 20], 30), seeded([20], 31), seeded([20], 32)]) {
            let centred = $0[0] - $0[0].mean(axes: [2], keepDims: true)
            return centred * (centred.square().mean(axes: [2], keepDims: true) + 1e-5).rsqrt() * $0[1] + $0[2]
        }
        add("group_norm", [seeded([3, 6, 5, 4], 33), seeded([6], 34), seeded([6], 35)]) {
            let grouped = $0[0].reshaped([3, 2, -1])
            let centred = grouped - grouped.mean(axis: 2, keepDims: true)
            let normed = (centred * (centred.square().mean(axis: 2, keepDims: true) + 1e-5).rsqrt()).reshaped([3, 6, 5, 4])
            return normed * $0[1].reshaped([1, 6, 1, 1]) + $0[2].reshaped([1, 6, 1, 1])
        }
        // Recurrences over [T, N, I] from zero states; outputs every step's h, as torch.lstm/gru/rnn_tanh.
        for (name, cell) in [("lstm", RecurrentCell.lstm), ("gru", .gru), ("rnn_tanh", .rnnTanh)] {
            let gates = cell.gateCount * 16
            add(
                name,
                [
                    seeded([7, 5, 9], 36, low: -1, high: 1), seeded([gates, 9], 37, low: -0.3, high: 0.3),
                    seeded([gates, 16], 38, low: -0.3, high: 0.3), seeded([gates], 39, low: -0.3, high: 0.3),
                    seeded([gates], 40, low: -0.3, high: 0.3),
                ]
            ) { x in
                let projections = x[0].matmul(x[1].transposed()) + x[3]
                let zeros = Tensor.zeros([5, 16], device: x[0].device)
                let states = Tensor.recurrence(
                    cell, projections: projections, hiddenWeight: x[2], hiddenBias: x[4], h0: zeros, c0: cell == .lstm ? zeros : nil, active: nil)
                return states.narrowed(axis: 1, start: 0, length: 1).reshaped([7, 5, 16])
            }
        }
        add("attention_causal", [seeded([2, 3, 6, 8], 41), seeded([2, 3, 6, 8], 42), seeded([2, 3, 6, 8], 43)]) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true).output
        }
        add("cast_bfloat16", [seeded([64, 33], 44)], differentiable: false) { $0[0].to(.bfloat16).to(.float32) }
        // On the GPU under autocast; its CPU reference rounds the operands explicitly.
        var mixed = OpCheck(name: "autocast_matmul", inputs: [seeded([64, 48], 45), seeded([40, 48], 46)], differentiable: false) { x in
            x[0].device.isCUDA
                ? autocast { x[0].matmul(x[1].transposed()) }
                : x[0].to(.bfloat16).to(.float32).matmul(x[1].to(.bfloat16).to(.float32).transposed())
        }
        mixed.tolerance = 1e-5
        checks.append(mixed)
        return checks
    }

    /// The largest difference relative to the reference's largest magnitude (at least 1): the
    /// normwise error, so that long float32 sums in another order (GEMMs, convolutions) are
    /// judged by their scale, not by elements that cancel to near zero.
    static func relativeError(_ x: Tensor, _ reference: Tensor) -> Double {
        let u = x.to(.cpu).to(.float64).toArray(Double.self), v = reference.to(.cpu).to(.float64).toArray(Double.self)
        guard u.count == v.count else { return .infinity }
        let scale = Swift.max(v.map { Swift.abs($0) }.max() ?? 0, 1)
        return (zip(u, v).map { Swift.abs($0 - $1) }.max() ?? 0) / scale
    }

    /// Runs one check on the CPU and on `device`.
    static func run(_ check: OpCheck, on device: Device) -> OpOutcome {
        func evaluate(_ inputs: [Tensor]) -> (Tensor, [Tensor?]) {
            let leaves = inputs.map { t -> Tensor in
                let copy = t.copy()
                if check.differentiable && copy.dtype.isFloatingPoint { copy.requiresGrad = true }
                return copy
            }
            let output = check.run(leaves)
            guard check.differentiable else { return (output.detach(), []) }
            let weights = seeded(output.shape, 99).to(output.device)
            (output * weights).sum().backward()
            return (output.detach(), leaves.map { $0.grad })
        }
        let (cpu, cpuGrads) = evaluate(check.inputs)
        let (gpu, gpuGrads) = evaluate(check.inputs.map { $0.to(device) })
        var gradientError: Double?
        if check.differentiable {
            gradientError = zip(cpuGrads, gpuGrads).compactMap { c, g in c.flatMap { c in g.map { relativeError($0, c) } } }.max() ?? 0
        }
        return OpOutcome(name: check.name, outputError: relativeError(gpu, cpu), gradientError: gradientError, cudaOutput: gpu)
    }
}
