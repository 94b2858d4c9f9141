import Testing

@testable import Neuron

/// The fused recurrence (forward and backward through time) against finite differences and
/// against the same recurrence composed from differentiable ops.
@Suite struct RecurrenceTests {
    static let cells: [RecurrentCell] = [.rnnTanh, .rnnRelu, .lstm, .gru]

    /// Inputs for T = 4 steps, N = 3 rows, H = 2: projections, W_hh, b_hh, h0, c0.
    static func inputs(_ cell: RecurrentCell, dtype: DType = .float64) -> [Tensor] {
        let g = cell.gateCount * 2
        return [
            randomInput([4, 3, g], seed: 1), randomInput([g, 2], seed: 2, low: -1, high: 1), randomInput([g], seed: 3),
            randomInput([3, 2], seed: 4), randomInput([3, 2], seed: 5),
        ].map { $0.to(dtype).detach() }
    }

    /// Row 1 ends after 2 steps, row 2 after 3.
    static let active = Tensor([true, true, true, true, true, true, true, false, true, true, false, false], shape: [4, 3])

    static func run(_ cell: RecurrentCell, _ t: [Tensor], active: Tensor?, composed: Bool = false) -> Tensor {
        let c0 = cell == .lstm ? t[4] : nil
        return composed
            ? Tensor.composedRecurrence(cell, projections: t[0], hiddenWeight: t[1], hiddenBias: t[2], h0: t[3], c0: c0, active: active)
            : Tensor.recurrence(cell, projections: t[0], hiddenWeight: t[1], hiddenBias: t[2], h0: t[3], c0: c0, active: active)
    }

    @Test(arguments: cells)
    func gradientChecks(_ cell: RecurrentCell) {
        let t = Self.inputs(cell)
        let used = cell == .lstm ? t : Array(t.prefix(4))
        for active in [nil, Self.active] {
            expectGradients(used, secondOrder: true, "\(cell) masked: \(active != nil)") { x in
                Self.run(cell, x + (cell == .lstm ? [] : [x[3]]), active: active)
            }
        }
    }

    @Test(arguments: cells)
    func fusedMatchesComposed(_ cell: RecurrentCell) {
        for dtype in [DType.float64, .float32] {
            let tolerance = dtype == .float64 ? 1e-10 : 1e-4
            func gradients(composed: Bool) -> [Tensor] {
                let t = Self.inputs(cell, dtype: dtype).map { $0.requiringGrad() }
                let states = Self.run(cell, t, active: Self.active, composed: composed)
                states.backward(randomInput(states.shape, seed: 9).to(dtype))
                return [states.detach()] + (cell == .lstm ? t : Array(t.prefix(4))).map { $0.grad! }
            }
            let fused = gradients(composed: false), reference = gradients(composed: true)
            for (i, (a, e)) in zip(fused, reference).enumerated() {
                expectClose(a, e, rtol: tolerance, atol: tolerance, "\(cell) \(dtype) \(i == 0 ? "states" : "gradient \(i - 1)")")
            }
        }
    }

    /// A recorded forward pass whose result is dropped without backward frees everything
    /// (the op's rule must not keep its own output alive).
    @Test func unusedGraphsAreFreed() async {
        await #expect(processExitsWith: .success) {
            let cell = RecurrentCell.lstm
            let t = RecurrenceTests.inputs(cell, dtype: .float32).map { $0.requiringGrad() }
            func forward() { _ = RecurrenceTests.run(cell, t, active: RecurrenceTests.active).sum() }
            forward()
            let baseline = Memory.liveBytes
            for _ in 0..<200 { forward() }
            precondition(Memory.liveBytes == baseline, "live bytes grew from \(baseline) to \(Memory.liveBytes)")
        }
    }
}
