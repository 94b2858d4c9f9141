import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// Text topics from fortunes: MiniLM as a frozen feature extractor (probe), fine-tuned whole
/// (finetune), or a small Transformer from scratch over the same WordPiece ids.
func finetuneText(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    let categories = options.string("categories").map { $0.split(separator: ",").map(String.init) } ?? FortuneTopics.defaultCategories
    let topics = try FortuneTopics(directory: options.string("text-dir") ?? FortuneTopics.defaultDirectory, categories: categories)
    let classes = categories.count
    let split = topics.split(testFraction: 0.2, seed: 0)
    let chosen = labelsPerClass(split.train, labels: topics.labels, classes: classes, perClass: perClass, seed: UInt64(seed))
    let modelDirectory = options.string("model-dir") ?? SentenceEncoder.defaultDirectory
    let maxLength = options.int("max-length", default: 128)
    let encoder = try SentenceEncoder(directory: modelDirectory)
    let labelTensor = Tensor(topics.labels)
    Random.seed(UInt64(seed))
    let initialiser = RandomGenerator(seed: UInt64(seed) &+ 7)
    let metadata = ["task": "text-topics", "mode": mode, "categories": categories.joined(separator: ","), "max_length": "\(maxLength)"]

    if mode == "probe" {
        // Sentence embeddings of every text once (cached per folder and categories), then a linear head.
        let embeddings = try cachedEmbeddings(encoder, topics, key: "\(options.string("text-dir") ?? "debian")-\(categories.joined(separator: "+"))")
        let data = TensorDataset(inputs: embeddings, targets: labelTensor)
        let (train, test) = (subset(data, chosen), subset(data, split.test))
        return try trainLinearProbe(
            train: train, test: test, classes: classes, learningRate: 1e-2, generator: initialiser, options: options, seed: seed, out: out,
            metadata: metadata)
    }

    let (ids, _) = encoder.tokenizer.encodeBatch(topics.texts, maxLength: maxLength)
    let data = TensorDataset(inputs: ids, targets: labelTensor)
    let (train, test) = (subset(data, chosen), subset(data, split.test))
    let model: any Layer
    let optimizer: Optimizer
    var scheduler: LRScheduler?
    let epochCount: Int
    if mode == "finetune" {
        let classifier = BertClassifier(bert: encoder.model, classes: classes, padId: encoder.tokenizer.padId, generator: initialiser)
        try freezeOption(classifier.bert, options)
        epochCount = epochs(options, budget: 2_000, examples: train.count)
        let lr = options.double("lr", default: 5e-5)!
        optimizer = classifier.fineTuningOptimizer(learningRate: lr, layerDecay: options.double("layer-decay", default: 1)!)
        let steps = epochCount * ((train.count + 15) / 16)
        scheduler = LinearWarmup(CosineAnnealingLR(optimizer, period: steps), warmupSteps: max(1, steps / 10))
        model = classifier
    } else {
        let scratch = TransformerClassifier(
            vocabularySize: encoder.model.config.vocabularySize, classes: classes, dimension: 64, heads: 4,
            layers: 2, feedForward: 128, maxLength: maxLength, dropout: 0.1,
            paddingId: encoder.tokenizer.padId, generator: initialiser)
        epochCount = epochs(options, budget: 20_000, examples: train.count)
        optimizer = AdamW(scratch.parameters(), lr: options.double("lr", default: 1e-3)!)
        scheduler = CosineAnnealingLR(optimizer, period: epochCount)
        model = scratch
    }
    let step = SupervisedStep(model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) }, scheduler: scheduler)
    if mode == "finetune" { step.scheduleInterval = .batch }
    let trainer = Trainer(step: step, callbacks: [ProgressBar()])
    prepareTraining(trainer, options)
    let padId = encoder.tokenizer.padId
    _ = try trainer.fit(
        train: DataLoader(
            train, batchSize: mode == "finetune" ? 16 : 32, shuffle: true, seed: UInt64(seed),
            transform: { ids, _ in trimPadding(ids, padId: padId) }, shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(model, test, classes: classes) { trimPadding($0, padId: padId) }
    var files: [String]
    if !isMainProcess {
        files = []
    } else if let classifier = model as? BertClassifier {
        try SafeTensors.write(classifier.bert.stateDict(), metadata: metadata, to: "\(out)/encoder.safetensors")
        try SafeTensors.write(classifier.head.stateDict(), metadata: metadata, to: "\(out)/head.safetensors")
        // A batch of test texts with the logits, for checking the files in PyTorch.
        let sample = trimPadding(test.inputs.narrowed(axis: 0, start: 0, length: min(16, test.count)), padId: padId)
        try SafeTensors.write(["ids": sample, "logits": noGrad { classifier(sample) }], metadata: metadata, to: "\(out)/check.safetensors")
        files = ["encoder.safetensors", "head.safetensors", "check.safetensors"]
    } else {
        try SafeTensors.write(model.stateDict(), metadata: metadata, to: "\(out)/model.safetensors")
        files = ["model.safetensors"]
    }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: files)
}

/// MiniLM's sentence embeddings of every topic text, cached under `.cache/embeddings/`.
func cachedEmbeddings(_ encoder: SentenceEncoder, _ topics: FortuneTopics, key: String) throws -> Tensor {
    let safe = String(key.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "+" ? $0 : "_" })
    return try cachedTensor(".cache/embeddings/\(safe).npy", rows: topics.texts.count) { encoder.encode(topics.texts) }
}
