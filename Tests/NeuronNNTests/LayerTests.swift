import Neuron
import Testing

@testable import NeuronNN

@Suite struct LayerTests {
    func f(_ name: String) -> Tensor { NNFixtures.f(name) }

    /// Forward output and gradients of (out · g).sum() against PyTorch.
    func check(_ name: String, _ layer: any Layer, input: Tensor, inputGrad: Bool = true) {
        let x = inputGrad ? input.copy().requiringGrad() : input
        let out = layer(x)
        expectClose(out, f("\(name).out"), name)
        (out * f("\(name).g")).sum().backward()
        if inputGrad { expectClose(x.grad!, f("\(name).grad_x"), "\(name) grad_x") }
        for (param, tensor) in layer.namedParameters() {
            expectClose(tensor.grad!, f("\(name).grad_\(param)"), "\(name) grad_\(param)")
        }
    }

    @Test func linearMatchesPyTorch() throws {
        for name in ["linear", "linear_nobias"] {
            let weight = f("\(name).weight")
            let layer = Linear(weight.shape[1], weight.shape[0], bias: name == "linear", dtype: .float64)
            var state: StateDict = ["weight": weight]
            if name == "linear" { state["bias"] = f("linear.bias") }
            try layer.load(stateDict: state)
            check(name, layer, input: f("\(name).x"))
        }
    }

    @Test func embeddingMatchesPyTorch() throws {
        for (name, padding) in [("embedding", nil), ("embedding_pad", 1)] as [(String, Int?)] {
            let layer = Embedding(6, 3, paddingIndex: padding, dtype: .float64)
            try layer.load(stateDict: ["weight": f("\(name).weight")])
            check(name, layer, input: f("\(name).index"), inputGrad: false)
        }
    }

    @Test func shapeAndActivationLayersMatchPyTorch() {
        check("flatten", Flatten(), input: f("flatten.x"))
        check("flatten_1_2", Flatten(startAxis: 1, endAxis: 2), input: f("flatten_1_2.x"))
        check("softmax_layer", Softmax(axis: 1), input: f("softmax_layer.x"))
        check("log_softmax_layer", LogSoftmax(axis: 1), input: f("log_softmax_layer.x"))
    }

    @Test func layersPassGradientChecks() {
        let linear = Linear(3, 2, dtype: .float64)
        expectGradients([randomInput([4, 3]), linear.weight, linear.bias!], "Linear") { xs in
            xs[0].matmul(xs[1].T) + xs[2]
        }
        let layers: [(String, any Layer)] = [
            ("Sigmoid", Sigmoid()), ("Tanh", Tanh()), ("ReLU", ReLU()), ("LeakyReLU", LeakyReLU(negativeSlope: 0.2)),
            ("ELU", ELU(alpha: 0.5)), ("GELU", GELU()), ("GELU tanh", GELU(approximate: .tanh)), ("SiLU", SiLU()),
            ("Softplus", Softplus(beta: 2)), ("Softmax", Softmax(axis: 1)), ("LogSoftmax", LogSoftmax(axis: 0)),
            ("Flatten", Flatten()), ("Identity", Identity()),
        ]
        for (name, layer) in layers { expectGradients([randomInput([3, 2, 2])], name) { layer($0[0]) } }
        let sequential = Sequential(Linear(4, 5, dtype: .float64), Tanh(), Linear(5, 2, dtype: .float64))
        expectGradients([randomInput([3, 4])], "Sequential") { sequential($0[0]) }
        let table = Embedding(5, 2, paddingIndex: 0, dtype: .float64)
        expectGradients([table.weight], "Embedding") { xs in
            Embedding.lookUp(xs[0], Tensor([0, 3, 3, 1]), paddingIndex: 0).square()
        }
    }

    @Test func dropoutScalesInTrainingAndIsIdentityInEval() {
        let dropout = Dropout(0.25, generator: RandomGenerator(seed: 3))
        let x = Tensor.ones([10_000])
        let y = dropout(x).toArray(Float.self)
        #expect(Set(y) == [0, Float(1 / 0.75)])
        #expect(abs(Double(y.filter { $0 == 0 }.count) / 10_000 - 0.25) < 0.02)
        dropout.eval()
        #expect(dropout(x) === x)
    }

    @Test func defaultInitialisationMatchesPyTorchBounds() {
        let layer = Linear(400, 30, generator: RandomGenerator(seed: 5))
        let bound = 1 / 400.0.squareRoot()
        #expect(layer.weight.abs().max().item() <= Double(Float(bound)) && layer.weight.abs().max().item() > 0.9 * bound)
        #expect(layer.bias!.abs().max().item() <= Double(Float(bound)))  // drawn in double, stored in float32
        #expect(abs(layer.weight.std().item() - bound / 3.0.squareRoot()) < 0.002)
        let embedding = Embedding(1000, 10, generator: RandomGenerator(seed: 6))
        #expect(abs(embedding.weight.std().item() - 1) < 0.03)
    }
}
