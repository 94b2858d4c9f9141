import Neuron

/// The name of an optimiser hyperparameter, spelt as PyTorch spells it in `param_groups`
/// ("lr", "weight_decay", …), so state dicts keep PyTorch's keys while a misspelt name in
/// Swift does not compile. Custom optimisers add their own:
///
///     extension Hyperparameter { static let warmupSteps = Hyperparameter(rawValue: "warmup_steps") }
///
/// Deliberately not expressible by a string literal: `["lr": 0.1]` must not type-check as options.
public struct Hyperparameter: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    /// The name in state dicts (`param_groups.<g>.<rawValue>`).
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Learning rate ("lr"); every optimiser has it.
    public static let lr = Hyperparameter(rawValue: "lr")
    /// L2 penalty, or decoupled decay in AdamW ("weight_decay").
    public static let weightDecay = Hyperparameter(rawValue: "weight_decay")
    /// Momentum factor of SGD and RMSprop ("momentum").
    public static let momentum = Hyperparameter(rawValue: "momentum")
    /// SGD's momentum dampening ("dampening").
    public static let dampening = Hyperparameter(rawValue: "dampening")
    /// SGD's Nesterov momentum, 1 or 0 ("nesterov").
    public static let nesterov = Hyperparameter(rawValue: "nesterov")
    /// Adam's first-moment decay β₁ ("beta1").
    public static let beta1 = Hyperparameter(rawValue: "beta1")
    /// Adam's second-moment decay β₂ ("beta2").
    public static let beta2 = Hyperparameter(rawValue: "beta2")
    /// The term added to the denominator for stability ("eps").
    public static let eps = Hyperparameter(rawValue: "eps")
    /// Adam's AMSGrad variant, 1 or 0 ("amsgrad").
    public static let amsgrad = Hyperparameter(rawValue: "amsgrad")
    /// RMSprop's smoothing constant ("alpha").
    public static let alpha = Hyperparameter(rawValue: "alpha")
    /// RMSprop's centred variant, 1 or 0 ("centered").
    public static let centered = Hyperparameter(rawValue: "centered")
    /// Adagrad's learning-rate decay ("lr_decay").
    public static let lrDecay = Hyperparameter(rawValue: "lr_decay")
    /// Adagrad's starting accumulator ("initial_accumulator_value").
    public static let initialAccumulatorValue = Hyperparameter(rawValue: "initial_accumulator_value")
}

/// Parameters that share hyperparameters (learning rate, weight decay, momentum, …).
///
///     SGD([ParameterGroup(backbone), ParameterGroup(head, options: [.lr: 1e-2, .weightDecay: 0])], lr: 1e-3)
public struct ParameterGroup {
    public var parameters: [Tensor]
    /// This group's hyperparameters; the optimiser fills in its defaults for the ones left out.
    public var options: [Hyperparameter: Double]
    /// The optimiser the group belongs to, for error messages.
    var owner = "optimizer"

    public init(_ parameters: [Tensor], options: [Hyperparameter: Double] = [:]) {
        self.parameters = parameters
        self.options = options
    }

    /// A hyperparameter's value; reading one the group lacks stops with its name.
    public subscript(_ key: Hyperparameter) -> Double {
        get {
            guard let value = options[key] else {
                let known = options.keys.map(\.rawValue).sorted().joined(separator: ", ")
                preconditionFailure("\(owner): no hyperparameter '\(key)' in parameter group (it has: \(known))")
            }
            return value
        }
        set { options[key] = newValue }
    }

    /// The learning rate (`.lr`).
    public var learningRate: Double {
        get { self[.lr] }
        set { self[.lr] = newValue }
    }

    /// The weight decay (`.weightDecay`).
    public var weightDecay: Double {
        get { self[.weightDecay] }
        set { self[.weightDecay] = newValue }
    }

    /// The momentum factor (`.momentum`; SGD and RMSprop — Adam's counterpart is `.beta1`).
    public var momentum: Double {
        get { self[.momentum] }
        set { self[.momentum] = newValue }
    }
}
