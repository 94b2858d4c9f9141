import Neuron

/// Max pooling over [N, C, H, W]; `indices(of:)` also returns the argmax positions.
public final class MaxPool2d: Module, Layer {
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
        (self.kernel, self.stride, self.padding, self.dilation) = (kernel, stride ?? kernel, padding, dilation)
        super.init()
    }

    public convenience init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernel: (kernel, kernel), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }

    public func forward(_ input: Tensor) -> Tensor { withIndices(input).values }

    public func withIndices(_ input: Tensor) -> (values: Tensor, indices: Tensor) {
        input.maxPool2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    }
}

/// Max pooling over [N, C, L].
public final class MaxPool1d: Module, Layer {
    public let kernel: Int, stride: Int, padding: Int, dilation: Int

    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
        (self.kernel, self.stride, self.padding, self.dilation) = (kernel, stride ?? kernel, padding, dilation)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor { withIndices(input).values }

    public func withIndices(_ input: Tensor) -> (values: Tensor, indices: Tensor) {
        input.maxPool1d(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    }
}

/// Average pooling over [N, C, H, W].
public final class AvgPool2d: Module, Layer {
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), countIncludePad: Bool

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countIncludePad: Bool = true) {
        (self.kernel, self.stride, self.padding, self.countIncludePad) = (kernel, stride ?? kernel, padding, countIncludePad)
        super.init()
    }

    public convenience init(_ kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        self.init(kernel: (kernel, kernel), stride: stride.map { ($0, $0) }, padding: (padding, padding), countIncludePad: countIncludePad)
    }

    public func forward(_ input: Tensor) -> Tensor {
        input.avgPool2d(kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }
}

/// Average pooling to a fixed output size; `AdaptiveAvgPool2d((1, 1))` is global average pooling.
public final class AdaptiveAvgPool2d: Module, Layer {
    public let size: (Int, Int)
    public init(_ size: (Int, Int)) {
        self.size = size
        super.init()
    }
    public convenience init(_ size: Int) { self.init((size, size)) }
    public func forward(_ input: Tensor) -> Tensor { input.adaptiveAvgPool2d(size) }
}

/// Upsampling of [N, C, H, W] by a scale factor or to a size.
public final class Upsample: Module, Layer {
    public enum Mode: Sendable {
        case nearest
        case bilinear(alignCorners: Bool)
    }
    public let scale: Int?, size: (Int, Int)?, mode: Mode

    public init(scaleFactor: Int, mode: Mode = .nearest) {
        (scale, size, self.mode) = (scaleFactor, nil, mode)
        super.init()
    }

    public init(size: (Int, Int), mode: Mode = .nearest) {
        (scale, self.size, self.mode) = (nil, size, mode)
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4, "Upsample: expects [N, C, H, W], got \(input.shape)")
        let target = size ?? (input.shape[2] * scale!, input.shape[3] * scale!)
        switch mode {
        case .nearest: return input.upsampleNearest(size: target)
        case .bilinear(let alignCorners): return input.upsampleBilinear(size: target, alignCorners: alignCorners)
        }
    }
}
