import Neuron

/// What a recurrent layer returns: every step's output and the final states.
public struct RecurrentOutput {
    /// [T, N, D·H] (or [N, T, D·H] batch-first), D = 2 when bidirectional; zero past each
    /// sequence's end when lengths are given.
    public let output: Tensor
    /// Final hidden state per layer and direction, [L·D, N, H]: each sequence's last step.
    public let h: Tensor
    /// Final cell state [L·D, N, H] (LSTM only).
    public let c: Tensor?
}

/// Multi-layer recurrent network (PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU`): parameters
/// `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (and `_reverse`), with
/// PyTorch's shapes, gate order and initialisation U(−1/√H, 1/√H), so weights load one to one.
/// Each layer projects the whole input sequence with one GEMM and runs the fused recurrence.
public class RecurrentLayer: Module {
    public let cell: RecurrentCell
    public let inputSize: Int, hiddenSize: Int, numLayers: Int
    public let batchFirst: Bool, bidirectional: Bool
    public let dropout: Double
    let parameterList: [(String, Tensor)]
    let dropoutLayer: Dropout

    init(
        cell: RecurrentCell, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
        dropout: Double, bidirectional: Bool, dtype: DType, generator: RandomGenerator
    ) {
        let name = "\(type(of: self))"
        precondition(
            inputSize > 0 && hiddenSize > 0 && numLayers > 0,
            "\(name): sizes and layer count must be positive, got input \(inputSize), hidden \(hiddenSize), layers \(numLayers)")
        precondition(dropout >= 0 && dropout < 1, "\(name): dropout \(dropout) must be in [0, 1)")
        (self.cell, self.inputSize, self.hiddenSize, self.numLayers) = (cell, inputSize, hiddenSize, numLayers)
        (self.batchFirst, self.bidirectional, self.dropout) = (batchFirst, bidirectional, dropout)
        let bound = 1 / Double(hiddenSize).squareRoot(), rows = cell.gateCount * hiddenSize
        var list: [(String, Tensor)] = []
        for layer in 0..<numLayers {
            let layerInput = layer == 0 ? inputSize : hiddenSize * (bidirectional ? 2 : 1)
            for suffix in bidirectional ? ["", "_reverse"] : [""] {
                var shapes = [("weight_ih", [rows, layerInput]), ("weight_hh", [rows, hiddenSize])]
                if bias { shapes += [("bias_ih", [rows]), ("bias_hh", [rows])] }
                for (kind, shape) in shapes {
                    let tensor = Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator).requiringGrad()
                    list.append(("\(kind)_l\(layer)\(suffix)", tensor))
                }
            }
        }
        parameterList = list
        dropoutLayer = Dropout(dropout, generator: generator)
        super.init()
    }

    override public func namedOwnParameters() -> [(String, Tensor)] { parameterList }

    /// The named parameter, e.g. `weight_hh_l0_reverse`.
    public func parameter(_ name: String) -> Tensor? { parameterList.first { $0.0 == name }?.1 }

    /// Runs the layers over `input` [T, N, I] ([N, T, I] batch-first). `h0` (and `c0` for the
    /// LSTM) are [L·D, N, H], zeros when nil. `lengths` (one per sequence, 1…T) gives packed
    /// semantics: outputs past a sequence's end are zero and final states come from its last
    /// step; the reverse direction starts at each sequence's own end.
    public func run(_ input: Tensor, h0: Tensor? = nil, c0: Tensor? = nil, lengths: [Int]? = nil) -> RecurrentOutput {
        let name = "\(type(of: self))"
        precondition(
            input.rank == 3 && input.shape[2] == inputSize,
            "\(name): expects input [\(batchFirst ? "N, T" : "T, N"), \(inputSize)], got \(input.shape)")
        var x = batchFirst ? input.transposed(0, 1) : input
        let (steps, n) = (x.shape[0], x.shape[1]), directions = bidirectional ? 2 : 1
        let stateShape = [numLayers * directions, n, hiddenSize]
        for state in [h0, c0].compactMap({ $0 }) {
            precondition(state.shape == stateShape, "\(name): initial states must be \(stateShape), got \(state.shape)")
        }
        var active: Tensor?, keep: Tensor?, reversal: Tensor?
        if let lengths {
            precondition(
                lengths.count == n && lengths.allSatisfy { $0 >= 1 && $0 <= steps },
                "\(name): needs \(n) lengths in 1…\(steps), got \(lengths)")
            let mask = (0..<steps).flatMap { t in lengths.map { t < $0 } }
            active = Tensor(mask, shape: [steps, n]).to(input.device)
            keep = active!.to(input.dtype).unsqueezed(axis: 2)
            // Step t of the reversed sequence reads step L − 1 − t of a sequence of length L.
            reversal = Tensor((0..<steps).flatMap { t in lengths.map { t < $0 ? $0 - 1 - t : t } }, shape: [steps, n, 1]).to(input.device)
        }
        func reversed(_ sequence: Tensor) -> Tensor {
            guard let reversal else { return sequence.indexSelect(axis: 0, index: Tensor(Array((0..<steps).reversed())).to(input.device)) }
            return sequence.gather(axis: 0, index: reversal.expanded(to: sequence.shape).contiguous())
        }
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        let zeros = Tensor.zeros([n, hiddenSize], dtype: input.dtype, device: input.device)
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let index = layer * directions + direction, suffix = direction == 1 ? "_reverse" : ""
                let sequence = direction == 1 ? reversed(x) : x
                let wih = parameter("weight_ih_l\(layer)\(suffix)")!, whh = parameter("weight_hh_l\(layer)\(suffix)")!
                let projections = sequence.reshaped([steps * n, -1]).linear(weight: wih, bias: parameter("bias_ih_l\(layer)\(suffix)"))
                let states = Tensor.recurrence(
                    cell, projections: projections.reshaped([steps, n, -1]), hiddenWeight: whh,
                    hiddenBias: parameter("bias_hh_l\(layer)\(suffix)"), h0: h0?[index] ?? zeros,
                    c0: cell == .lstm ? c0?[index] ?? zeros : nil, active: active)
                finalH.append(states[steps - 1, 0])
                if cell == .lstm { finalC.append(states[steps - 1, 1]) }
                var output = states[.all, 0]
                if direction == 1 { output = reversed(output) }
                outputs.append(keep.map { output * $0 } ?? output)
            }
            x = directions == 1 ? outputs[0] : Tensor.concat(outputs, axis: 2)
            if layer < numLayers - 1 && dropout > 0 { x = dropoutLayer(x) }
        }
        return RecurrentOutput(
            output: batchFirst ? x.transposed(0, 1) : x, h: Tensor.stack(finalH),
            c: cell == .lstm ? Tensor.stack(finalC) : nil)
    }
}

/// Elman RNN with tanh (default) or ReLU (`nonlinearity: "relu"`).
public final class RNN: RecurrentLayer {
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
        batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(nonlinearity == "tanh" || nonlinearity == "relu", "RNN: nonlinearity must be tanh or relu, got \(nonlinearity)")
        super.init(
            cell: nonlinearity == "tanh" ? .rnnTanh : .rnnRelu, inputSize: inputSize, hiddenSize: hiddenSize,
            numLayers: numLayers, bias: bias, batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
            dtype: dtype, generator: generator)
    }

    /// Output and final hidden state; see `run`.
    public func callAsFunction(_ input: Tensor, h0: Tensor? = nil, lengths: [Int]? = nil) -> (output: Tensor, h: Tensor) {
        let result = run(input, h0: h0, lengths: lengths)
        return (result.output, result.h)
    }
}

/// Long short-term memory (gates i, f, g, o).
public final class LSTM: RecurrentLayer {
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32, generator: RandomGenerator = Random.generator
    ) {
        super.init(
            cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
            batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: generator)
    }

    /// Output and final (h, c); see `run`.
    public func callAsFunction(_ input: Tensor, state: (h: Tensor, c: Tensor)? = nil, lengths: [Int]? = nil)
        -> (output: Tensor, h: Tensor, c: Tensor)
    {
        let result = run(input, h0: state?.h, c0: state?.c, lengths: lengths)
        return (result.output, result.h, result.c!)
    }
}

/// Gated recurrent unit (gates r, z, n).
public final class GRU: RecurrentLayer {
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32, generator: RandomGenerator = Random.generator
    ) {
        super.init(
            cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
            batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: generator)
    }

    /// Output and final hidden state; see `run`.
    public func callAsFunction(_ input: Tensor, h0: Tensor? = nil, lengths: [Int]? = nil) -> (output: Tensor, h: Tensor) {
        let result = run(input, h0: h0, lengths: lengths)
        return (result.output, result.h)
    }
}
