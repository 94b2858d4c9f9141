/// One recorded operation: its inputs and the rule that maps the gradient of its output to
/// gradients of its inputs. Rules are written with differentiable tensor ops, so running
/// them while recording yields a graph of the backward pass (higher-order gradients).
final class Node {
    /// The op's name, used in error messages.
    let name: String
    var inputs: [Tensor]
    /// (gradient of the output, the output) -> one gradient (or nil) per input.
    var rule: ((Tensor, Tensor) -> [Tensor?])?
    /// The inputs' and the output's memory versions when the op ran.
    var versions: [Int]
    var outputVersion: Int

    init(name: String, inputs: [Tensor], rule: @escaping (Tensor, Tensor) -> [Tensor?], outputVersion: Int) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
        versions = inputs.map { $0.storage.version }
        self.outputVersion = outputVersion
    }

    /// Stops backward when a tensor this op saved was changed in place after the op ran: its
    /// gradient would silently use the new values.
    func checkVersions(output: Tensor) {
        for (i, (input, version)) in zip(inputs, versions).enumerated() where input.storage.version != version {
            preconditionFailure(
                "backward: input \(i) of \(name) (shape \(input.shape)) was modified in place after \(name) used it "
                    + "(version \(version) → \(input.storage.version)); an optimiser step before this backward, or an "
                    + "assign/fill, changed it. Run backward before updating, or recompute the forward pass")
        }
        precondition(
            output.storage.version == outputVersion,
            "backward: the output of \(name) (shape \(output.shape)) was modified in place after it was computed")
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
        node = Node(name: name, inputs: inputs, rule: rule, outputVersion: storage.version)
        _requiresGrad = true
        if NonFiniteLocator.enabled { NonFiniteLocator.check(self, name, inputs) }
        return self
    }
}
