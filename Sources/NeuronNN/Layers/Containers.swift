import Neuron

/// Layers applied one after another; children are named by position ("0", "1", …).
public final class Sequential: Module, Layer {
    public private(set) var layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
        super.init()
    }

    public convenience init(_ layers: any Layer...) { self.init(layers) }

    public override func namedChildren() -> [(String, Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element as Module) }
    }

    public func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }

    /// Layer `index`; assigning replaces it (a new head), and `parameters()` sees the new one.
    public subscript(index: Int) -> any Layer {
        get { layers[index] }
        set { layers[index] = newValue }
    }
    public var count: Int { layers.count }
}

/// Passes its input through unchanged.
public final class Identity: Module, Layer {
    public override init() { super.init() }
    public func forward(_ input: Tensor) -> Tensor { input }
}

/// Flattens dimensions `startAxis...endAxis` (by default all but the batch).
public final class Flatten: Module, Layer {
    public let startAxis: Int, endAxis: Int

    public init(startAxis: Int = 1, endAxis: Int = -1) {
        self.startAxis = startAxis
        self.endAxis = endAxis
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor { input.flattened(from: startAxis, to: endAxis) }
}

/// Splits dimension `axis` into `sizes` (PyTorch's `nn.Unflatten`): [N, 1568] → [N, 32, 7, 7].
public final class Unflatten: Module, Layer {
    public let axis: Int, sizes: [Int]

    public init(axis: Int = 1, sizes: [Int]) {
        self.axis = axis
        self.sizes = sizes
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        let axis = self.axis < 0 ? self.axis + input.rank : self.axis
        precondition(
            axis >= 0 && axis < input.rank && input.shape[axis] == sizes.reduce(1, *),
            "Unflatten: dimension \(self.axis) of \(input.shape) does not split into \(sizes)")
        return input.reshaped(Array(input.shape[..<axis]) + sizes + Array(input.shape[(axis + 1)...]))
    }
}
