import CNeuronKernels

// The fused recurrences of the CPU backend: per step one GEMM and one pass over the gates.
extension CPUBackend {
    func recurrenceForward(_ cell: RecurrentCell, _ io: RecurrenceTensors) -> (states: Tensor, saved: Tensor) {
        let (steps, n, h, dtype) = (io.steps, io.n, io.hidden, io.projections.dtype)
        let states = Tensor(uninitialized: [steps, cell.stateCount, n, h], dtype: dtype)
        let gates = Tensor(uninitialized: [steps, n, Int(nk_rnn_gate_width(cell.rawValue)) * h], dtype: dtype)
        launch {
            let mask = io.active?.pointer(as: UInt8.self)
            if dtype == .float32 {
                nk_rnn_forward_f32(
                    cell.rawValue, Int64(steps), Int64(n), Int64(h), io.projections.pointer(as: Float.self),
                    io.hiddenWeight.pointer(as: Float.self), io.hiddenBias?.pointer(as: Float.self), io.h0.pointer(as: Float.self),
                    io.c0?.pointer(as: Float.self), mask, states.pointer(as: Float.self), gates.pointer(as: Float.self))
            } else {
                nk_rnn_forward_f64(
                    cell.rawValue, Int64(steps), Int64(n), Int64(h), io.projections.pointer(as: Double.self),
                    io.hiddenWeight.pointer(as: Double.self), io.hiddenBias?.pointer(as: Double.self), io.h0.pointer(as: Double.self),
                    io.c0?.pointer(as: Double.self), mask, states.pointer(as: Double.self), gates.pointer(as: Double.self))
            }
        }
        return (states, gates)
    }

    func recurrenceBackward(_ cell: RecurrentCell, _ io: RecurrenceTensors, dy: Tensor, grads: RecurrenceGradients) {
        let (steps, n, h) = (Int64(io.steps), Int64(io.n), Int64(io.hidden))
        guard let states = io.states, let gates = io.gates else { preconditionFailure("recurrence: backward before forward") }
        launch {
            let mask = io.active?.pointer(as: UInt8.self)
            if dy.dtype == .float32 {
                nk_rnn_backward_f32(
                    cell.rawValue, steps, n, h, dy.pointer(as: Float.self), io.hiddenWeight.pointer(as: Float.self),
                    io.h0.pointer(as: Float.self), io.c0?.pointer(as: Float.self), mask, states.pointer(as: Float.self),
                    gates.pointer(as: Float.self), grads.projections.pointer(as: Float.self), grads.hiddenWeight.pointer(as: Float.self),
                    grads.hiddenBias?.pointer(as: Float.self), grads.h0.pointer(as: Float.self), grads.c0?.pointer(as: Float.self))
            } else {
                nk_rnn_backward_f64(
                    cell.rawValue, steps, n, h, dy.pointer(as: Double.self), io.hiddenWeight.pointer(as: Double.self),
                    io.h0.pointer(as: Double.self), io.c0?.pointer(as: Double.self), mask, states.pointer(as: Double.self),
                    gates.pointer(as: Double.self), grads.projections.pointer(as: Double.self), grads.hiddenWeight.pointer(as: Double.self),
                    grads.hiddenBias?.pointer(as: Double.self), grads.h0.pointer(as: Double.self), grads.c0?.pointer(as: Double.self))
            }
        }
    }
}
