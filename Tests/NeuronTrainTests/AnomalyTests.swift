import Foundation
import Neuron
import NeuronData
import NeuronTrain
import Testing

@Suite struct AnomalyTests {
    @Test func aurocCountsTiesAsOneHalf() {
        // Pairs (anomalous, normal): 3 × 2 = 6. Anomalous 0.9 beats both normals (2), 0.5 ties
        // the normal 0.5 (½) and beats 0.1 (1), 0.1 ties 0.1 (½) and loses to 0.5: 4 of 6.
        let scores = [0.9, 0.5, 0.1, 0.5, 0.1]
        let anomalous = [true, true, true, false, false]
        #expect(areaUnderROC(scores: scores, anomalous: anomalous) == 4.0 / 6.0)
        #expect(areaUnderROC(scores: [3, 2, 1], anomalous: [true, false, false]) == 1)
        #expect(areaUnderROC(scores: [1, 2, 3], anomalous: [true, false, false]) == 0)
        #expect(areaUnderROC(scores: [1, 1, 1, 1], anomalous: [true, false, true, false]) == 0.5)
        #expect(areaUnderROC(scores: [1, 2], anomalous: [false, false]) == nil)
        let curve = rocCurve(scores: scores, anomalous: anomalous)
        #expect(curve.first! == (0, 0) && curve.last! == (1, 1) && curve.count == 4)
    }

    /// `neuron anomaly` writes the scores its AUROC came from.
    @Test func anomalyCommandWritesTheScoresItsAUROCCameFrom() throws {
        let out = NSTemporaryDirectory() + "neuron-anomaly-\(UInt32.random(in: 0...UInt32.max))"
        let result = try runNeuron(["anomaly", "--model", "autoencoder", "--normal-class", "1", "--epochs", "1", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.hasPrefix("auroc=0."))
        let scores = try NPY.read(out + "/scores.npy")
        #expect(scores.shape == [10000] && scores.dtype == .float32)
        let labels = try FashionMNIST.load(.test).targets.toArray(Int.self)
        let auroc = areaUnderROC(scores: scores.toArray(Double.self), anomalous: labels.map { $0 != 1 })!
        #expect(line == "auroc=" + String(format: "%.4f", auroc))
        #expect(auroc > 0.8)
        #expect(FileManager.default.fileExists(atPath: out + "/roc.png"))
    }
}
