import Neuron

/// Named tensors: a module's parameters and buffers, or an optimiser's state.
public typealias StateDict = [String: Tensor]

/// What `load(stateDict:strict:)` did.
public struct LoadReport: Equatable, Sendable {
    /// Names copied into the module.
    public var loaded: [String] = []
    /// Names the module has but the state dict lacks.
    public var missing: [String] = []
    /// Names in the state dict the module does not have.
    public var unexpected: [String] = []
    /// Names present on both sides with different shapes: (name, module's shape, given shape).
    public var mismatched: [Mismatch] = []

    public struct Mismatch: Equatable, Sendable {
        public let name: String
        public let expected: [Int]
        public let found: [Int]
    }

    public var isComplete: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }
}

/// A strict load that did not match the module exactly.
public struct StateDictError: Error, CustomStringConvertible {
    public let report: LoadReport
    public var description: String {
        var parts: [String] = []
        if !report.missing.isEmpty { parts.append("missing: \(report.missing.joined(separator: ", "))") }
        if !report.unexpected.isEmpty { parts.append("unexpected: \(report.unexpected.joined(separator: ", "))") }
        for m in report.mismatched { parts.append("\(m.name): expected shape \(m.expected), found \(m.found)") }
        return "state dict does not match the model (" + parts.joined(separator: "; ") + ")"
    }
}

extension Module {
    /// Parameters and buffers by dotted name (PyTorch's `state_dict()`), sharing storage
    /// with the module.
    public func stateDict() -> StateDict {
        var result: StateDict = [:]
        for (name, tensor) in namedParameters() + namedBuffers() { result[name] = tensor }
        return result
    }

    /// Names of the state dict entries in the module's own order.
    public func stateDictNames() -> [String] { (namedParameters() + namedBuffers()).map { $0.0 } }

    /// Copies matching entries into the module's tensors (converting the element type).
    /// With `strict`, any missing, unexpected or mis-shaped entry throws before anything is
    /// copied; otherwise matching entries are copied and the rest reported.
    @discardableResult
    public func load(stateDict: StateDict, strict: Bool = true) throws -> LoadReport {
        var report = LoadReport()
        let own = namedParameters() + namedBuffers()
        var pairs: [(Tensor, Tensor)] = []
        for (name, tensor) in own {
            guard let source = stateDict[name] else {
                report.missing.append(name)
                continue
            }
            if source.shape != tensor.shape {
                report.mismatched.append(.init(name: name, expected: tensor.shape, found: source.shape))
                continue
            }
            pairs.append((tensor, source))
            report.loaded.append(name)
        }
        let names = Set(own.map { $0.0 })
        report.unexpected = stateDict.keys.filter { !names.contains($0) }.sorted()
        if strict && !report.isComplete { throw StateDictError(report: report) }
        noGrad {
            for (target, source) in pairs { target.assign(source) }
        }
        return report
    }
}
