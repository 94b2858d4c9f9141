// Element-wise math. Each backward rule is built from differentiable ops, so every function
// here can be differentiated any number of times.

extension Tensor {
    /// Runs a unary kernel and records `rule` (gradient of output, output) -> gradient of input.
    func unary(
        _ kernel: UnaryKernel, _ name: String, _ p0: Double = 0, _ p1: Double = 0,
        rule: @escaping (Tensor, Tensor) -> Tensor
    ) -> Tensor {
        let out = device.backend.unary(kernel, self, p0, p1)
        if Tensor.recording(self) { out.record(name, [self]) { g, out in [rule(g, out)] } }
        return out
    }

    /// A float tensor is returned as is; integers and booleans become float32 (for math ops).
    var floatingPoint: Tensor { dtype.isFloatingPoint ? self : to(.float32) }

    public func exp() -> Tensor { floatingPoint.unary(.exp, "exp") { g, out in g * out } }
    public func log() -> Tensor {
        let x = floatingPoint
        return x.unary(.log, "log") { g, _ in g / x }
    }
    /// log(1 + x), accurate for small x.
    public func log1p() -> Tensor {
        let x = floatingPoint
        return x.unary(.log1p, "log1p") { g, _ in g / (x + 1) }
    }
    /// exp(x) - 1, accurate for small x.
    public func expm1() -> Tensor { floatingPoint.unary(.expm1, "expm1") { g, out in g * (out + 1) } }
    public func sqrt() -> Tensor { floatingPoint.unary(.sqrt, "sqrt") { g, out in g * 0.5 / out } }
    /// 1 / sqrt(x).
    public func rsqrt() -> Tensor {
        floatingPoint.unary(.rsqrt, "rsqrt") { g, out in g * -0.5 * out * out * out }
    }
    public func square() -> Tensor {
        let x = self
        return unary(.square, "square") { g, _ in g * 2 * x }
    }
    public func reciprocal() -> Tensor {
        floatingPoint.unary(.reciprocal, "reciprocal") { g, out in -g * out * out }
    }
    public func abs() -> Tensor {
        let x = self
        return unary(.abs, "abs") { g, _ in g * x.sign() }
    }
    /// -1, 0 or 1 by the sign of each element (gradient zero).
    public func sign() -> Tensor { unary(.sign, "sign") { g, _ in g.zerosLike() } }
    public func sin() -> Tensor {
        let x = floatingPoint
        return x.unary(.sin, "sin") { g, _ in g * x.cos() }
    }
    public func cos() -> Tensor {
        let x = floatingPoint
        return x.unary(.cos, "cos") { g, _ in -g * x.sin() }
    }
    /// The Gauss error function.
    public func erf() -> Tensor {
        let x = floatingPoint
        return x.unary(.erf, "erf") { g, _ in g * (2 / Double.pi.squareRoot()) * (-(x * x)).exp() }
    }

    /// Limits every element to [min, max]; the gradient passes where min <= x <= max.
    public func clamped(min: Double = -.infinity, max: Double = .infinity) -> Tensor {
        precondition(min <= max, "clamp: min \(min) is greater than max \(max)")
        let x = self
        return unary(.clamp, "clamp", min, max) { g, _ in
            g * ((x .>= min).to(g.dtype) * (x .<= max).to(g.dtype))
        }
    }

    /// 1 where x > 0, else 0, in x's type (the derivative of relu).
    func positiveStep() -> Tensor { device.backend.unary(.step, self, 0, 0) }

    /// self where `mask` > 0, else 0: relu's backward `self · step(mask)` in one pass. The
    /// step's derivative is zero, so only `self` receives a gradient.
    func maskedWherePositive(_ mask: Tensor) -> Tensor {
        guard shape == mask.shape && dtype == mask.dtype else { return self * mask.positiveStep() }
        let out = Tensor.compute(.maskPositive, self, mask, "maskedWherePositive")
        if Tensor.recording(self) { out.record("maskedWherePositive", [self]) { g, _ in [g.maskedWherePositive(mask)] } }
        return out
    }
}
