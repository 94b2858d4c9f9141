import Glibc
import Neuron
import NeuronNN

/// A quantity accumulated over batches (accuracy, top-k accuracy, …).
public protocol Metric: AnyObject {
    /// The key it appears under in logs ("accuracy"; validation adds "val_").
    var name: String { get }
    func reset()
    /// Adds one batch: the model's outputs and the targets.
    func update(outputs: Tensor, targets: Tensor)
    /// The value over everything since `reset()`.
    var value: Double { get }
}

/// The fraction of samples whose highest-scoring class is the target class.
public final class Accuracy: Metric {
    public let name = "accuracy"
    var correct = 0, total = 0

    public init() {}
    public func reset() {
        correct = 0
        total = 0
    }

    public func update(outputs: Tensor, targets: Tensor) {
        if outputs.device.isCPU, outputs.dtype == .float32, outputs.rank == 2, targets.dtype == .int64,
            targets.shape == [outputs.shape[0]]
        {
            // A training step's batch: counted in one pass on the host rather than three tensor ops.
            correct += outputs.withUnsafeBytes { scores in
                targets.withUnsafeBytes { labels in
                    Self.hits(scores.bindMemory(to: Float.self), labels.bindMemory(to: Int64.self), classes: outputs.shape[1])
                }
            }
        } else {
            correct += Int(noGrad { (outputs.argmax(axis: 1) .== targets).sum().item() })
        }
        total += targets.count
    }

    /// Rows whose first highest score (a NaN counts as highest, as in `argmax`) is at the label.
    static func hits(_ scores: UnsafeBufferPointer<Float>, _ labels: UnsafeBufferPointer<Int64>, classes: Int) -> Int {
        guard classes > 0 else { return 0 }
        var hits = 0
        for row in 0..<labels.count {
            let base = row * classes
            var best = scores[base], index = 0
            if !best.isNaN {
                for j in 1..<classes {
                    let v = scores[base + j]
                    if v.isNaN {
                        index = j
                        break
                    }
                    if v > best { (best, index) = (v, j) }
                }
            }
            if Int64(index) == labels[row] { hits += 1 }
        }
        return hits
    }

    public var value: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}

/// The fraction of samples whose target is among the `k` highest-scoring classes.
public final class TopKAccuracy: Metric {
    public let k: Int
    public var name: String { "top\(k)_accuracy" }
    var correct = 0, total = 0

    public init(k: Int) {
        precondition(k > 0, "TopKAccuracy: k must be positive, got \(k)")
        self.k = k
    }

    public func reset() {
        correct = 0
        total = 0
    }

    public func update(outputs: Tensor, targets: Tensor) {
        // The target is in the top k when fewer than k classes score strictly higher.
        let hits: Double = noGrad {
            let targetScores = outputs.gather(axis: 1, index: targets.unsqueezed(axis: 1))
            let higher = (outputs .> targetScores).to(.int64).sum(axis: 1)
            return (higher .< Double(k)).sum().item()
        }
        correct += Int(hits)
        total += targets.count
    }

    public var value: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}

/// The confusion matrix (rows: true class, columns: predicted class) of a classifier's outputs.
public func confusionMatrix(outputs: Tensor, targets: Tensor, classes: Int) -> [[Int]] {
    let predicted = noGrad { outputs.argmax(axis: 1) }.toArray(Int.self)
    var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    for (t, p) in zip(targets.toArray(Int.self), predicted) where t >= 0 && t < classes && p < classes {
        matrix[t][p] += 1
    }
    return matrix
}

/// Mean cross-entropy in bits per target — bits per character for a character-level
/// language model: outputs [..., C] logits, targets [...] class indices.
public final class BitsPerCharacter: Metric {
    public let name = "bpc"
    var bits = 0.0, count = 0

    public init() {}

    public func reset() { (bits, count) = (0, 0) }

    public func update(outputs: Tensor, targets: Tensor) {
        let classes = outputs.shape.last ?? 1
        let nats = noGrad { crossEntropy(outputs.reshaped([-1, classes]), targets.reshaped([-1]), reduction: .sum).item() }
        bits += nats / log(2.0)
        count += targets.count
    }

    public var value: Double { count > 0 ? bits / Double(count) : .nan }
}

/// The unweighted mean over classes of F1 = 2·precision·recall / (precision + recall), from a
/// confusion matrix (rows: true class, columns: predicted); a class never predicted nor
/// present counts 0, as scikit-learn's `f1_score(average="macro", zero_division=0)`.
public func macroF1(_ confusion: [[Int]]) -> Double {
    let classes = confusion.count
    guard classes > 0 else { return 0 }
    var total = 0.0
    for c in 0..<classes {
        let truePositive = Double(confusion[c][c])
        let predicted = Double((0..<classes).reduce(0) { $0 + confusion[$1][c] })
        let actual = Double(confusion[c].reduce(0, +))
        total += predicted + actual > 0 ? 2 * truePositive / (predicted + actual) : 0
    }
    return total / Double(classes)
}
