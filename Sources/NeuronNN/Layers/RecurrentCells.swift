import Neuron

/// One step of a recurrent cell, for custom loops (PyTorch's `nn.RNNCell`/`LSTMCell`/
/// `GRUCell`): parameters `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` with PyTorch's shapes,
/// gate order and initialisation. Runs the same fused kernel as the layers, for one step.
public class RecurrentCellLayer: Module {
    public let cell: RecurrentCell
    public let inputSize: Int, hiddenSize: Int
    public let weightIh: Tensor, weightHh: Tensor
    public let biasIh: Tensor?, biasHh: Tensor?

    init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, bias: Bool, dtype: DType, generator: RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0, "\(type(of: self)): sizes must be positive, got \(inputSize) and \(hiddenSize)")
        let bound = 1 / Double(hiddenSize).squareRoot(), rows = cell.gateCount * hiddenSize
        func uniform(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator) }
        (self.cell, self.inputSize, self.hiddenSize) = (cell, inputSize, hiddenSize)
        weightIh = uniform([rows, inputSize])
        weightHh = uniform([rows, hiddenSize])
        biasIh = bias ? uniform([rows]) : nil
        biasHh = bias ? uniform([rows]) : nil
        super.init()
        for parameter in [weightIh, weightHh] + [biasIh, biasHh].compactMap({ $0 }) { parameter.requiresGrad = true }
    }

    /// The states after one step from x [N, I] and states [N, H] (zeros when nil).
    func step(_ input: Tensor, h: Tensor?, c: Tensor?) -> (h: Tensor, c: Tensor?) {
        precondition(
            input.rank == 2 && input.shape[1] == inputSize,
            "\(type(of: self)): expects input [N, \(inputSize)], got \(input.shape)")
        let zeros = Tensor.zeros([input.shape[0], hiddenSize], dtype: input.dtype, device: input.device)
        let projection = input.linear(weight: weightIh, bias: biasIh)
        let states = Tensor.recurrence(
            cell, projections: projection.unsqueezed(axis: 0), hiddenWeight: weightHh, hiddenBias: biasHh,
            h0: h ?? zeros, c0: cell == .lstm ? c ?? zeros : nil, active: nil)
        return (states[0, 0], cell == .lstm ? states[0, 1] : nil)
    }
}

/// Elman cell: h' = tanh or relu of (x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
public final class RNNCell: RecurrentCellLayer {
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: String = "tanh", dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(nonlinearity == "tanh" || nonlinearity == "relu", "RNNCell: nonlinearity must be tanh or relu, got \(nonlinearity)")
        super.init(
            cell: nonlinearity == "tanh" ? .rnnTanh : .rnnRelu, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias,
            dtype: dtype, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, h: Tensor? = nil) -> Tensor { step(input, h: h, c: nil).h }
}

/// LSTM cell: returns the next (h, c).
public final class LSTMCell: RecurrentCellLayer {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32, generator: RandomGenerator = Random.generator) {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: (h: Tensor, c: Tensor)? = nil) -> (h: Tensor, c: Tensor) {
        let next = step(input, h: state?.h, c: state?.c)
        return (next.h, next.c!)
    }
}

/// GRU cell: returns the next h.
public final class GRUCell: RecurrentCellLayer {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32, generator: RandomGenerator = Random.generator) {
        super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, h: Tensor? = nil) -> Tensor { step(input, h: h, c: nil).h }
}
