import Neuron

/// Principal component analysis computed by Neuron: the mean of the rows and the leading
/// principal directions of the centred data, found by subspace iteration on the covariance.
public struct PCA {
    /// [D]
    public let mean: Tensor
    /// [K, D], orthonormal rows, by decreasing variance.
    public let components: Tensor

    /// Fits `components` directions to the rows of `data` [N, D].
    public init(_ data: Tensor, components k: Int, iterations: Int = 60, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        precondition(data.rank == 2 && k >= 1 && k <= data.shape[1], "PCA: \(k) components of data \(data.shape)")
        let x = data.to(.float64)
        mean = x.mean(axis: 0)
        let centred = x - mean
        let covariance = centred.transposed().matmul(centred) / Double(max(x.shape[0] - 1, 1))
        var basis = orthonormalColumns(Tensor.normal([x.shape[1], k], dtype: .float64, generator: generator))
        for _ in 0..<iterations { basis = orthonormalColumns(covariance.matmul(basis)) }
        // Order by the variance along each direction.
        let variances = (covariance.matmul(basis) * basis).sum(axis: 0).toArray(Double.self)
        let order = variances.indices.sorted { variances[$0] > variances[$1] }
        components = basis.transposed().indexSelect(axis: 0, index: Tensor(order)).contiguous()
    }

    /// The coordinates [N, K] of rows [N, D] along the components.
    public func project(_ data: Tensor) -> Tensor {
        (data.to(.float64) - mean).matmul(components.transposed()).to(data.dtype)
    }
}

/// Gram–Schmidt on the columns of [D, K] (twice, for stability in float64).
func orthonormalColumns(_ matrix: Tensor) -> Tensor {
    let (d, k) = (matrix.shape[0], matrix.shape[1])
    let values = matrix.toArray(Double.self)
    var columns = (0..<k).map { i in (0..<d).map { values[$0 * k + i] } }
    for _ in 0..<2 {
        for i in 0..<k {
            for j in 0..<i {
                let dot = zip(columns[i], columns[j]).reduce(0) { $0 + $1.0 * $1.1 }
                for r in 0..<d { columns[i][r] -= dot * columns[j][r] }
            }
            let norm = max(columns[i].reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
            for r in 0..<d { columns[i][r] /= norm }
        }
    }
    var flat = [Double](repeating: 0, count: d * k)
    for i in 0..<k { for r in 0..<d { flat[r * k + i] = columns[i][r] } }
    return Tensor(flat, shape: [d, k], dtype: .float64)
}

/// The fraction of `test` rows whose `k` nearest `train` rows (Euclidean) vote for their label
/// (ties broken by the nearest neighbour among the tied classes).
public func nearestNeighbourAccuracy(train: Tensor, trainLabels: [Int], test: Tensor, testLabels: [Int], k: Int = 5) -> Double {
    precondition(
        train.rank == 2 && test.rank == 2 && train.shape[1] == test.shape[1] && train.shape[0] == trainLabels.count
            && test.shape[0] == testLabels.count && k >= 1 && k <= train.shape[0],
        "nearestNeighbourAccuracy: train \(train.shape) with \(trainLabels.count) labels, test \(test.shape) with \(testLabels.count), k \(k)")
    let a = train.to(.float32), trainNorms = (a * a).sum(axis: 1).toArray(Float.self)
    var correct = 0
    for start in stride(from: 0, to: test.shape[0], by: 500) {
        let b = test.narrowed(axis: 0, start: start, length: min(500, test.shape[0] - start)).to(.float32)
        // ‖a − b‖² up to the per-row constant ‖b‖²: ‖a‖² − 2 a·b.
        let products = noGrad { b.matmul(a.transposed()) }.toArray(Float.self)
        let n = a.shape[0]
        for row in 0..<b.shape[0] {
            var best: [(Float, Int)] = []
            for j in 0..<n {
                let distance = trainNorms[j] - 2 * products[row * n + j]
                if best.count < k || distance < best[best.count - 1].0 {
                    if best.count == k { best.removeLast() }
                    let position = best.firstIndex { $0.0 > distance } ?? best.count
                    best.insert((distance, j), at: position)
                }
            }
            var votes: [Int: Int] = [:]
            for (_, j) in best { votes[trainLabels[j], default: 0] += 1 }
            let top = votes.values.max()!
            let predicted = best.first { votes[trainLabels[$0.1]] == top }.map { trainLabels[$0.1] }!
            if predicted == testLabels[start + row] { correct += 1 }
        }
    }
    return Double(correct) / Double(test.shape[0])
}
