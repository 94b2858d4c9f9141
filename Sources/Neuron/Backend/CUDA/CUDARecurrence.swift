import CNeuronCUDA

// The fused recurrences of the CUDA backend: per step one cuBLAS GEMM (h·W_hhᵀ forward,
// dhg·W_hh backward) and one gate kernel (recurrence.cu), as the CPU's rnn.c does per row.
extension CUDABackend {
    /// Saved gate blocks per row (LSTM i f g o; GRU r z n and W_hn·h + b_hn; RNN the output).
    private func savedBlocks(_ cell: RecurrentCell) -> Int { cell == .lstm || cell == .gru ? 4 : 1 }

    /// The device addresses of step t's incoming h and c (c: 0 but for the LSTM): the initial
    /// states at t = 0, else step t − 1's in `states` [T, S, N, H].
    private func previousStates(_ t: Int, _ cell: RecurrentCell, _ io: RecurrenceTensors, states: Tensor) -> (h: UInt64, c: UInt64) {
        let perStep = cell.stateCount * io.n * io.hidden
        let h = t == 0 ? address(io.h0) : address(states, (t - 1) * perStep)
        guard cell == .lstm else { return (UInt64(h), 0) }
        return (UInt64(h), UInt64(t == 0 ? address(io.c0!) : address(states, (t - 1) * perStep + io.n * io.hidden)))
    }

    func recurrenceForward(_ cell: RecurrentCell, _ io: RecurrenceTensors) -> (states: Tensor, saved: Tensor) {
        let (steps, n, h, dtype) = (io.steps, io.n, io.hidden, io.projections.dtype)
        let g = cell.gateCount * h, perStep = cell.stateCount * n * h
        let states = Tensor(uninitialized: [steps, cell.stateCount, n, h], dtype: dtype, device: device)
        let gates = Tensor(uninitialized: [steps, n, savedBlocks(cell) * h], dtype: dtype, device: device)
        let hg = Tensor(uninitialized: [n, g], dtype: dtype, device: device)
        let projections = dense(io.projections), weight = dense(io.hiddenWeight)
        for t in 0..<steps {
            let previous = previousStates(t, cell, io, states: states)
            gemm(
                dtype, transA: false, transB: true, m: n, n: g, k: h, a: CUdeviceptr(previous.h), lda: h, b: address(weight), ldb: h,
                c: address(hg), ldc: g)
            var args = KernelArguments()
            args.add(cell.rawValue)
            args.add(projections, advancedBy: t * n * g)
            args.add(tensors: [hg, io.hiddenBias])
            args.add(previous.h)
            args.add(previous.c)
            if let active = io.active { args.add(active, advancedBy: t * n) } else { args.add(UInt64(0)) }
            args.add(gates, advancedBy: t * n * savedBlocks(cell) * h)
            args.add(states, advancedBy: t * perStep)
            args.add(states, advancedBy: t * perStep + n * h)
            args.add(tensors: [], sizes: [n, h])
            launch("rnn_step_forward_\(Self.suffix(dtype))", in: .recurrence, elements: n * h, args)
        }
        return (states, gates)
    }

    func recurrenceBackward(_ cell: RecurrentCell, _ io: RecurrenceTensors, dy: Tensor, grads: RecurrenceGradients) {
        guard let states = io.states, let gates = io.gates else { preconditionFailure("recurrence: backward before forward") }
        let (steps, n, h, dtype) = (io.steps, io.n, io.hidden, dy.dtype)
        let g = cell.gateCount * h, perStep = cell.stateCount * n * h
        let grad = dense(dy), weight = dense(io.hiddenWeight)
        // dh0 and dc0 carry the gradient between steps and end as the initial states' gradients.
        fill(grads.h0, with: 0)
        if let dc0 = grads.c0 { fill(dc0, with: 0) }
        let dhg = cell == .gru ? Tensor(uninitialized: [steps, n, g], dtype: dtype, device: device) : grads.projections
        for t in stride(from: steps - 1, through: 0, by: -1) {
            var args = KernelArguments()
            args.add(cell.rawValue)
            args.add(gates, advancedBy: t * n * savedBlocks(cell) * h)
            let previous = previousStates(t, cell, io, states: states)
            args.add(previous.h)
            args.add(previous.c)
            if cell == .lstm { args.add(states, advancedBy: t * perStep + n * h) } else { args.add(UInt64(0)) }
            if let active = io.active { args.add(active, advancedBy: t * n) } else { args.add(UInt64(0)) }
            args.add(grad, advancedBy: t * perStep)
            args.add(tensors: [grads.h0, grads.c0])
            args.add(grads.projections, advancedBy: t * n * g)
            args.add(dhg, advancedBy: t * n * g)
            args.add(tensors: [], sizes: [n, h])
            launch("rnn_step_backward_\(Self.suffix(dtype))", in: .recurrence, elements: n * h, args)
            // dh_{t−1} += dhg_t · W_hh
            gemm(
                dtype, transA: false, transB: false, m: n, n: h, k: g, a: address(dhg, t * n * g), lda: g,
                b: address(weight), ldb: h, beta: 1, c: address(grads.h0), ldc: h)
        }
        // dW_hh = Σ_t dhg_tᵀ · h_{t−1}, one GEMM over every step's rows.
        let hPrevs = Tensor(uninitialized: [steps, n, h], dtype: dtype, device: device)
        copy(io.h0.view(shape: [1, n, h], strides: [n * h, h, 1]), into: hPrevs.view(shape: [1, n, h], strides: [n * h, h, 1]))
        if steps > 1 {
            copy(
                states.view(shape: [steps - 1, n, h], strides: [perStep, h, 1]),
                into: hPrevs.view(shape: [steps - 1, n, h], strides: [n * h, h, 1], offset: n * h))
        }
        gemm(
            dtype, transA: true, transB: false, m: g, n: h, k: steps * n, a: address(dhg), lda: g, b: address(hPrevs), ldb: h,
            c: address(grads.hiddenWeight), ldc: h)
        if let dbhh = grads.hiddenBias { copy(sum(dhg, outer: 1, reduce: steps * n, inner: g, shape: [g]), into: dbhh) }
    }
}
