import Testing

@testable import Neuron

/// Forward values (and a few gradients) against PyTorch; see Fixtures/ops_cases.md.
@Suite struct FixtureTests {
    static func f(_ name: String) -> Tensor { Fixtures.tensor(name) }

    static let binaryCases: [(String, (Tensor, Tensor) -> Tensor)] = [
        ("add", { $0 + $1 }), ("sub", { $0 - $1 }), ("mul", { $0 * $1 }), ("div", { $0 / $1 }),
        ("pow", { $0.pow($1) }), ("maximum", { Tensor.maximum($0, $1) }), ("minimum", { Tensor.minimum($0, $1) }),
        ("add_f32", { $0 + $1 }),
        ("eq", { ($0 .== $1).to(.int64) }), ("lt", { ($0 .< $1).to(.int64) }), ("ge", { ($0 .>= $1).to(.int64) }),
        ("matmul_2d", { $0.matmul($1) }), ("matmul_batched", { $0.matmul($1) }), ("matmul_bcast", { $0.matmul($1) }),
        ("matmul_tt", { $0.T.matmul($1.T) }), ("matmul_vec", { $0.matmul($1) }),
        ("cat_axis1", { Tensor.concat([$0, $1], axis: 1) }), ("stack_axis0", { Tensor.stack([$0, $1], axis: 0) }),
    ]

    @Test(arguments: binaryCases.indices)
    func binary(_ i: Int) {
        let (name, op) = Self.binaryCases[i]
        expectClose(op(Self.f("\(name).x"), Self.f("\(name).y")), Self.f("\(name).out"), name)
    }

    static let unaryCases: [(String, (Tensor) -> Tensor)] = [
        ("neg", { -$0 }), ("exp", { $0.exp() }), ("log", { $0.log() }), ("sqrt", { $0.sqrt() }),
        ("rsqrt", { $0.rsqrt() }), ("abs", { $0.abs() }), ("sign", { $0.sign() }), ("sigmoid", { $0.sigmoid() }),
        ("tanh", { $0.tanh() }), ("relu", { $0.relu() }), ("leaky_relu", { $0.leakyRelu(negativeSlope: 0.2) }),
        ("elu", { $0.elu(alpha: 1) }), ("gelu", { $0.gelu() }), ("gelu_tanh", { $0.gelu(approximate: .tanh) }),
        ("silu", { $0.silu() }), ("softplus", { $0.softplus() }), ("erf", { $0.erf() }),
        ("clamp", { $0.clamped(min: -0.5, max: 0.5) }),
        ("sigmoid_f32", { $0.sigmoid() }), ("gelu_f32", { $0.gelu() }), ("tanh_f32", { $0.tanh() }), ("exp_f32", { $0.exp() }),
        ("sum_axis1_keep", { $0.sum(axis: 1, keepDims: true) }), ("sum_all", { $0.sum() }),
        ("mean_axes02", { $0.mean(axes: [0, 2]) }), ("var_axis1", { $0.variance(axes: [1]) }),
        ("var_axes01_biased", { $0.variance(axes: [0, 1], correction: 0) }),
        ("std_axis2_keep", { $0.std(axes: [2], keepDims: true) }), ("max_axis1", { $0.max(axis: 1).values }),
        ("min_axis2", { $0.min(axis: 2).values }), ("logsumexp_axis1", { $0.logSumExp(axis: 1) }),
        ("softmax_axis2", { $0.softmax(axis: -1) }), ("log_softmax_axis1", { $0.logSoftmax(axis: 1) }),
        ("pad", { $0.padded([1, 2, 0, 1], value: 0.5) }), ("transpose_contig", { $0.permuted([2, 0, 1]).contiguous() }),
        ("slice_step", { $0[stride(from: 1, to: 5, by: 2), stride(from: 0, to: 6, by: 3)] }),
    ]

    @Test(arguments: unaryCases.indices)
    func unary(_ i: Int) {
        let (name, op) = Self.unaryCases[i]
        let rtol = name.hasSuffix("_f32") ? 2e-6 : 1e-10
        expectClose(op(Self.f("\(name).x")), Self.f("\(name).out"), rtol: rtol, atol: 1e-7, name)
    }

    @Test func indicesMatch() {
        let x = Self.f("max_axis1.x")
        #expect(x.max(axis: 1).indices.toArray(Int.self) == Self.f("max_axis1.indices").toArray(Int.self))
        #expect(Self.f("min_axis2.x").min(axis: 2).indices.toArray(Int.self) == Self.f("min_axis2.indices").toArray(Int.self))
        #expect(Self.f("argmax_axis0.x").argmax(axis: 0).toArray(Int.self) == Self.f("argmax_axis0.indices").toArray(Int.self))
    }

    @Test func indexingOps() {
        expectClose(Self.f("gather_axis1.x").gather(axis: 1, index: Self.f("gather_axis1.index")), Self.f("gather_axis1.out"))
        expectClose(
            Self.f("scatter_add_axis0.x").scatterAdd(
                axis: 0, index: Self.f("scatter_add_axis0.index"),
                source: Self.f("scatter_add_axis0.y")),
            Self.f("scatter_add_axis0.out"))
        expectClose(
            Self.f("index_select_axis0.x").indexSelect(axis: 0, index: Self.f("index_select_axis0.index")),
            Self.f("index_select_axis0.out"))
        #expect(Self.f("one_hot.index").oneHot(classes: 4).toArray(Int.self) == Self.f("one_hot.out").toArray(Int.self))
        let condition = Self.f("where.cond") .!= 0
        expectClose(Tensor.where(condition, Self.f("where.x"), Self.f("where.y")), Self.f("where.out"))
    }

    @Test func compositeGradients() {
        let x = Self.f("grad_composite.x").requiringGrad(), w = Self.f("grad_composite.y").requiringGrad()
        let loss = ((x.matmul(w)).tanh().pow(2) + x.sigmoid().sum(axis: 1, keepDims: true)).mean()
        loss.backward()
        expectClose(loss, Self.f("grad_composite.out"), rtol: 1e-10)
        expectClose(x.grad!, Self.f("grad_composite.grad_x"), rtol: 1e-10)
        expectClose(w.grad!, Self.f("grad_composite.grad_y"), rtol: 1e-10)

        let logits = Self.f("grad_ce.x").requiringGrad(), labels = Self.f("grad_ce.index")
        let ce = -(logits.logSoftmax(axis: 1).gather(axis: 1, index: labels.unsqueezed(axis: 1))).mean()
        ce.backward()
        expectClose(ce, Self.f("grad_ce.out"), rtol: 1e-10)
        expectClose(logits.grad!, Self.f("grad_ce.grad_x"), rtol: 1e-10)
    }

    @Test func hessianVectorProduct() {
        let x = Self.f("hvp.x").requiringGrad(), v = Self.f("hvp.y")
        let f = x.tanh().pow(3).sum() + (x.exp() * x).sum()
        let g = gradients(of: f, wrt: [x], createGraph: true)[0]
        expectClose(g, Self.f("hvp.grad_x"), rtol: 1e-10)
        let hvp = gradients(of: (g * v).sum(), wrt: [x])[0]
        expectClose(hvp, Self.f("hvp.out"), rtol: 1e-10)
    }

    @Test func gradientPenalty() {
        let x = Self.f("gradpen.x").requiringGrad()
        let w1 = Self.f("gradpen.y").requiringGrad(), w2 = Self.f("gradpen.z").requiringGrad()
        let critic = x.matmul(w1).tanh().matmul(w2).sum()
        let g = gradients(of: critic, wrt: [x], createGraph: true)[0]
        let penalty = ((g.square().sum(axis: 1).sqrt() - 1).square()).mean()
        expectClose(penalty, Self.f("gradpen.out"), rtol: 1e-10)
        penalty.backward()
        expectClose(w1.grad!, Self.f("gradpen.grad_y"), rtol: 1e-8)
        expectClose(w2.grad!, Self.f("gradpen.grad_z"), rtol: 1e-8)
    }
}
