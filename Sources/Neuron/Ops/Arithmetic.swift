// Broadcasting arithmetic, comparisons and selection.

extension Tensor {
    /// Converts both operands to their common type and runs a binary kernel.
    static func compute(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, _ op: String) -> Tensor {
        a.checkDevice(b, op)
        let shape = broadcastShape(a.shape, b.shape, op)
        var dtype = DType.promote(a.dtype, b.dtype)
        if dtype == .bool { dtype = .int64 }
        if kernel == .div || kernel == .pow && (a.dtype.isFloatingPoint || b.dtype.isFloatingPoint),
            !dtype.isFloatingPoint
        {
            dtype = .float32
        }
        // bfloat16 is computed in float32 and rounded back.
        let computed = dtype == .bfloat16 ? DType.float32 : dtype
        let x = a.dtype == computed ? a : a.device.backend.cast(a, to: computed)
        let y = b.dtype == computed ? b : b.device.backend.cast(b, to: computed)
        let out = a.device.backend.binary(kernel, x, y, shape: shape, into: nil)
        return computed == dtype ? out : a.device.backend.cast(out, to: dtype)
    }

    /// A 0-dimensional tensor holding `value`, typed to combine with `self` without promotion
    /// (a Swift number is a "weak" scalar, as in PyTorch).
    func scalar(_ value: Double) -> Tensor {
        var type = dtype
        if !type.isFloatingPoint && value.rounded() != value { type = .float32 }
        if type == .bool { type = .int64 }
        return Tensor.full([], value, dtype: type, device: device)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = compute(.add, a, b, "add")
        if recording(a, b) { out.record("add", [a, b]) { g, _ in [g.gradient(for: a), g.gradient(for: b)] } }
        return out
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = compute(.sub, a, b, "sub")
        if recording(a, b) { out.record("sub", [a, b]) { g, _ in [g.gradient(for: a), (-g).gradient(for: b)] } }
        return out
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = compute(.mul, a, b, "mul")
        if recording(a, b) {
            out.record("mul", [a, b]) { g, _ in
                [
                    a._requiresGrad ? (g * b).gradient(for: a) : nil,
                    b._requiresGrad ? (g * a).gradient(for: b) : nil,
                ]
            }
        }
        return out
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = compute(.div, a, b, "div")
        if recording(a, b) {
            out.record("div", [a, b]) { g, out in
                [
                    a._requiresGrad ? (g / b).gradient(for: a) : nil,
                    b._requiresGrad ? (-g * out / b).gradient(for: b) : nil,
                ]
            }
        }
        return out
    }

    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg, "neg") { g, _ in -g } }

    /// Element-wise power with broadcasting.
    public func pow(_ exponent: Tensor) -> Tensor {
        let base = self
        let out = Tensor.compute(.pow, base, exponent, "pow")
        if Tensor.recording(base, exponent) {
            out.record("pow", [base, exponent]) { g, out in
                let gradBase =
                    base._requiresGrad
                    ? (g * exponent * base.pow(exponent - 1)).gradient(for: base) : nil
                // d/dy x^y = x^y log x, taken as 0 where x <= 0 (as PyTorch does at x = 0).
                let gradExponent =
                    exponent._requiresGrad
                    ? (g * out * Tensor.where(base .> 0, base.log(), base.zerosLike())).gradient(for: exponent)
                    : nil
                return [gradBase, gradExponent]
            }
        }
        return out
    }

    /// Element-wise power by a constant exponent.
    public func pow(_ exponent: Double) -> Tensor {
        if exponent == 2 { return square() }
        let base = self
        let out = Tensor.compute(.pow, base, scalar(exponent), "pow")
        if Tensor.recording(base) {
            out.record("pow", [base]) { g, _ in [g * exponent * base.pow(exponent - 1)] }
        }
        return out
    }

    /// Element-wise maximum; at ties the gradient is split evenly, as in PyTorch.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { extremum(.maximum, a, b, "maximum") }

    /// Element-wise minimum; at ties the gradient is split evenly, as in PyTorch.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { extremum(.minimum, a, b, "minimum") }

    static func extremum(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, _ op: String) -> Tensor {
        let out = compute(kernel, a, b, op)
        if recording(a, b) {
            out.record(op, [a, b]) { g, _ in
                let wins = (kernel == .maximum ? a .> b : a .< b).to(g.dtype)
                let ties = (a .== b).to(g.dtype) * 0.5
                let share = wins + ties
                return [
                    a._requiresGrad ? (g * share).gradient(for: a) : nil,
                    b._requiresGrad ? (g * (1 - share)).gradient(for: b) : nil,
                ]
            }
        }
        return out
    }

    // Comparisons return boolean tensors; Swift's pointwise spelling (`.==`, `.<`) keeps `==`
    // for identity-free equality of the language.
    static func comparison(_ kernel: CompareKernel, _ a: Tensor, _ b: Tensor, _ op: String) -> Tensor {
        a.checkDevice(b, op)
        let shape = broadcastShape(a.shape, b.shape, op)
        // bfloat16 values compare exactly as float32.
        let promoted = DType.promote(a.dtype, b.dtype), dtype = promoted == .bfloat16 ? DType.float32 : promoted
        let x = a.dtype == dtype ? a : a.device.backend.cast(a, to: dtype)
        let y = b.dtype == dtype ? b : b.device.backend.cast(b, to: dtype)
        return a.device.backend.compare(kernel, x, y, shape: shape)
    }

    public static func .== (a: Tensor, b: Tensor) -> Tensor { comparison(.eq, a, b, "eq") }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { comparison(.ne, a, b, "ne") }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { comparison(.lt, a, b, "lt") }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { comparison(.le, a, b, "le") }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { comparison(.gt, a, b, "gt") }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { comparison(.ge, a, b, "ge") }

    /// Picks `a` where `condition` is true and `b` elsewhere, broadcasting all three.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        checkDevices([condition, a, b], "where")
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape, "where"), b.shape, "where")
        let dtype = DType.promote(a.dtype, b.dtype)
        let x = a.dtype == dtype ? a : a.device.backend.cast(a, to: dtype)
        let y = b.dtype == dtype ? b : b.device.backend.cast(b, to: dtype)
        let mask = condition.dtype == .bool ? condition : condition.device.backend.cast(condition, to: .bool)
        let out = a.device.backend.select(mask, x, y, shape: shape)
        if recording(a, b) {
            out.record("where", [a, b]) { g, _ in
                let zero = g.zerosLike()
                return [
                    a._requiresGrad ? Tensor.where(mask, g, zero).gradient(for: a) : nil,
                    b._requiresGrad ? Tensor.where(mask, zero, g).gradient(for: b) : nil,
                ]
            }
        }
        return out
    }
}

// Mixed tensor–number arithmetic.
extension Tensor {
    public static func + (a: Tensor, b: Double) -> Tensor { a + a.scalar(b) }
    public static func + (a: Double, b: Tensor) -> Tensor { b.scalar(a) + b }
    public static func - (a: Tensor, b: Double) -> Tensor { a - a.scalar(b) }
    public static func - (a: Double, b: Tensor) -> Tensor { b.scalar(a) - b }
    public static func * (a: Tensor, b: Double) -> Tensor { a * a.scalar(b) }
    public static func * (a: Double, b: Tensor) -> Tensor { b.scalar(a) * b }
    public static func / (a: Tensor, b: Double) -> Tensor { a / a.scalar(b) }
    public static func / (a: Double, b: Tensor) -> Tensor { b.scalar(a) / b }
    public static func .== (a: Tensor, b: Double) -> Tensor { a .== a.scalar(b) }
    public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= a.scalar(b) }
    public static func .< (a: Tensor, b: Double) -> Tensor { a .< a.scalar(b) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= a.scalar(b) }
    public static func .> (a: Tensor, b: Double) -> Tensor { a .> a.scalar(b) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= a.scalar(b) }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }

    /// Element-wise maximum with a number.
    public func maximum(_ value: Double) -> Tensor { Tensor.maximum(self, scalar(value)) }
    /// Element-wise minimum with a number.
    public func minimum(_ value: Double) -> Tensor { Tensor.minimum(self, scalar(value)) }
}
