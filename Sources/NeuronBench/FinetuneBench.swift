import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// The training speed of `neuron finetune --task text-topics --mode finetune`: all-MiniLM-L6-v2
/// with a mean-pooled linear head, through the same `SupervisedStep` and AdamW recipe (lr 5e-5,
/// the head 20×, weight decay 0.01), on batches of 16 fortunes from the eight default topics in
/// a fixed order (a stride of 7,919 through them, as `bench/torch_bert_finetune.py`), at most
/// 128 tokens, each batch trimmed to its longest text. Times `steps` steps after `warmup`.
public enum FinetuneBench {
    public static func run(modelDirectory: String, textDirectory: String, steps: Int, warmup: Int = 3) throws -> BenchResult {
        Random.seed(0)
        let topics = try FortuneTopics(directory: textDirectory)
        let encoder = try SentenceEncoder(directory: modelDirectory)
        let order = (0..<topics.texts.count).map { $0 * 7919 % topics.texts.count }
        let padId = encoder.tokenizer.padId
        let batches: [Batch] = (0..<(warmup + steps)).map { step in
            let chosen = (0..<16).map { order[(step * 16 + $0) % order.count] }
            let ids = encoder.tokenizer.encodeBatch(chosen.map { topics.texts[$0] }, maxLength: 128).ids
            return Batch(inputs: trimPadding(ids, padId: padId), targets: Tensor(chosen.map { topics.labels[$0] }))
        }
        let classifier = BertClassifier(bert: encoder.model, classes: topics.categories.count, padId: padId, generator: RandomGenerator(seed: 7))
        classifier.train()
        let step = SupervisedStep(
            model: classifier, optimizer: classifier.fineTuningOptimizer(learningRate: 5e-5),
            loss: { crossEntropy($0, $1) })
        let trainer = Trainer(step: step)
        for batch in batches.prefix(warmup) { _ = try step.train(batch, trainer: trainer) }
        let start = now()
        var loss = Double.nan
        for batch in batches.dropFirst(warmup) { loss = try step.train(batch, trainer: trainer)["loss"] ?? .nan }
        let seconds = now() - start
        let tokens = Double(batches.dropFirst(warmup).reduce(0) { $0 + $1.inputs.count }) / Double(steps)
        return BenchResult(
            "bert_finetune",
            [
                ("samples_per_s", Double(16 * steps) / seconds), ("seconds", seconds),
                ("tokens_per_batch", tokens), ("texts", Double(topics.texts.count)),
            ],
            metric: ("final_loss", loss))
    }
}
