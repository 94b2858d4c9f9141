/// The cell a recurrent layer runs at each step.
public enum RecurrentCell: Int32, Sendable {
    /// h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)
    case rnnTanh = 0
    /// h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)
    case rnnRelu = 1
    /// Gates i, f, g, o (PyTorch's order); c' = f·c + i·g, h' = o·tanh(c').
    case lstm = 2
    /// Gates r, z, n (PyTorch's order); n = tanh(x_n + r·(h·W_hnᵀ + b_hn)), h' = (1 − z)·n + z·h.
    case gru = 3

    /// Blocks of the hidden size in each projection (W_ih and W_hh have gateCount·H rows).
    public var gateCount: Int { self == .lstm ? 4 : self == .gru ? 3 : 1 }
    /// States carried between steps: h, and c for the LSTM.
    public var stateCount: Int { self == .lstm ? 2 : 1 }
}

extension Tensor {
    /// Runs a recurrent cell over a whole sequence and returns every step's states
    /// [T, S, N, H] (S = 2 for the LSTM: h then c).
    ///
    /// - `projections`: [T, N, G·H], each step's x·W_ihᵀ + b_ih (one GEMM for the sequence).
    /// - `hiddenWeight` W_hh [G·H, H], `hiddenBias` b_hh [G·H] or nil.
    /// - `h0`, `c0`: [N, H] initial states (`c0` for the LSTM only).
    /// - `active`: optional bool [T, N]; where false the row's sequence has ended and its
    ///   state is carried unchanged, so step T − 1 holds each row's final state.
    ///
    /// Forward and backward through time are fused kernels (one GEMM and one pass over the
    /// gates per step); a recorded backward (`createGraph`) replays the recurrence with
    /// differentiable ops, so higher-order gradients work too.
    public static func recurrence(
        _ cell: RecurrentCell, projections: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor?,
        h0: Tensor, c0: Tensor?, active: Tensor?
    ) -> Tensor {
        if projections.dtype == .bfloat16 {
            return recurrence(
                cell, projections: projections.to(.float32), hiddenWeight: hiddenWeight.to(.float32),
                hiddenBias: hiddenBias?.to(.float32), h0: h0.to(.float32), c0: c0?.to(.float32), active: active
            ).to(.bfloat16)
        }
        let (steps, n) = (projections.shape[0], projections.shape[1]), h = hiddenWeight.shape.last ?? 0
        let g = cell.gateCount * h, dtype = projections.dtype
        precondition(
            projections.rank == 3 && projections.shape[2] == g && hiddenWeight.shape == [g, h],
            "recurrence: projections [T, N, \(cell.gateCount)·H] and hidden weight [\(cell.gateCount)·H, H] do not fit: \(projections.shape) and \(hiddenWeight.shape)"
        )
        precondition(
            h0.shape == [n, h] && (cell != .lstm || c0?.shape == [n, h]) && (hiddenBias?.shape ?? [g]) == [g],
            "recurrence: initial states must be [\(n), \(h)] and the hidden bias [\(g)], got \(h0.shape), \(c0?.shape ?? []), \(hiddenBias?.shape ?? [])"
        )
        precondition(
            active.map { $0.shape == [steps, n] && $0.dtype == .bool } ?? true,
            "recurrence: active must be bool [\(steps), \(n)], got \(active.map { "\($0.dtype) \($0.shape)" } ?? "")")
        precondition(
            dtype.isFloatingPoint && ([hiddenWeight, h0] + [hiddenBias, c0].compactMap { $0 }).allSatisfy { $0.dtype == dtype },
            "recurrence: projections, weights and states must share a floating-point type")
        precondition(steps > 0, "recurrence: needs at least one step, got projections \(projections.shape)")
        Tensor.checkDevices([projections, hiddenWeight, h0] + [hiddenBias, c0, active].compactMap { $0 }, "recurrence")
        let backend = projections.device.backend, device = projections.device
        var io = RecurrenceTensors(
            steps: steps, n: n, hidden: h, projections: projections.contiguous(), hiddenWeight: hiddenWeight.contiguous(),
            hiddenBias: hiddenBias?.contiguous(), h0: h0.contiguous(), c0: cell == .lstm ? c0!.contiguous() : nil,
            active: active?.contiguous())
        let (states, gates) = backend.recurrenceForward(cell, io)
        if MultiplyAccumulates.isCounting { MultiplyAccumulates.add(steps * n * g * h) }  // h·W_hhᵀ per step
        io.gates = gates
        let forward = io
        let inputs = [projections, hiddenWeight] + [hiddenBias, h0, cell == .lstm ? c0 : nil].compactMap { $0 }
        if recording(inputs) {
            // The rule reads the states through its `out` argument: capturing `states` itself
            // would make a cycle (tensor → node → rule → tensor) that outlives an unused graph.
            states.record("recurrence", inputs) { grad, states in
                if GradMode.isEnabled {
                    // Replay from the op's own inputs (a distinct alias when one tensor is both h0
                    // and c0, so each slot gets its own gradient).
                    let cReplay = c0.map { $0 === h0 ? $0 * 1 : $0 }
                    let replay = composedRecurrence(
                        cell, projections: projections, hiddenWeight: hiddenWeight, hiddenBias: hiddenBias,
                        h0: h0, c0: cReplay, active: active)
                    let targets = [projections, hiddenWeight] + [hiddenBias, h0, cell == .lstm ? cReplay : nil].compactMap { $0 }
                    return Autograd.run(root: replay, seed: grad, targets: targets, retainGraph: true, createGraph: true, stopAtTargets: true)
                }
                let dy = grad.contiguous()
                let dxg = Tensor(uninitialized: io.projections.shape, dtype: dtype, device: device)
                let dwhh = Tensor(uninitialized: io.hiddenWeight.shape, dtype: dtype, device: device)
                let dbhh = io.hiddenBias.map { Tensor(uninitialized: $0.shape, dtype: dtype, device: device) }
                let dh0 = Tensor(uninitialized: [n, h], dtype: dtype, device: device)
                let dc0 = io.c0.map { Tensor(uninitialized: $0.shape, dtype: dtype, device: device) }
                var saved = forward
                saved.states = states
                backend.recurrenceBackward(
                    cell, saved, dy: dy, grads: RecurrenceGradients(projections: dxg, hiddenWeight: dwhh, hiddenBias: dbhh, h0: dh0, c0: dc0))
                return [dxg, dwhh] + [dbhh, dh0, dc0].compactMap { $0 }
            }
        }
        return states
    }

    /// `recurrence` built from differentiable ops, step by step: the replay for recorded
    /// backward passes and the reference the fused kernels are tested against.
    static func composedRecurrence(
        _ cell: RecurrentCell, projections: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor?,
        h0: Tensor, c0: Tensor?, active: Tensor?
    ) -> Tensor {
        var h = h0, c = c0 ?? h0
        var steps: [Tensor] = []
        let whhT = hiddenWeight.transposed()
        for t in 0..<projections.shape[0] {
            let x = projections[t]
            var hg = h.matmul(whhT)
            if let hiddenBias { hg = hg + hiddenBias }
            var hNext: Tensor, cNext = c
            switch cell {
            case .rnnTanh: hNext = (x + hg).tanh()
            case .rnnRelu: hNext = (x + hg).relu()
            case .lstm:
                let gates = (x + hg).chunked(4, axis: 1)
                cNext = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
                hNext = gates[3].sigmoid() * cNext.tanh()
            case .gru:
                let xs = x.chunked(3, axis: 1), hs = hg.chunked(3, axis: 1)
                let r = (xs[0] + hs[0]).sigmoid(), z = (xs[1] + hs[1]).sigmoid()
                let candidate = (xs[2] + r * hs[2]).tanh()
                hNext = (1 - z) * candidate + z * h
            }
            if let active {
                let keep = active[t].unsqueezed(axis: 1)
                hNext = Tensor.where(keep, hNext, h)
                cNext = Tensor.where(keep, cNext, c)
            }
            (h, c) = (hNext, cNext)
            steps.append(cell == .lstm ? Tensor.stack([h, c]) : h.unsqueezed(axis: 0))
        }
        return Tensor.stack(steps)
    }
}
