import Neuron
import NeuronData
import Testing

@testable import NeuronNN

/// RNN, LSTM and GRU layers and cells against PyTorch (outputs, final states and every
/// gradient; multi-layer, bidirectional, batch-first, packed lengths); see
/// Fixtures/make_rnn_fixtures.py.
@Suite struct RecurrentLayerTests {
    static let all = NNFixtures.load("rnn.safetensors")

    static func f(_ name: String) -> Tensor { all.fixture(name) }

    static let f64 = DType.float64
    static let layers: [(String, () -> RecurrentLayer)] = [
        ("rnn_tanh", { RNN(inputSize: 3, hiddenSize: 4, numLayers: 2, dtype: f64) }),
        ("rnn_relu_bidirectional", { RNN(inputSize: 3, hiddenSize: 4, nonlinearity: "relu", batchFirst: true, bidirectional: true, dtype: f64) }),
        ("lstm", { LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, dtype: f64) }),
        ("lstm_lengths", { LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true, bidirectional: true, dtype: f64) }),
        ("lstm_nobias", { LSTM(inputSize: 3, hiddenSize: 4, bias: false, dtype: f64) }),
        ("gru", { GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, dtype: f64) }),
        ("gru_lengths", { GRU(inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true, dtype: f64) }),
    ]

    static func load(_ module: Module, _ name: String) throws {
        var state: StateDict = [:]
        for key in module.stateDictNames() { state[key] = f("\(name).\(key)") }
        try module.load(stateDict: state, strict: true)
    }

    @Test(arguments: layers.indices)
    func layerMatchesPyTorch(_ i: Int) throws {
        let (name, make) = Self.layers[i]
        let layer = make()
        try Self.load(layer, name)
        let x = Self.f("\(name).x").copy().requiringGrad()
        let h0 = Self.all["\(name).h0"]?.copy().requiringGrad(), c0 = Self.all["\(name).c0"]?.copy().requiringGrad()
        let lengths = Self.all["\(name).lengths"]?.toArray(Int.self)
        let result = layer.run(x, h0: h0, c0: c0, lengths: lengths)
        expectClose(result.output, Self.f("\(name).out"), rtol: 1e-9, atol: 1e-10, "\(name) output")
        expectClose(result.h, Self.f("\(name).h_n"), rtol: 1e-9, atol: 1e-10, "\(name) h_n")
        var loss = (result.output * Self.f("\(name).g_out")).sum() + (result.h * Self.f("\(name).g_h")).sum()
        if let c = result.c {
            expectClose(c, Self.f("\(name).c_n"), rtol: 1e-9, atol: 1e-10, "\(name) c_n")
            loss = loss + (c * Self.f("\(name).g_c")).sum()
        }
        loss.backward()
        expectClose(x.grad!, Self.f("\(name).grad_x"), rtol: 1e-9, atol: 1e-10, "\(name) grad_x")
        if let h0 { expectClose(h0.grad!, Self.f("\(name).grad_h0"), rtol: 1e-9, atol: 1e-10, "\(name) grad_h0") }
        if let c0 { expectClose(c0.grad!, Self.f("\(name).grad_c0"), rtol: 1e-9, atol: 1e-10, "\(name) grad_c0") }
        for (key, tensor) in layer.namedParameters() {
            expectClose(tensor.grad!, Self.f("\(name).grad_\(key)"), rtol: 1e-9, atol: 1e-10, "\(name) grad_\(key)")
        }
    }

    @Test func cellsMatchPyTorch() throws {
        let cells: [(String, RecurrentCellLayer)] = [
            ("rnncell", RNNCell(inputSize: 3, hiddenSize: 4, dtype: Self.f64)),
            ("lstmcell", LSTMCell(inputSize: 3, hiddenSize: 4, dtype: Self.f64)),
            ("grucell", GRUCell(inputSize: 3, hiddenSize: 4, dtype: Self.f64)),
        ]
        for (name, cell) in cells {
            try Self.load(cell, name)
            let x = Self.f("\(name).x").copy().requiringGrad(), h0 = Self.f("\(name).h0").copy().requiringGrad()
            let c0 = Self.all["\(name).c0"]?.copy().requiringGrad()
            let (h, c) = cell.step(x, h: h0, c: c0)
            expectClose(h, Self.f("\(name).h_n"), rtol: 1e-9, atol: 1e-10, "\(name) h")
            var loss = (h * Self.f("\(name).g_h")).sum()
            if let c, let c0 {
                expectClose(c, Self.f("\(name).c_n"), rtol: 1e-9, atol: 1e-10, "\(name) c")
                loss = loss + (c * Self.f("\(name).g_c")).sum()
                loss.backward()
                expectClose(c0.grad!, Self.f("\(name).grad_c0"), rtol: 1e-9, atol: 1e-10, "\(name) grad_c0")
            } else {
                loss.backward()
            }
            expectClose(x.grad!, Self.f("\(name).grad_x"), rtol: 1e-9, atol: 1e-10, "\(name) grad_x")
            expectClose(h0.grad!, Self.f("\(name).grad_h0"), rtol: 1e-9, atol: 1e-10, "\(name) grad_h0")
            for (key, tensor) in cell.namedParameters() {
                expectClose(tensor.grad!, Self.f("\(name).grad_\(key)"), rtol: 1e-9, atol: 1e-10, "\(name) grad_\(key)")
            }
        }
    }

    @Test func pytorchTrainedClassifierGivesTheSameLogits() throws {
        let lstm = LSTM(inputSize: 28, hiddenSize: 32, batchFirst: true), fc = Linear(32, 10)
        try Self.load(lstm, "classifier.lstm")
        try Self.load(fc, "classifier.fc")
        let logits = noGrad { fc(lstm(Self.f("classifier.x")).h[0]) }
        expectClose(logits, Self.f("classifier.logits"), rtol: 1e-4, atol: 1e-5, "classifier logits")
    }

    @Test func layersPassGradientChecks() {
        let x = randomInput([4, 3, 2])
        expectGradients([x], "bidirectional 2-layer LSTM with lengths") { input in
            let lstm = LSTM(inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, dtype: .float64, generator: RandomGenerator(seed: 5))
            let r = lstm.run(input[0], lengths: [4, 2, 3])
            return r.output.sum() + (r.h * 2).sum() + r.c!.square().sum()
        }
        expectGradients([x], "GRU with lengths") { input in
            let gru = GRU(inputSize: 2, hiddenSize: 3, bidirectional: true, dtype: .float64, generator: RandomGenerator(seed: 6))
            let r = gru.run(input[0], lengths: [1, 4, 2])
            return r.output.square().sum() + r.h.sum()
        }
        expectGradients([randomInput([3, 2])], "LSTM cell") { input in
            let cell = LSTMCell(inputSize: 2, hiddenSize: 3, dtype: .float64, generator: RandomGenerator(seed: 7))
            let (h, c) = cell(input[0])
            return h.sum() + c.square().sum()
        }
        expectGradients([randomInput([3, 2]), randomInput([3, 3], seed: 2)], "GRU and RNN cells") { input in
            let gru = GRUCell(inputSize: 2, hiddenSize: 3, dtype: .float64, generator: RandomGenerator(seed: 8))
            let rnn = RNNCell(inputSize: 3, hiddenSize: 3, nonlinearity: "relu", dtype: .float64, generator: RandomGenerator(seed: 9))
            return rnn(gru(input[0], h: input[1])).square().sum()
        }
        expectGradients([randomInput([2, 4, 2])], "2-layer batch-first RNN") { input in
            let rnn = RNN(inputSize: 2, hiddenSize: 3, numLayers: 2, batchFirst: true, dtype: .float64, generator: RandomGenerator(seed: 10))
            let (output, h) = rnn(input[0])
            return output.square().sum() + h.sum()
        }
    }

    @Test func dropoutActsBetweenLayersInTrainingOnly() {
        let x = randomInput([5, 3, 4])
        let lstm = LSTM(inputSize: 4, hiddenSize: 6, numLayers: 2, dropout: 0.5, dtype: .float64, generator: RandomGenerator(seed: 11))
        let plain = LSTM(inputSize: 4, hiddenSize: 6, numLayers: 2, dtype: .float64)
        _ = try? plain.load(stateDict: lstm.stateDict(), strict: true)
        let reference = plain(x).output.toArray(Double.self)
        #expect(lstm(x).output.toArray(Double.self) != reference)
        lstm.eval()
        #expect(lstm(x).output.toArray(Double.self) == reference)
    }

    @Test func parameterNamesFollowPyTorch() {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true)
        #expect(
            lstm.namedParameters().map { $0.0 }.prefix(8) == [
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            ])
        #expect(lstm.parameter("weight_ih_l1")?.shape == [16, 8])
        #expect(GRU(inputSize: 3, hiddenSize: 4).parameter("weight_hh_l0")?.shape == [12, 4])
    }
}
