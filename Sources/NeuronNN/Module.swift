import Neuron

/// A tensor a module keeps as state but does not train (BatchNorm's running statistics).
/// Buffers appear in `buffers()` and in the state dict, not in `parameters()`.
@propertyWrapper
public struct Buffer {
    public var wrappedValue: Tensor
    public init(wrappedValue: Tensor) { self.wrappedValue = wrappedValue }
}

/// The base class of every layer and model.
///
/// Parameters, buffers and sub-modules are discovered from stored properties by reflection
/// (once, then cached): a `Tensor` property is a trainable parameter, a `@Buffer` property a
/// buffer, a `Module` (or an array of them) a sub-module. Names follow PyTorch's state-dict
/// convention: property names in snake_case joined by dots, arrays by index
/// (`features.0.weight`, `bn1.running_mean`).
open class Module {
    /// Whether the module is in training mode (dropout active, batch statistics used).
    public private(set) var isTraining = true
    private var discovered: Discovered?

    struct Discovered {
        var parameters: [(String, Tensor)] = []
        var buffers: [(String, Tensor)] = []
        var children: [(String, Module)] = []
    }

    public init() {}

    /// Sub-modules with their names; reflection by default. Containers override this.
    open func namedChildren() -> [(String, Module)] { structure.children }

    var structure: Discovered {
        if let discovered { return discovered }
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
                if let buffer = child.value as? Buffer {
                    if label.hasPrefix("_") { label.removeFirst() }
                    result.buffers.append((snakeCase(label), buffer.wrappedValue))
                } else if let tensor = child.value as? Tensor {
                    if tensor.dtype.isFloatingPoint && tensor.isLeaf { tensor.requiresGrad = true }
                    result.parameters.append((snakeCase(label), tensor))
                } else if let module = child.value as? Module {
                    result.children.append((snakeCase(label), module))
                } else if let modules = child.value as? [Module] {
                    for (i, module) in modules.enumerated() { result.children.append(("\(snakeCase(label)).\(i)", module)) }
                } else if let tensors = child.value as? [Tensor] {
                    for (i, tensor) in tensors.enumerated() { result.parameters.append(("\(snakeCase(label)).\(i)", tensor)) }
                }
            }
        }
        discovered = result
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

    /// Every sub-module, depth first, this one included (PyTorch's `modules()`).
    public func modules() -> [Module] { [self] + namedChildren().flatMap { $0.1.modules() } }

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

    /// Forgets the gradients of every parameter.
    public func zeroGrad() {
        for parameter in parameters() { parameter.grad = nil }
    }
}

/// A module with a single-tensor forward pass, usable inside `Sequential`.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
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
