import Neuron

/// One mini-batch: named tensors whose first dimension indexes examples ("inputs" and
/// "targets" for supervised data; "images", "labels", "mask", "token_ids", "lengths", … for
/// other tasks).
public struct Batch {
    public var fields: [String: Tensor]
    /// Examples in the whole step when the step is shared by several processes (each holds
    /// a shard of it); nil: this batch is the whole step.
    public var stepExamples: Int?
    /// True for a stand-in example given to a process whose shard of a short last step is
    /// empty: it runs the step like the others but counts for nothing.
    public var isStandIn = false

    /// A supervised batch: fields "inputs" and "targets".
    public init(inputs: Tensor, targets: Tensor) {
        fields = ["inputs": inputs, "targets": targets]
    }

    /// A batch of named fields.
    public init(_ fields: [String: Tensor]) {
        precondition(!fields.isEmpty, "Batch: a batch needs at least one field")
        self.fields = fields
    }

    /// The field `name`, or nil.
    public subscript(name: String) -> Tensor? {
        get { fields[name] }
        set { fields[name] = newValue }
    }

    /// The field `name`; stops with a message listing the batch's fields when it is absent.
    public func field(_ name: String) -> Tensor {
        guard let tensor = fields[name] else {
            preconditionFailure("Batch: no field '\(name)' (fields: \(fields.keys.sorted().joined(separator: ", ")))")
        }
        return tensor
    }

    /// The "inputs" field.
    public var inputs: Tensor {
        get { field("inputs") }
        set { fields["inputs"] = newValue }
    }

    /// The "targets" field.
    public var targets: Tensor {
        get { field("targets") }
        set { fields["targets"] = newValue }
    }

    /// Examples in the batch: the first dimension of "inputs", or of the first field by name.
    public var size: Int {
        let tensor = fields["inputs"] ?? fields[fields.keys.min()!]!
        return tensor.rank == 0 ? 1 : tensor.shape[0]
    }

    /// Examples this batch contributes to figures: its size, 0 for a stand-in.
    public var countedSize: Int { isStandIn ? 0 : size }

    /// Examples in the whole step (this batch's size in a single process).
    public var stepSize: Int { stepExamples ?? size }

    /// The fraction of the step's examples this batch holds (1 in a single process).
    public var share: Double { Double(countedSize) / Double(max(stepSize, 1)) }
}

/// Examples addressable by position.
public protocol Dataset {
    var count: Int { get }
    /// The examples at `indices`, stacked along a new first dimension.
    func batch(_ indices: [Int]) -> Batch
}

/// A dataset held in named tensors whose first dimension indexes examples.
public struct TensorDataset: Dataset {
    public let fields: [String: Tensor]

    /// Supervised data: fields "inputs" and "targets".
    public init(inputs: Tensor, targets: Tensor) {
        self.init(["inputs": inputs, "targets": targets])
    }

    /// Named fields, all holding the same number of examples.
    public init(_ fields: [String: Tensor]) {
        let counts = fields.mapValues { $0.rank >= 1 ? $0.shape[0] : -1 }
        precondition(
            !fields.isEmpty && Set(counts.values).count == 1 && counts.values.first! >= 0,
            "TensorDataset: fields hold different numbers of examples (\(fields.mapValues { $0.shape }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"
        )
        self.fields = fields
    }

    public var inputs: Tensor { fields["inputs"]! }
    public var targets: Tensor { fields["targets"]! }

    public var count: Int { fields.values.first!.shape[0] }

    public func batch(_ indices: [Int]) -> Batch {
        let index = Tensor(indices)
        return Batch(fields.mapValues { $0.indexSelect(axis: 0, index: index) })
    }

    /// Examples `range` as a dataset sharing this one's memory.
    public func slice(_ range: Range<Int>) -> TensorDataset {
        TensorDataset(fields.mapValues { $0.narrowed(axis: 0, start: range.lowerBound, length: range.count) })
    }
}
