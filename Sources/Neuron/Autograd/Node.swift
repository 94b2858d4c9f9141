/// One recorded operation: its inputs and the rule that maps the gradient of its output to
/// gradients of its inputs. Rules are written with differentiable tensor ops, so running
/// them while recording yields a graph of the backward pass (higher-order gradients).
final class Node {
    /// The op's name, used in error messages.
    let name: String
    var inputs: [Tensor]
    /// (gradient of the output, the output) -> one gradient (or nil) per input.
    var rule: ((Tensor, Tensor) -> [Tensor?])?

    init(name: String, inputs: [Tensor], rule: @escaping (Tensor, Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
    }

    /// Drops the saved tensors once backward has used them.
    func release() {
        inputs = []
        rule = nil
    }
}

extension Tensor {
    /// Whether an op on these inputs must be recorded.
    @inline(__always)
    static func recording(_ a: Tensor) -> Bool { a._requiresGrad && GradMode.isEnabled }

    @inline(__always)
    static func recording(_ a: Tensor, _ b: Tensor) -> Bool {
        (a._requiresGrad || b._requiresGrad) && GradMode.isEnabled
    }

    static func recording(_ tensors: [Tensor]) -> Bool {
        tensors.contains { $0._requiresGrad } && GradMode.isEnabled
    }

    /// Attaches the op that produced this tensor; call only when `recording` said so.
    @inline(__always)
    @discardableResult
    func record(_ name: String, _ inputs: [Tensor], _ rule: @escaping (Tensor, Tensor) -> [Tensor?]) -> Tensor {
        node = Node(name: name, inputs: inputs, rule: rule)
        _requiresGrad = true
        if NonFiniteLocator.enabled { NonFiniteLocator.check(self, name, inputs) }
        return self
    }
}
