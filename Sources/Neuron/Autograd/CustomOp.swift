extension Tensor {
    /// A differentiable op defined outside the library (PyTorch's `autograd.Function`):
    /// `output` is what the op computed from `inputs` (without recording), and `backward` maps
    /// the gradient of `output` to one gradient per input (nil where there is none). A
    /// collective such as a sum over processes is written this way.
    public static func custom(
        _ name: String, inputs: [Tensor], output: Tensor, backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        let result = output.detach()
        guard recording(inputs) else { return result }
        return result.record(name, inputs) { grad, _ in backward(grad) }
    }
}
