import Glibc
import Neuron
import NeuronNN

/// The mean and covariance of a set of feature vectors (Float64), as a Fréchet distance needs.
public struct FeatureStatistics: Sendable {
    public let mean: [Double]
    /// Row-major [D, D], normalised by N − 1.
    public let covariance: [Double]
    public let dimension: Int, count: Int

    /// Statistics of features [N, D] (N ≥ 2).
    public init(features: Tensor) {
        precondition(
            features.rank == 2 && features.shape[0] >= 2,
            "FeatureStatistics: features must be [N ≥ 2, D], got \(features.shape)")
        let x = features.detach().to(.float64)
        let meanRow = x.mean(axis: 0, keepDims: true)
        let centred = x - meanRow
        count = x.shape[0]
        dimension = x.shape[1]
        mean = meanRow.toArray(Double.self)
        covariance = (centred.T.matmul(centred) / Double(count - 1)).toArray(Double.self)
    }

    /// Statistics from the sums of features [D] and of their outer products [D, D] over
    /// `count` rows (parts of a feature set summed over the processes of a job).
    public init(sum: [Double], outerSum: [Double], count: Int) {
        precondition(count >= 2 && outerSum.count == sum.count * sum.count, "FeatureStatistics: need ≥ 2 rows and a [D, D] sum")
        let d = sum.count
        let mean = sum.map { $0 / Double(count) }
        self.mean = mean
        covariance = (0..<d * d).map { i in (outerSum[i] - Double(count) * mean[i / d] * mean[i % d]) / Double(count - 1) }
        (dimension, self.count) = (d, count)
    }
}

/// The Fréchet distance between two Gaussians fitted to feature sets (the FID's formula):
/// ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½). The trace of the square root is taken as
/// Σ √λᵢ over the eigenvalues of Σ₁^½ Σ₂ Σ₁^½, which has the same spectrum as Σ₁Σ₂ and is
/// symmetric, so only symmetric eigen-decompositions are needed.
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) -> Double {
    precondition(a.dimension == b.dimension, "frechetDistance: features of \(a.dimension) and \(b.dimension) dimensions")
    let d = a.dimension
    var meanTerm = 0.0
    for i in 0..<d { meanTerm += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]) }
    // Σ₁^½ = V diag(√λ) Vᵀ, then Σ₁^½ Σ₂ Σ₁^½ with the tensor core's Float64 products.
    let (values, vectors) = symmetricEigen(a.covariance, d)
    let v = Tensor(vectors, shape: [d, d], dtype: .float64)
    let rootA = (v * Tensor(values.map { Swift.max($0, 0).squareRoot() }, dtype: .float64)).matmul(v.T)
    let product = rootA.matmul(Tensor(b.covariance, shape: [d, d], dtype: .float64)).matmul(rootA).toArray(Double.self)
    let crossTrace = symmetricEigen(product, d).values.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
    var traces = 0.0
    for i in 0..<d { traces += a.covariance[i * d + i] + b.covariance[i * d + i] }
    return meanTerm + traces - 2 * crossTrace
}

/// Eigenvalues and eigenvectors (columns of a row-major [n, n]) of a symmetric matrix by
/// cyclic Jacobi rotations; accurate to rounding for the feature sizes used here (≤ a few hundred).
func symmetricEigen(_ matrix: [Double], _ n: Int) -> (values: [Double], vectors: [Double]) {
    var a = matrix
    for i in 0..<n {
        for j in 0..<i {
            let m = 0.5 * (a[i * n + j] + a[j * n + i])
            a[i * n + j] = m
            a[j * n + i] = m
        }
    }
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    for _ in 0..<100 {
        var offDiagonal = 0.0, diagonal = 0.0
        for i in 0..<n {
            diagonal += a[i * n + i] * a[i * n + i]
            for j in (i + 1)..<n { offDiagonal += a[i * n + j] * a[i * n + j] }
        }
        if offDiagonal <= 1e-30 * max(diagonal, 1e-300) { break }
        for p in 0..<n {
            for q in (p + 1)..<n {
                let apq = a[p * n + q]
                if Swift.abs(apq) < 1e-300 { continue }
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                let t = (theta >= 0 ? 1 : -1) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - s * akq
                    a[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - s * aqk
                    a[q * n + k] = s * apk + c * aqk
                }
                for k in 0..<n {
                    let vkp = v[k * n + p], vkq = v[k * n + q]
                    v[k * n + p] = c * vkp - s * vkq
                    v[k * n + q] = s * vkp + c * vkq
                }
            }
        }
    }
    return ((0..<n).map { a[$0 * n + $0] }, v)
}

/// The quality of a generator's samples, measured with a classifier trained on the real data:
/// the Fréchet distance between its penultimate features of `samples` generated images and of
/// the real reference images ("fid"), and for a conditional generator the fraction of samples
/// the classifier assigns to the class they were drawn for ("class_accuracy"). The noise (and
/// the labels, cycling through the classes) are the same at every measurement.
public final class GeneratorQuality {
    public let classifier: FeatureClassifier
    public let reference: FeatureStatistics
    public let samples: Int
    let seed: UInt64

    public convenience init(classifier: FeatureClassifier, realImages: Tensor, samples: Int = 5000, seed: UInt64 = 12_345) {
        self.init(classifier: classifier, realFeatures: classifier.features(of: realImages), samples: samples, seed: seed)
    }

    /// The same from the classifier's features [N, D] of the real images, computed already.
    public init(classifier: FeatureClassifier, realFeatures: Tensor, samples: Int = 5000, seed: UInt64 = 12_345) {
        precondition(samples >= 2, "GeneratorQuality: samples must be ≥ 2, got \(samples)")
        self.classifier = classifier
        reference = FeatureStatistics(features: realFeatures)
        (self.samples, self.seed) = (samples, seed)
    }

    /// The Fréchet distance of images [N, 1, 28, 28] in [0, 1] to the reference.
    public func frechetDistance(images: Tensor) -> Double {
        NeuronTrain.frechetDistance(FeatureStatistics(features: classifier.features(of: images)), reference)
    }

    /// "fid" and, for a conditional generator, "class_accuracy". The samples come in chunks of
    /// 1,000, each from its own seeded stream; in a data-parallel job (`group`) each process
    /// draws every N-th chunk and the feature sums are added over the processes, so the
    /// figures are the same for any number of processes.
    public func measure(_ generator: any ImageGenerator, over group: ProcessGroup? = nil) -> [String: Double] {
        let (rank, size) = (group?.rank ?? 0, group?.size ?? 1)
        let labels = generator.classCount.map { classes in Tensor((0..<samples).map { $0 % classes }) }
        let dimension = reference.dimension
        var sums = [Double](repeating: 0, count: dimension + dimension * dimension + 1)
        for (chunk, start) in stride(from: 0, to: samples, by: 1000).enumerated() where chunk % size == rank {
            let count = min(1000, samples - start)
            let chunkLabels = labels?.narrowed(axis: 0, start: start, length: count)
            let images = generator.sample(count: count, labels: chunkLabels, generator: RandomGenerator(seed: seed &+ UInt64(chunk)))
            let features = classifier.features(of: images).detach().to(.float64)
            let featureSum = features.sum(axis: 0).toArray(Double.self)
            let outer = features.T.matmul(features).toArray(Double.self)
            for i in 0..<dimension { sums[i] += featureSum[i] }
            for i in 0..<outer.count { sums[dimension + i] += outer[i] }
            if let chunkLabels {
                let predicted = noGrad { classifier.head(features.to(.float32).to(classifier.device)) }.argmax(axis: 1)
                sums[sums.count - 1] += (predicted .== chunkLabels.to(predicted.device)).to(.float64).sum().item()
            }
        }
        if let group { sums = group.sum(sums) }
        let statistics = FeatureStatistics(
            sum: Array(sums[..<dimension]), outerSum: Array(sums[dimension..<(dimension + dimension * dimension)]), count: samples)
        var result = ["fid": NeuronTrain.frechetDistance(statistics, reference)]
        if labels != nil { result["class_accuracy"] = sums[sums.count - 1] / Double(samples) }
        return result
    }
}
