import Neuron

/// Inputs and targets of one mini-batch.
public struct Batch {
    public var inputs: Tensor
    public var targets: Tensor

    public init(inputs: Tensor, targets: Tensor) {
        self.inputs = inputs
        self.targets = targets
    }
}

/// Examples addressable by position.
public protocol Dataset {
    var count: Int { get }
    /// The examples at `indices`, stacked along a new first dimension.
    func batch(_ indices: [Int]) -> Batch
}

/// A dataset held in two tensors whose first dimension indexes examples.
public struct TensorDataset: Dataset {
    public let inputs: Tensor
    public let targets: Tensor

    public init(inputs: Tensor, targets: Tensor) {
        precondition(inputs.rank >= 1 && targets.rank >= 1 && inputs.shape[0] == targets.shape[0],
                     "TensorDataset: inputs \(inputs.shape) and targets \(targets.shape) hold different numbers of examples")
        self.inputs = inputs
        self.targets = targets
    }

    public var count: Int { inputs.shape[0] }

    public func batch(_ indices: [Int]) -> Batch {
        let index = Tensor(indices)
        return Batch(inputs: inputs.indexSelect(axis: 0, index: index), targets: targets.indexSelect(axis: 0, index: index))
    }

    /// Examples `range` as a dataset sharing this one's memory.
    public func slice(_ range: Range<Int>) -> TensorDataset {
        TensorDataset(inputs: inputs.narrowed(axis: 0, start: range.lowerBound, length: range.count),
                      targets: targets.narrowed(axis: 0, start: range.lowerBound, length: range.count))
    }
}
