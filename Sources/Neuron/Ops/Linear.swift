// The affine map of a Linear layer as one GEMM: the bias is broadcast into the output and the
// product accumulated onto it, instead of a product and then a separate broadcast addition.

extension Tensor {
    /// `self · weightᵀ + bias` (PyTorch's `F.linear`): `weight` is [out, in], `bias` [out] or
    /// nil, `self` [..., in]. Float32 and float64 run as one GEMM onto the broadcast bias, the
    /// bias gradient as a product with a row of ones; other types, autocast and a bias of
    /// another shape take `matmul` and `+`, with the same values.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(
            rank >= 1 && weight.rank == 2 && shape.last == weight.shape[1],
            "linear: input of shape \(shape) does not end in the \(weight.rank == 2 ? weight.shape[1] : -1) features of weight \(weight.shape)")
        guard let bias, bias.shape == [weight.shape[0]], dtype == weight.dtype, dtype == bias.dtype,
            dtype == .float32 || dtype == .float64, Autocast.dtype == nil
        else {
            let product = matmul(weight.transposed())
            return bias.map { product + $0 } ?? product
        }
        if rank != 2 {
            let rows = isContiguous ? self : contiguous()
            return rows.reshaped([-1, weight.shape[1]]).linear(weight: weight, bias: bias)
                .reshaped(Array(shape.dropLast()) + [weight.shape[0]])
        }
        Tensor.checkDevices([self, weight, bias], "linear")
        let (m, k, n) = (shape[0], shape[1], weight.shape[0])
        let out = Tensor(uninitialized: [m, n], dtype: dtype, device: device)
        device.backend.copy(bias.view(shape: [m, n], strides: [0, bias.strides[0]]), into: out)
        if MultiplyAccumulates.isCounting { MultiplyAccumulates.add(m * n * k) }
        if m > 0 && k > 0 {
            let x = matrixOperandSource(), w = weight.transposed().matrixOperandSource()
            device.backend.matmul(x.matrixOperand(), w.matrixOperand(), into: out, batchOffsets: [(0, 0)], m: m, n: n, k: k, accumulate: true)
        }
        if Tensor.recording([self, weight, bias]) {
            let input = self
            out.record("linear", [input, weight, bias]) { g, _ in
                [
                    input._requiresGrad ? g.matmul(weight) : nil,
                    weight._requiresGrad ? g.transposed().matmul(input) : nil,
                    bias._requiresGrad ? Tensor.ones([1, m], dtype: g.dtype, device: g.device).matmul(g).reshaped([n]) : nil,
                ]
            }
        }
        return out
    }
}
