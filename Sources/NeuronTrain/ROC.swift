/// The area under the ROC curve of anomaly scores (higher means more anomalous) against
/// labels (true: anomalous), computed as the Mann–Whitney statistic: the fraction of
/// (anomalous, normal) pairs in which the anomalous example scores higher, ties counting one
/// half. Nil when either class is empty.
public func areaUnderROC(scores: [Double], anomalous: [Bool]) -> Double? {
    precondition(scores.count == anomalous.count, "areaUnderROC: \(scores.count) scores for \(anomalous.count) labels")
    let positives = anomalous.filter { $0 }.count, negatives = anomalous.count - positives
    guard positives > 0 && negatives > 0 else { return nil }
    // Mid-ranks of the scores in ascending order, ties sharing their average rank.
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var ranks = [Double](repeating: 0, count: scores.count)
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
        let midRank = Double(start + end) / 2 + 1
        for position in start...end { ranks[order[position]] = midRank }
        start = end + 1
    }
    let positiveRanks = zip(ranks, anomalous).filter { $0.1 }.reduce(0) { $0 + $1.0 }
    let u = positiveRanks - Double(positives) * Double(positives + 1) / 2
    return u / (Double(positives) * Double(negatives))
}

/// The ROC curve's points (false-positive rate, true-positive rate) from the highest
/// threshold down, one point per distinct score, starting at (0, 0) and ending at (1, 1).
public func rocCurve(scores: [Double], anomalous: [Bool]) -> [(falsePositiveRate: Double, truePositiveRate: Double)] {
    let positives = Double(anomalous.filter { $0 }.count), negatives = Double(anomalous.count) - positives
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var points: [(Double, Double)] = [(0, 0)]
    var truePositives = 0.0, falsePositives = 0.0
    for (position, index) in order.enumerated() {
        if anomalous[index] { truePositives += 1 } else { falsePositives += 1 }
        let last = position == order.count - 1 || scores[order[position + 1]] != scores[index]
        if last { points.append((falsePositives / max(negatives, 1), truePositives / max(positives, 1))) }
    }
    return points
}
