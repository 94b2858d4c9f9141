import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import Testing

@Suite struct TransformerTrainingTests {
    /// Sequences of 8 tokens from 1…9 (0 pads; the last two are padding in a quarter of them);
    /// the label says whether the first token appears again later, which needs attention
    /// across positions.
    static func repeatTask(_ count: Int, seed: UInt64) -> TensorDataset {
        let generator = RandomGenerator(seed: seed)
        var ids: [Int] = [], labels: [Int] = []
        for i in 0..<count {
            var row = (0..<8).map { _ in 1 + generator.next(below: 9) }
            if i % 4 == 0 {
                row[6] = 0
                row[7] = 0
            }
            ids += row
            labels.append(row.dropFirst().contains(row[0]) ? 1 : 0)
        }
        return TensorDataset(inputs: Tensor(ids, shape: [count, 8]), targets: Tensor(labels))
    }

    /// A Transformer encoder classifier learns the task through the usual loop: the loss falls
    /// and held-out accuracy is well above the majority class.
    @Test func transformerClassifierLearnsASequenceTask() throws {
        Random.seed(3)
        let model = TransformerClassifier(
            vocabularySize: 10, classes: 2, dimension: 32, heads: 4, layers: 2, feedForward: 64,
            maxLength: 8, dropout: 0, generator: RandomGenerator(seed: 5))
        let train = Self.repeatTask(1024, seed: 1), test = Self.repeatTask(512, seed: 2)
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 3e-3), loss: { crossEntropy($0, $1) })
        let before = try trainer.evaluate(DataLoader(test, batchSize: 256))
        #expect(try trainer.fit(train: DataLoader(train, batchSize: 32, shuffle: true, seed: 1), epochs: 12) == .completed)
        let after = try trainer.evaluate(DataLoader(test, batchSize: 256))
        let majority = max(test.targets.to(.float64).mean().item(), 1 - test.targets.to(.float64).mean().item())
        #expect(after["loss"]! < before["loss"]! * 0.7, "loss \(before["loss"]!) → \(after["loss"]!)")
        #expect(after["accuracy"]! > majority + 0.15, "accuracy \(after["accuracy"]!) vs majority \(majority)")
    }
}
