import Neuron

/// Records the layers a forward pass calls, with their output shapes and multiply-accumulates.
final class LayerTracer {
    nonisolated(unsafe) static var current: LayerTracer?

    struct Call {
        let module: Module
        var outputShape: [Int] = []
        /// Multiply-accumulates of this call outside the traced layers it called.
        var ownMultiplyAccumulates = 0
    }

    /// In the order the calls began.
    var calls: [Call] = []
    /// Per open call: its index and the multiply-accumulates of the traced calls inside it.
    var open: [(index: Int, nested: Int)] = []

    func call(_ module: Module, _ input: Tensor, _ forward: () -> Tensor) -> Tensor {
        let index = calls.count
        calls.append(Call(module: module))
        open.append((index, 0))
        let before = MultiplyAccumulates.current
        let output = forward()
        let inside = MultiplyAccumulates.current - before
        let nested = open.removeLast().nested
        calls[index].outputShape = output.shape
        calls[index].ownMultiplyAccumulates = inside - nested
        if !open.isEmpty { open[open.count - 1].nested += inside }
        return output
    }
}

/// A model's layers with output shapes, parameter counts and multiply-accumulates, as Keras'
/// `model.summary()`; `description` is the printed table.
public struct ModelSummary: CustomStringConvertible, Sendable {
    public struct Row: Sendable {
        /// Dotted name in the state dict ("features.0"), or the type for the model itself.
        public let name: String
        public let type: String
        /// Nil for a module that is not a `Layer` (called by its parent directly, not traced).
        public let outputShape: [Int]?
        /// Parameters the layer holds itself (not its sub-layers').
        public let parameters: Int
        /// Multiply-accumulates of this layer's own forward pass (not its sub-layers').
        public let multiplyAccumulates: Int
    }

    public let rows: [Row]
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let totalParameters: Int
    public let trainableParameters: Int
    public var frozenParameters: Int { totalParameters - trainableParameters }
    /// Multiply-accumulates of one forward pass on the summary's input.
    public let multiplyAccumulates: Int

    public var description: String {
        let header = ["Layer", "Type", "Output shape", "Params", "MACs"]
        let cells = rows.map { [$0.name, $0.type, $0.outputShape.map { "\($0)" } ?? "—", grouped($0.parameters), grouped($0.multiplyAccumulates)] }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max()! }
        func line(_ values: [String]) -> String {
            values.enumerated().map { i, value in
                let fill = String(repeating: " ", count: widths[i] - value.count)
                return i >= 3 ? fill + value : value + fill
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        return
            ([line(header), rule] + cells.map(line) + [
                rule,
                "Input shape: \(inputShape)   output shape: \(outputShape)",
                "Total parameters: \(grouped(totalParameters))",
                "Trainable parameters: \(grouped(trainableParameters))",
                "Frozen parameters: \(grouped(frozenParameters))",
                "Multiply-accumulates per forward pass: \(grouped(multiplyAccumulates))",
            ]).joined(separator: "\n")
    }
}

/// 61706 -> "61,706".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (i, character) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return (value < 0 ? "-" : "") + result
}

extension Layer {
    /// Runs one forward pass on `input` (evaluation mode, nothing recorded) and lists every
    /// layer it called that holds parameters or has no sub-layers, in call order, with its
    /// output shape, own parameter count and multiply-accumulates (matrix products and
    /// convolutions; element-wise ops count none). Totals cover every parameter of the model,
    /// trainable and frozen.
    public func summary(input: Tensor) -> ModelSummary {
        let names = Dictionary(namedModules().map { (ObjectIdentifier($0.1), $0.0) }) { first, _ in first }
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        let tracer = LayerTracer()
        // Layers are traced only on the thread that counts, one summary at a time.
        let (output, total) = MultiplyAccumulates.count { () -> Tensor in
            let previous = LayerTracer.current
            LayerTracer.current = tracer
            defer { LayerTracer.current = previous }
            return noGrad { self(input) }
        }
        var rows: [ModelSummary.Row] = []
        for call in tracer.calls where call.module !== self || tracer.calls.count == 1 {
            let own = call.module.namedOwnParameters().reduce(0) { $0 + $1.1.count }
            guard own > 0 || call.module.namedChildren().isEmpty || call.ownMultiplyAccumulates > 0 else { continue }
            let name = names[ObjectIdentifier(call.module)] ?? "?"
            rows.append(
                .init(
                    name: name.isEmpty ? "(model)" : name, type: "\(type(of: call.module))", outputShape: call.outputShape,
                    parameters: own, multiplyAccumulates: call.ownMultiplyAccumulates))
        }
        // Modules with parameters that were not traced (a recurrent layer inside a model).
        let traced = Set(tracer.calls.map { ObjectIdentifier($0.module) })
        for (name, module) in namedModules() where !traced.contains(ObjectIdentifier(module)) {
            let own = module.namedOwnParameters().reduce(0) { $0 + $1.1.count }
            if own > 0 {
                rows.append(
                    .init(
                        name: name.isEmpty ? "(model)" : name, type: "\(type(of: module))", outputShape: nil,
                        parameters: own, multiplyAccumulates: 0))
            }
        }
        let all = parameters()
        return ModelSummary(
            rows: rows, inputShape: input.shape, outputShape: output.shape,
            totalParameters: all.reduce(0) { $0 + $1.count },
            trainableParameters: all.filter { $0.requiresGrad }.reduce(0) { $0 + $1.count },
            multiplyAccumulates: total)
    }
}
