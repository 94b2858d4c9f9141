/// Reverse-mode differentiation over the recorded graph.
enum Autograd {
    /// Tensors reachable from `root` through recorded ops, in reverse topological order
    /// (outputs before the inputs they depend on). Iterative, so deep graphs cannot overflow.
    /// Tensors in `stops` are included but not expanded (treated as leaves).
    static func reverseTopologicalOrder(from root: Tensor, stops: Set<ObjectIdentifier> = []) -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (tensor, next) = stack.popLast() {
            let inputs = stops.contains(ObjectIdentifier(tensor)) ? [] : tensor.node?.inputs ?? []
            if next < inputs.count {
                stack.append((tensor, next + 1))
                let input = inputs[next]
                if input._requiresGrad && visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
            }
        }
        return order.reversed()
    }

    /// Propagates `seed` from `root` and returns the gradients of the requested tensors
    /// (or accumulates into `.grad` of every leaf when `targets` is nil). `stopAtTargets`
    /// treats the targets as leaves: the vector-Jacobian product of the subgraph between them
    /// and `root`, which is what an op whose backward replays a composed graph needs.
    static func run(
        root: Tensor, seed: Tensor, targets: [Tensor]?, retainGraph: Bool,
        createGraph: Bool, stopAtTargets: Bool = false
    ) -> [Tensor?] {
        let stops = stopAtTargets ? Set((targets ?? []).map { ObjectIdentifier($0) }) : []
        let order = reverseTopologicalOrder(from: root, stops: stops)
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        var wanted: [ObjectIdentifier: Tensor] = [:]
        let wantedIDs = Set((targets ?? []).map { ObjectIdentifier($0) })

        let previous = GradMode.set(createGraph)
        defer { GradMode.set(previous) }
        for tensor in order {
            let id = ObjectIdentifier(tensor)
            guard var grad = grads.removeValue(forKey: id) else { continue }
            if wantedIDs.contains(id) { wanted[id] = grad }
            guard let node = tensor.node, !stops.contains(id) else {
                if targets == nil {
                    // Every consumer has been visited: this is the leaf's whole gradient for this pass.
                    accumulate(&grad, into: tensor, createGraph: createGraph)
                    for entry in tensor.gradientReadyHooks { entry.hook(tensor) }
                }
                continue
            }
            guard let rule = node.rule else {
                preconditionFailure(
                    "backward: the graph through \(node.name) was already freed by an earlier backward(); pass retainGraph: true to the first call to backward twice"
                )
            }
            node.checkVersions(output: tensor)
            let inputGrads = rule(grad, tensor)
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard input._requiresGrad, let inputGrad else { continue }
                precondition(
                    inputGrad.shape == input.shape,
                    "backward: \(node.name) produced a gradient of shape \(inputGrad.shape) for an input of shape \(input.shape)")
                let key = ObjectIdentifier(input)
                if let existing = grads[key] { grads[key] = existing + inputGrad } else { grads[key] = inputGrad }
            }
        }
        if !retainGraph {
            for tensor in order where !stops.contains(ObjectIdentifier(tensor)) { tensor.node?.release() }
        }
        return (targets ?? []).map { wanted[ObjectIdentifier($0)] }
    }

    /// Adds `grad` to the leaf's `.grad`. Without `createGraph`, `.grad` always gets memory of
    /// its own (never a view or a tensor shared with another leaf), so optimisers and
    /// clipping may update it in place, and a second backward adds into that memory in place
    /// (as PyTorch does) instead of allocating a new sum.
    static func accumulate(_ grad: inout Tensor, into leaf: Tensor, createGraph: Bool) {
        if !createGraph, let existing = leaf.grad {
            leaf.grad = nil
            if !existing._requiresGrad && existing.isContiguous && existing.dtype == grad.dtype && existing.shape == grad.shape
                && isKnownUniquelyReferenced(&existing.storage)
            {
                existing.addInPlace(grad)
                leaf.grad = existing
            } else {
                leaf.grad = existing + grad  // a fresh contiguous sum
            }
            return
        }
        if !createGraph
            && (grad._requiresGrad || !grad.isContiguous
                || !isKnownUniquelyReferenced(&grad) || !isKnownUniquelyReferenced(&grad.storage))
        {
            grad = grad.device.backend.contiguousCopy(grad)
        }
        if let existing = leaf.grad {
            leaf.grad = existing + grad
        } else {
            leaf.grad = grad
        }
    }
}

extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires one and
    /// adds it to their `.grad`. A non-scalar tensor needs a `seed` of its shape.
    /// The graph is freed afterwards unless `retainGraph`; `createGraph` records the backward
    /// pass itself so that the gradients can be differentiated again.
    public func backward(_ seed: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) {
        precondition(
            _requiresGrad,
            "backward: the tensor of shape \(shape) does not require a gradient (no input requires one, or it was computed inside noGrad)")
        let seed = seed ?? defaultSeed("backward")
        precondition(seed.shape == shape, "backward: seed of shape \(seed.shape) does not match the tensor's shape \(shape)")
        _ = Autograd.run(
            root: self, seed: seed, targets: nil, retainGraph: retainGraph || createGraph,
            createGraph: createGraph)
    }

    func defaultSeed(_ op: String) -> Tensor {
        precondition(
            count == 1,
            "\(op): the tensor of shape \(shape) is not a scalar; pass a seed gradient of that shape")
        return Tensor.ones(shape, dtype: dtype, device: device)
    }
}

/// Gradients of `output` with respect to each of `inputs` (PyTorch's `torch.autograd.grad`).
/// Inputs the output does not depend on get zeros. With `createGraph: true` the result is
/// itself differentiable, for Hessian-vector products and gradient penalties.
public func gradients(
    of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false
) -> [Tensor] {
    for input in inputs {
        precondition(
            input.requiresGrad,
            "gradients: an input of shape \(input.shape) does not require a gradient")
    }
    precondition(
        output.requiresGrad,
        "gradients: the output of shape \(output.shape) does not depend on any input that requires a gradient")
    let seed = seed ?? output.defaultSeed("gradients")
    let grads = Autograd.run(
        root: output, seed: seed, targets: inputs,
        retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
    return zip(grads, inputs).map { grad, input in grad ?? input.zerosLike() }
}
