import Glibc

// Activation functions, with PyTorch's definitions and defaults.

extension Tensor {
    public func sigmoid() -> Tensor {
        floatingPoint.unary(.sigmoid, "sigmoid") { g, out in
            Tensor.fusedGradient(.sigmoidGrad, g, out, "sigmoid") ?? g * out * (1 - out)
        }
    }

    public func tanh() -> Tensor {
        floatingPoint.unary(.tanh, "tanh") { g, out in Tensor.fusedGradient(.tanhGrad, g, out, "tanh") ?? g * (1 - out * out) }
    }

    /// An activation's gradient in one pass of `kernel` over the incoming gradient and `x` (the
    /// input or output it depends on): on the CPU, and unless the backward is itself recorded.
    static func fusedGradient(_ kernel: BinaryKernel, _ g: Tensor, _ x: Tensor, _ op: String) -> Tensor? {
        guard !GradMode.isEnabled && x.device.isCPU && g.shape == x.shape && g.dtype == x.dtype else { return nil }
        return Tensor.compute(kernel, g, x, op)
    }

    public func relu() -> Tensor {
        let x = self
        return unary(.relu, "relu") { g, _ in g.maskedWherePositive(x) }
    }

    /// max(0, x) + slope · min(0, x).
    public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
        let x = self
        return unary(.leakyRelu, "leakyRelu", negativeSlope) { g, _ in
            let step = x.positiveStep()
            return g * (step + (1 - step) * negativeSlope)
        }
    }

    /// x for x > 0, alpha · (exp(x) − 1) otherwise.
    public func elu(alpha: Double = 1) -> Tensor {
        let x = floatingPoint
        return x.unary(.elu, "elu", alpha) { g, out in
            let step = x.positiveStep()
            return g * (step + (1 - step) * (out + alpha))
        }
    }

    /// How GELU is computed: exactly with erf, or PyTorch's tanh approximation.
    public enum GELUApproximation: Sendable { case none, tanh }

    /// x · Φ(x), the Gaussian error linear unit.
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        let x = floatingPoint
        switch approximate {
        case .none:
            return x.unary(.gelu, "gelu") { g, _ in
                if let fused = Tensor.fusedGradient(.geluGrad, g, x, "gelu") { return fused }
                let cdf = ((x * (1 / 2.0.squareRoot())).erf() + 1) * 0.5
                let pdf = (x * x * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
                return g * (cdf + x * pdf)
            }
        case .tanh:
            return x.unary(.geluTanh, "gelu") { g, _ in
                let k = (2 / Double.pi).squareRoot()
                let x2 = x * x
                let t = ((x + x2 * x * 0.044715) * k).tanh()
                let inner = (x2 * (3 * 0.044715) + 1) * k
                return g * ((t + 1) * 0.5 + x * (1 - t * t) * inner * 0.5)
            }
        }
    }

    /// x · sigmoid(x) (also called swish).
    public func silu() -> Tensor {
        let x = floatingPoint
        return x.unary(.silu, "silu") { g, _ in
            let s = x.sigmoid()
            return g * s * (x * (1 - s) + 1)
        }
    }

    /// log(1 + exp(beta · x)) / beta, linear above `threshold` (PyTorch's softplus).
    public func softplus(beta: Double = 1, threshold: Double = 20) -> Tensor {
        let x = floatingPoint
        return x.unary(.softplus, "softplus", beta, threshold) { g, _ in
            let z = x * beta
            return g * Tensor.where(z .> threshold, g.onesLike(), z.sigmoid())
        }
    }
}
