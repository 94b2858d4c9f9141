import Glibc
import Neuron

/// Shell-style patterns over state-dict names: `*` matches any run of characters (dots
/// included), `?` one character, `[0-3]` or `[abc]` one character of a set, anything else
/// itself. `encoder.layer.[0-3].*` matches every parameter of BERT's first four layers.
public struct NamePattern: Sendable, CustomStringConvertible {
    public let pattern: String
    let characters: [Character]

    public init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern)
    }

    public var description: String { pattern }

    public func matches(_ name: String) -> Bool { match(Array(name), 0, 0) }

    private func match(_ name: [Character], _ i: Int, _ p: Int) -> Bool {
        if p == characters.count { return i == name.count }
        switch characters[p] {
        case "*":
            for start in i...name.count where match(name, start, p + 1) { return true }
            return false
        case "?":
            return i < name.count && match(name, i + 1, p + 1)
        case "[":
            guard let close = characters[(p + 1)...].firstIndex(of: "]"), i < name.count else { return false }
            let set = Array(characters[(p + 1)..<close])
            var k = 0, found = false
            while k < set.count {
                if k + 2 < set.count && set[k + 1] == "-" {
                    if set[k] <= name[i] && name[i] <= set[k + 2] { found = true }
                    k += 3
                } else {
                    if set[k] == name[i] { found = true }
                    k += 1
                }
            }
            return found && match(name, i + 1, close + 1)
        default:
            return i < name.count && name[i] == characters[p] && match(name, i + 1, p + 1)
        }
    }
}

extension Module {
    /// Freezes the parameters whose names match any of `patterns` (no gradient, so no update
    /// or optimiser state) and returns their names. With `batchNormStatistics`, batch-norm
    /// layers all of whose parameters are frozen also keep their running statistics, in
    /// training mode too.
    @discardableResult
    public func freeze(matching patterns: [String], batchNormStatistics: Bool = true) -> [String] {
        setTrainable(false, matching: patterns, batchNormStatistics: batchNormStatistics)
    }

    /// Makes the parameters whose names match any of `patterns` trainable again (and lets their
    /// batch-norm layers update statistics); returns their names.
    @discardableResult
    public func unfreeze(matching patterns: [String]) -> [String] {
        setTrainable(true, matching: patterns, batchNormStatistics: true)
    }

    private func setTrainable(_ on: Bool, matching patterns: [String], batchNormStatistics: Bool) -> [String] {
        let compiled = patterns.map(NamePattern.init)
        var changed: [String] = []
        for (name, parameter) in namedParameters() where compiled.contains(where: { $0.matches(name) }) {
            parameter.grad = nil
            parameter.requiresGrad = on
            changed.append(name)
        }
        if batchNormStatistics {
            for (_, module) in namedModules() {
                guard let norm = module as? BatchNorm else { continue }
                let parameters = norm.parameters()
                if on {
                    norm.statisticsFrozen = false
                } else if !parameters.isEmpty && parameters.allSatisfy({ !$0.requiresGrad }) {
                    norm.statisticsFrozen = true
                }
            }
        }
        return changed
    }
}

extension ParameterGroup {
    /// Layer-wise learning-rate decay (as in ELECTRA and BEiT fine-tuning): one group per
    /// depth, the parameters at depth d (0 = the input end, `maxDepth` = the head) with
    /// learning rate `learningRate · decay^(maxDepth − d)`. `depth` maps each parameter name
    /// to its depth; frozen parameters (no `requiresGrad`) are left out. `options` are added
    /// to every group (weight decay, …).
    public static func layerwise(
        _ named: [(String, Tensor)], learningRate: Double, decay: Double, maxDepth: Int,
        depth: (String) -> Int, options: [Hyperparameter: Double] = [:]
    ) -> [ParameterGroup] {
        precondition(decay > 0 && decay <= 1, "ParameterGroup.layerwise: decay must be in (0, 1], got \(decay)")
        var byDepth: [Int: [Tensor]] = [:]
        for (name, parameter) in named where parameter.requiresGrad {
            let d = depth(name)
            precondition(d >= 0 && d <= maxDepth, "ParameterGroup.layerwise: depth \(d) of \(name) is outside 0...\(maxDepth)")
            byDepth[d, default: []].append(parameter)
        }
        return byDepth.keys.sorted().map { d in
            var groupOptions = options
            groupOptions[.lr] = learningRate * pow(decay, Double(maxDepth - d))
            return ParameterGroup(byDepth[d]!, options: groupOptions)
        }
    }
}
