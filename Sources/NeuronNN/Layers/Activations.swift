import Neuron

// Activation functions as layers, for `Sequential`.

public final class Sigmoid: Module, Layer {
    public override init() { super.init() }
    public func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

public final class Tanh: Module, Layer {
    public override init() { super.init() }
    public func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

public final class ReLU: Module, Layer {
    public override init() { super.init() }
    public func forward(_ input: Tensor) -> Tensor { input.relu() }
}

public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Double
    public init(negativeSlope: Double = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    public func forward(_ input: Tensor) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
}

public final class ELU: Module, Layer {
    public let alpha: Double
    public init(alpha: Double = 1) {
        self.alpha = alpha
        super.init()
    }
    public func forward(_ input: Tensor) -> Tensor { input.elu(alpha: alpha) }
}

public final class GELU: Module, Layer {
    public let approximate: Tensor.GELUApproximation
    public init(approximate: Tensor.GELUApproximation = .none) {
        self.approximate = approximate
        super.init()
    }
    public func forward(_ input: Tensor) -> Tensor { input.gelu(approximate: approximate) }
}

public final class SiLU: Module, Layer {
    public override init() { super.init() }
    public func forward(_ input: Tensor) -> Tensor { input.silu() }
}

public final class Softplus: Module, Layer {
    public let beta: Double, threshold: Double
    public init(beta: Double = 1, threshold: Double = 20) {
        self.beta = beta
        self.threshold = threshold
        super.init()
    }
    public func forward(_ input: Tensor) -> Tensor { input.softplus(beta: beta, threshold: threshold) }
}

public final class Softmax: Module, Layer {
    public let axis: Int
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    public func forward(_ input: Tensor) -> Tensor { input.softmax(axis: axis) }
}

public final class LogSoftmax: Module, Layer {
    public let axis: Int
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    public func forward(_ input: Tensor) -> Tensor { input.logSoftmax(axis: axis) }
}
