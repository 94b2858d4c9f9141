import Neuron

/// The base of every optimiser: parameter groups, per-parameter state and its state dict.
/// Parameters without a gradient (frozen, or unused) are skipped and get no state.
open class Optimizer {
    public var parameterGroups: [ParameterGroup]
    /// Per-parameter state tensors ("momentum_buffer", "exp_avg", …), by parameter position.
    public internal(set) var state: [Int: [String: Tensor]] = [:]
    /// Per-parameter step counts, by parameter position.
    public internal(set) var steps: [Int: Int] = [:]

    /// `defaults` fill in every hyperparameter a group leaves out.
    public init(_ groups: [ParameterGroup], defaults: [Hyperparameter: Double]) {
        parameterGroups = groups.map { group in
            var group = group
            group.options.merge(defaults) { own, _ in own }
            return group
        }
        let owner = String(describing: type(of: self))
        for g in parameterGroups.indices { parameterGroups[g].owner = owner }
        let all = parameterGroups.flatMap { $0.parameters }
        precondition(
            Set(all.map { ObjectIdentifier($0) }).count == all.count,
            "optimizer: a parameter appears in more than one group")
        for p in all {
            precondition(p.dtype.isFloatingPoint, "optimizer: parameter of type \(p.dtype) and shape \(p.shape) is not floating-point")
        }
    }

    /// Applies one update to every parameter that has a gradient.
    public func step() {
        noGrad {
            var index = 0
            for group in parameterGroups {
                var updates: [ParameterUpdate] = []
                for parameter in group.parameters {
                    defer { index += 1 }
                    guard let grad = parameter.grad else { continue }
                    steps[index, default: 0] += 1
                    // State follows its parameter when the model moved to another device.
                    for tensor in (state[index] ?? [:]).values where tensor.device != parameter.device {
                        tensor.moveStorage(to: parameter.device)
                    }
                    updates.append(ParameterUpdate(index: index, parameter: parameter, grad: grad, step: steps[index]!))
                }
                update(updates, group: group)
            }
        }
    }

    /// Updates a group's parameters that have a gradient; by default one at a time through
    /// `update(_:grad:group:state:step:)`. A subclass overrides it to update them all in one pass.
    open func update(_ updates: [ParameterUpdate], group: ParameterGroup) {
        for item in updates {
            var slots = state[item.index] ?? [:]
            update(item.parameter, grad: item.grad, group: group, state: &slots, step: item.step)
            state[item.index] = slots
        }
    }

    /// Computes one parameter's update; subclasses implement their rule here.
    open func update(_ parameter: Tensor, grad: Tensor, group: ParameterGroup, state: inout [String: Tensor], step: Int) {
        preconditionFailure("\(type(of: self)) must override update(_:grad:group:state:step:)")
    }

    /// Drops every parameter's gradient.
    public func zeroGrad() {
        for group in parameterGroups { for p in group.parameters { p.grad = nil } }
    }

    /// State and hyperparameters as named tensors: `state.<i>.<slot>`, `state.<i>.step`,
    /// `param_groups.<g>.<hyperparameter>` (scalars as float64, under
    /// PyTorch's names: `param_groups.0.weight_decay`).
    public func stateDict() -> StateDict {
        var result: StateDict = [:]
        for (index, slots) in state {
            for (name, tensor) in slots { result["state.\(index).\(name)"] = tensor }
        }
        for (index, count) in steps { result["state.\(index).step"] = Tensor(Double(count), dtype: .float64) }
        for (g, group) in parameterGroups.enumerated() {
            for (name, value) in group.options { result["param_groups.\(g).\(name.rawValue)"] = Tensor(value, dtype: .float64) }
        }
        return result
    }

    /// Restores what `stateDict()` saved, so a resumed run continues exactly.
    public func load(stateDict: StateDict) throws {
        var newState: [Int: [String: Tensor]] = [:], newSteps: [Int: Int] = [:]
        var groups = parameterGroups
        let count = groups.reduce(0) { $0 + $1.parameters.count }
        for (key, tensor) in stateDict {
            let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count == 3, let index = Int(parts[1]) else { throw OptimizerStateError(key: key, reason: "unrecognised name") }
            switch parts[0] {
            case "state":
                guard index < count else { throw OptimizerStateError(key: key, reason: "no parameter \(index)") }
                if parts[2] == "step" { newSteps[index] = Int(tensor.item()) } else { newState[index, default: [:]][parts[2]] = tensor.copy() }
            case "param_groups":
                guard index < groups.count else { throw OptimizerStateError(key: key, reason: "no parameter group \(index)") }
                groups[index].options[Hyperparameter(rawValue: parts[2])] = tensor.item()
            default:
                throw OptimizerStateError(key: key, reason: "unrecognised name")
            }
        }
        var position = 0
        for group in groups {
            for parameter in group.parameters {
                for (slot, tensor) in newState[position] ?? [:] where tensor.shape != parameter.shape && tensor.count != 1 {
                    throw OptimizerStateError(
                        key: "state.\(position).\(slot)",
                        reason: "shape \(tensor.shape) does not match parameter \(parameter.shape)")
                }
                position += 1
            }
        }
        state = newState
        steps = newSteps
        parameterGroups = groups
    }
}

/// One parameter due for an update: its position among the optimiser's parameters (the key of
/// its state), the tensors and its step count including this step.
public struct ParameterUpdate {
    public let index: Int
    public let parameter: Tensor
    public let grad: Tensor
    public let step: Int
}

/// An optimiser state dict that does not fit the optimiser.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let key: String
    public let reason: String
    public var description: String { "optimizer state '\(key)': \(reason)" }
}
