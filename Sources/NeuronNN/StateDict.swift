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

extension LoadReport: CustomStringConvertible {
    /// "loaded 100 of 102 tensors; missing: …; unexpected: …; mis-shaped: …".
    public var description: String {
        var parts = ["loaded \(loaded.count) of \(loaded.count + missing.count + mismatched.count) tensors"]
        if !missing.isEmpty { parts.append("missing: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected: \(unexpected.joined(separator: ", "))") }
        if !mismatched.isEmpty {
            parts.append("mis-shaped: " + mismatched.map { "\($0.name) (model \($0.expected), file \($0.found))" }.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }
}

/// One rule that renames the keys of a state dict before it is loaded (a checkpoint written by
/// another model: `bert.encoder.layer.0…` into `encoder.layer.0…`). Rules apply in order.
public enum KeyRemap: Sendable {
    /// Drops `prefix` from keys that start with it; other keys pass unchanged.
    case stripPrefix(String)
    /// Replaces the prefix `from` by `to` on keys that start with it.
    case replacePrefix(String, with: String)
    /// Renames exact keys.
    case rename([String: String])
    /// Keeps only keys that start with the prefix (the backbone of a pretrained model).
    case keepPrefix(String)
    /// Any renaming; returning nil drops the key.
    case custom(@Sendable (String) -> String?)

    func apply(_ key: String) -> String? {
        switch self {
        case .stripPrefix(let prefix): key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
        case .replacePrefix(let from, let to): key.hasPrefix(from) ? to + key.dropFirst(from.count) : key
        case .rename(let names): names[key] ?? key
        case .keepPrefix(let prefix): key.hasPrefix(prefix) ? key : nil
        case .custom(let rename): rename(key)
        }
    }

    /// The entries under `prefix.` with the prefix dropped: one model's section of a file that
    /// holds several (`model.` in a training checkpoint).
    public static func section(_ prefix: String, of stateDict: StateDict) -> StateDict {
        apply([.keepPrefix(prefix + "."), .stripPrefix(prefix + ".")], to: stateDict)
    }

    /// `stateDict` with every key renamed by `rules` (dropped keys left out).
    public static func apply(_ rules: [KeyRemap], to stateDict: StateDict) -> StateDict {
        var result: StateDict = [:]
        for (key, tensor) in stateDict {
            var name: String? = key
            for rule in rules { name = name.flatMap(rule.apply) }
            if let name { result[name] = tensor }
        }
        return result
    }
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

    /// Copies matching entries into the module's tensors (converting the element type), after
    /// renaming the given keys by `remap`. With `strict`, any missing, unexpected or mis-shaped
    /// entry throws before anything is copied; otherwise matching entries are copied and the
    /// rest reported (PyTorch's `load_state_dict(strict=False)`).
    @discardableResult
    public func load(stateDict: StateDict, strict: Bool = true, remap: [KeyRemap] = []) throws -> LoadReport {
        let stateDict = remap.isEmpty ? stateDict : KeyRemap.apply(remap, to: stateDict)
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
            for (target, source) in pairs { target.assign(source.to(target.device)) }
        }
        return report
    }
}
