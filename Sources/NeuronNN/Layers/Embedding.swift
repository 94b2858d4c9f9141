import Neuron

/// A lookup table of `count` vectors of `dimension` (initialised N(0, 1), as PyTorch).
/// The row at `paddingIndex`, if given, starts at zero and receives no gradient.
public final class Embedding: Module, Layer {
    public let weight: Tensor
    public let paddingIndex: Int?

    public init(
        _ count: Int, _ dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32,
        generator: RandomGenerator = Random.generator
    ) {
        precondition(
            paddingIndex.map { $0 >= 0 && $0 < count } ?? true,
            "Embedding: padding index \(paddingIndex!) is outside 0..<\(count)")
        let table = Tensor.normal([count, dimension], dtype: dtype, generator: generator)
        if let paddingIndex { table[paddingIndex].zero() }
        weight = table
        self.paddingIndex = paddingIndex
        super.init()
        weight.requiresGrad = true
    }

    /// Looks up int64 indices of any shape; the result adds a last dimension.
    public func forward(_ indices: Tensor) -> Tensor {
        Embedding.lookUp(weight, indices, paddingIndex: paddingIndex)
    }

    /// Rows of `table` for int64 `indices` of any shape; no gradient reaches row `paddingIndex`.
    public static func lookUp(_ table: Tensor, _ indices: Tensor, paddingIndex: Int? = nil) -> Tensor {
        precondition(indices.dtype == .int64, "Embedding: indices must be int64, got \(indices.dtype) of shape \(indices.shape)")
        var rows = table
        if let paddingIndex {
            let count = table.shape[0]
            let trainable = DeviceConstants.shared.tensor("padding \(paddingIndex) of \(count)", device: table.device) {
                Tensor.arange(0, Double(count), dtype: .int64, device: $0) .!= Double(paddingIndex)
            }
            rows = Tensor.where(trainable.unsqueezed(axis: 1), table, table.detach())
        }
        return rows.indexSelect(axis: 0, index: indices.reshaped([-1])).reshaped(indices.shape + [table.shape[1]])
    }
}
