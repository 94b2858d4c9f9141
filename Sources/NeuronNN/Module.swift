import Neuron

/// A tensor a module keeps as state but does not train (BatchNorm's running statistics).
/// Buffers appear in `buffers()` and in the state dict, not in `parameters()`. `key` gives
/// the buffer its own state-dict name instead of the property's name in snake_case.
@propertyWrapper
public struct Buffer {
    public var wrappedValue: Tensor
    public let key: String?
    public init(wrappedValue: Tensor, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }
}

/// Gives a sub-module property (a module, an optional module or an array of modules) its own
/// state-dict key, as mlx-swift's `@ModuleInfo(key:)`: `@ModuleInfo(key: "LayerNorm") var norm
/// = LayerNorm([384])` is saved as `LayerNorm.weight`, the name Hugging Face checkpoints use.
/// Declare it `var` to replace the module later (a new head); discovery sees the new one.
@propertyWrapper
public struct ModuleInfo<Value> {
    public var wrappedValue: Value
    public let key: String?
    public init(wrappedValue: Value, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }
}

/// Gives a parameter property its own state-dict key (`@ParameterInfo(key: "gamma") var
/// weight = Tensor.ones([8])`).
@propertyWrapper
public struct ParameterInfo {
    public var wrappedValue: Tensor
    public let key: String?
    public init(wrappedValue: Tensor, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }
}

/// A property wrapper that names what it wraps.
protocol KeyedProperty {
    var key: String? { get }
    var value: Any { get }
}

extension ModuleInfo: KeyedProperty { var value: Any { wrappedValue } }
extension ParameterInfo: KeyedProperty { var value: Any { wrappedValue } }

/// The base class of every layer and model.
///
/// Parameters, buffers, random generators and sub-modules are discovered from stored
/// properties by reflection, afresh on every call, so a replaced sub-module is seen at once:
/// a `Tensor` property is a trainable parameter, a `@Buffer` property a buffer, a `Module`
/// (optional, or an array of them) a sub-module, a `RandomGenerator` a generator that
/// training checkpoints save. Names follow PyTorch's state-dict convention: property names in
/// snake_case joined by dots, arrays by index (`features.0.weight`, `bn1.running_mean`), or
/// the key given with `@ModuleInfo(key:)`, `@ParameterInfo(key:)` or `@Buffer(key:)`.
///
/// A parameter is made trainable (`requiresGrad`) when it is discovered, unless
/// `requiresGrad` was already set on it: a tensor frozen by hand stays frozen.
open class Module {
    /// Whether the module is in training mode (dropout active, batch statistics used).
    public private(set) var isTraining = true

    struct Discovered {
        var parameters: [(String, Tensor)] = []
        var buffers: [(String, Tensor)] = []
        var children: [(String, Module)] = []
        var generators: [(String, RandomGenerator)] = []
    }

    public init() {}

    /// Sub-modules with their names; reflection by default. Containers override this.
    open func namedChildren() -> [(String, Module)] { structure.children }

    var structure: Discovered {
        var result = Discovered()
        var mirror: Mirror? = Mirror(reflecting: self)
        var mirrors: [Mirror] = []
        while let current = mirror {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        for current in mirrors.reversed() {
            for child in current.children {
                guard var label = child.label else { continue }
                var value = child.value
                var named = false
                if let keyed = value as? KeyedProperty {
                    if label.hasPrefix("_") { label.removeFirst() }
                    value = keyed.value
                    if let key = keyed.key { (label, named) = (key, true) }
                }
                let name = named ? label : snakeCase(label)
                if let buffer = value as? Buffer {
                    if let key = buffer.key {
                        result.buffers.append((key, buffer.wrappedValue))
                        continue
                    }
                    if label.hasPrefix("_") { label.removeFirst() }
                    result.buffers.append((snakeCase(label), buffer.wrappedValue))
                } else if let tensor = value as? Tensor {
                    if tensor.dtype.isFloatingPoint && tensor.isLeaf && !tensor.requiresGradIsExplicit { tensor.requiresGrad = true }
                    result.parameters.append((name, tensor))
                } else if let module = value as? Module {
                    result.children.append((name, module))
                } else if let modules = value as? [Module] {
                    for (i, module) in modules.enumerated() { result.children.append(("\(name).\(i)", module)) }
                } else if let tensors = value as? [Tensor] {
                    for (i, tensor) in tensors.enumerated() { result.parameters.append(("\(name).\(i)", tensor)) }
                } else if let generator = value as? RandomGenerator {
                    result.generators.append((name, generator))
                }
            }
        }
        return result
    }

    /// This module's own parameters (not its sub-modules') with their names; found by
    /// reflection by default. Override to name them yourself, as recurrent layers do.
    open func namedOwnParameters() -> [(String, Tensor)] { structure.parameters }

    /// Parameters of this module and all sub-modules, with dotted names, in definition order.
    public func namedParameters() -> [(String, Tensor)] {
        var result = namedOwnParameters()
        for (name, child) in namedChildren() {
            result += child.namedParameters().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// All trainable tensors (frozen ones included; they simply receive no gradient).
    public func parameters() -> [Tensor] { namedParameters().map { $0.1 } }

    /// Buffers of this module and all sub-modules, with dotted names.
    public func namedBuffers() -> [(String, Tensor)] {
        var result = structure.buffers
        for (name, child) in namedChildren() {
            result += child.namedBuffers().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    public func buffers() -> [Tensor] { namedBuffers().map { $0.1 } }

    /// The random generators of this module and its sub-modules (dropout's, for instance),
    /// with dotted names; a generator shared by several layers appears once.
    public func namedGenerators() -> [(String, RandomGenerator)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(String, RandomGenerator)] = []
        for (name, generator) in ownAndChildGenerators() where seen.insert(ObjectIdentifier(generator)).inserted {
            result.append((name, generator))
        }
        return result
    }

    private func ownAndChildGenerators() -> [(String, RandomGenerator)] {
        var result = structure.generators
        for (name, child) in namedChildren() {
            result += child.ownAndChildGenerators().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// Every sub-module with its dotted name, depth first, this one first (named "").
    public func namedModules() -> [(String, Module)] {
        [("", self)]
            + namedChildren().flatMap { name, child in
                child.namedModules().map { ($0.0.isEmpty ? name : "\(name).\($0.0)", $0.1) }
            }
    }

    /// Every sub-module, depth first, this one included (PyTorch's `modules()`).
    public func modules() -> [Module] { namedModules().map { $0.1 } }

    /// Switches this module and all sub-modules to training mode.
    public func train(_ on: Bool = true) {
        for module in modules() { module.isTraining = on }
    }

    /// Switches to evaluation mode (dropout off, running statistics used).
    public func eval() { train(false) }

    /// Stops training every parameter: no gradient, so no optimiser update or state.
    /// A single parameter is frozen with `parameter.requiresGrad = false`.
    public func freeze() { setTrainable(false) }

    /// Makes every parameter trainable again.
    public func unfreeze() { setTrainable(true) }

    private func setTrainable(_ on: Bool) {
        for parameter in parameters() where parameter.dtype.isFloatingPoint {
            parameter.grad = nil
            parameter.requiresGrad = on
        }
    }

    /// Moves every parameter and buffer (and their gradients) to `device` in place: optimisers
    /// and other holders of the tensors keep their references (PyTorch's `module.to(device)`).
    @discardableResult
    public func to(_ device: Device) -> Self {
        for tensor in parameters() + buffers() { tensor.moveStorage(to: device) }
        return self
    }

    /// Where the module's parameters live (the CPU for a module without any).
    public var device: Device { parameters().first?.device ?? buffers().first?.device ?? .cpu }

    /// Forgets the gradients of every parameter.
    public func zeroGrad() {
        for parameter in parameters() { parameter.grad = nil }
    }
}

/// A module with a single-tensor forward pass, usable inside `Sequential`. Implement
/// `forward(_:)`; call the layer as a function (`layer(x)`), which also lets `summary(input:)`
/// trace it.
public protocol Layer: Module {
    func forward(_ input: Tensor) -> Tensor
}

extension Layer {
    /// Runs `forward`, traced when a summary is being taken.
    @inline(__always)
    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard let tracer = LayerTracer.current, MultiplyAccumulates.isCountingOnThisThread else { return forward(input) }
        return tracer.call(self, input) { forward(input) }
    }
}

/// `runningMean` -> `running_mean`, `weightIhL0` -> `weight_ih_l0`.
func snakeCase(_ name: String) -> String {
    var result = ""
    for character in name {
        if character.isUppercase {
            if !result.isEmpty { result.append("_") }
            result.append(contentsOf: character.lowercased())
        } else {
            result.append(character)
        }
    }
    return result
}
