import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

let finetuneUsage = """
    usage: neuron finetune --task digits|fashion|fashion-split|text-topics --mode MODE [options]

    Transfer learning with few labels, scored on a fixed stratified test split (20 % of each
    class, seed 0; fashion-split: Fashion-MNIST's test images of the target classes);
    --labels-per-class N keeps N training examples per class (a draw per --seed).

      --task digits        UCI handwritten digits (python3-sklearn), upsampled to 28 × 28;
                           --pretrained FILE: a Fashion-MNIST lenet, mlp or resnet20 model file
                           (default runs/lenet/model.safetensors, written by `make demo`);
                           --pretrained efficientnet-lite0: modes probe, finetune-top and finetune
                           from ImageNet, as for fashion
      --task fashion       Fashion-MNIST's ten classes: probe (a linear head on EfficientNet-Lite0's
                           frozen ImageNet features, `make models`; --resolution PIXELS, default
                           96), finetune-top (also its last block and head convolution trained),
                           finetune (the whole network trained, 100 steps of 64), or scratch
                           (LeNet-5)
      --task fashion-split Fashion-MNIST's classes 0-4 (tops, trousers, pullovers, dresses, coats)
                           to classes 5-9 (sandals, shirts, sneakers, bags, ankle boots); first
                           --mode pretrain (--model lenet|mlp|resnet20, classes 0-4 only), which
                           writes the default --pretrained of the other modes,
                           runs/finetune-fashion-split-pretrain/model.safetensors
                           image modes: scratch (same architecture, random weights), frozen
                           (pretrained backbone frozen, new head), frozen-convs (convolutions
                           frozen, the rest fine-tuned, new head), finetune (all trained, new head)
      --task text-topics   Debian's fortunes, one class per topic file (--categories, --text-dir);
                           modes: probe (all-MiniLM-L6-v2 frozen, linear head on its sentence
                           embeddings), finetune (the whole MiniLM, AdamW with warm-up, new head),
                           scratch (a small Transformer over the same WordPiece ids)

    options:
      --labels-per-class N   training examples per class (default: all)
      --seed S               draw of the labelled examples and initialisation (default 0)
      --epochs E             epochs (default: about 20,000 examples seen; text finetune 2,000)
      --lr X                 learning rate (default per mode)
      --layer-decay X        text finetune: layer-wise learning-rate decay (default 1: none)
      --max-length T         text: tokens per text (default 128)
      --freeze LIST          finetune: parameter name patterns kept frozen, comma-separated, as
                           encoder.layer.[0-3].* (MiniLM) or 0.*,3.* (LeNet-5)
      --model NAME           fashion-split pretrain: lenet (default), mlp or resnet20
      --data DIR             the Fashion-MNIST folder (default: Debian's)
      --train-size N         fashion-split: keep the first N training images of the classes
      --out DIR              where the weights and metrics go (default runs/finetune-TASK-MODE)
    """

/// The options of `neuron finetune`.
let finetuneSpecs: [Options.Spec] = [
    .init(name: "task", value: "NAME", help: "digits, fashion-split or text-topics"),
    .init(name: "mode", value: "MODE", help: "training mode"),
    .init(name: "labels-per-class", value: "N", help: "labels per class"),
    CommonOptions.seed, CommonOptions.epochs(default: "per mode"), CommonOptions.lr(default: "per mode"),
    .init(name: "layer-decay", value: "X", help: "layer-wise decay"),
    .init(name: "max-length", value: "T", help: "tokens per text"),
    .init(name: "pretrained", value: "FILE", help: "pretrained model file, or efficientnet-lite0"),
    .init(name: "resolution", value: "PIXELS", help: "efficientnet-lite0: image side"),
    .init(name: "weights", value: "FILE", help: "efficientnet-lite0's .pth"),
    .init(name: "model", value: "NAME", help: "architecture to pretrain"),
    .init(name: "freeze", value: "LIST", help: "parameter name patterns kept frozen"),
    fashionDataSpec,
    .init(name: "train-size", value: "N", help: "training images kept"),
    .init(name: "digits", value: "FILE", help: "digits.csv.gz"),
    .init(name: "categories", value: "LIST", help: "fortune topics"),
    .init(name: "text-dir", value: "DIR", help: "fortunes folder"),
    .init(name: "model-dir", value: "DIR", help: "MiniLM folder"),
    CommonOptions.out, CommonOptions.stepsPerEpoch, CommonOptions.noOverlap, CommonOptions.syncBatchNorm, CommonOptions.device,
]

func runFinetune(_ arguments: [String]) {
    if arguments.contains("--help") || arguments.contains("-h") {
        print(finetuneUsage)
        return
    }
    let options = Options(command: "finetune", specs: finetuneSpecs, arguments: arguments, usage: finetuneUsage)
    let task = options.required("task")
    guard let recipe = finetuneTasks.first(where: { $0.name == task }) else {
        fail("finetune: '--task' must be one of \(finetuneTasks.map(\.name).joined(separator: ", ")), got '\(task)'")
    }
    let mode = options.required("mode")
    guard recipe.modes.contains(mode) else {
        fail("finetune: '--mode' for \(task) must be one of \(recipe.modes.joined(separator: ", ")), got '\(mode)'")
    }
    let perClass = options.string("labels-per-class").map { _ in options.int("labels-per-class", default: 1) }
    let seed = CommonOptions.seed(options)
    let out = CommonOptions.out(options, default: "runs/finetune-\(task)-\(mode)")
    do {
        try makeDirectories(out)
        let start = ProgressBar.now()
        let result = try recipe.run(options, mode, perClass, seed, out)
        let seconds = ProgressBar.now() - start
        let row =
            "task,mode,labels_per_class,seed,train_examples,test_accuracy,macro_f1,seconds\n"
            + "\(task),\(mode),\(perClass.map(String.init) ?? "all"),\(seed),\(result.trainCount),\(result.accuracy),\(result.macroF1),\(seconds)\n"
        if isMainProcess { try Array(row.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/result.csv", [$0]) } }
        print(
            "\(result.trainCount) training examples, \(formatFixed(seconds, 1)) s; wrote \(out)/\(result.files.joined(separator: ", ")), result.csv")
        print("test_accuracy=\(formatFixed(result.accuracy, 4)) macro_f1=\(formatFixed(result.macroF1, 4))")
    } catch {
        fail("finetune: \(error)")
    }
}

/// A transfer-learning task of `neuron finetune`: its data, its training modes and how it
/// runs them (each reports a `FinetuneResult`).
struct FinetuneTask {
    let name: String
    let modes: [String]
    let run: (_ options: Options, _ mode: String, _ perClass: Int?, _ seed: Int, _ out: String) throws -> FinetuneResult
}

/// The tasks, looked up by `--task`.
let finetuneTasks: [FinetuneTask] = [
    FinetuneTask(name: "digits", modes: ["scratch", "frozen", "frozen-convs", "finetune", "probe", "finetune-top"]) {
        try finetuneDigits($0, mode: $1, perClass: $2, seed: $3, out: $4)
    },
    FinetuneTask(name: "fashion", modes: ["probe", "finetune-top", "finetune", "scratch"]) {
        try finetuneFashion($0, mode: $1, perClass: $2, seed: $3, out: $4)
    },
    FinetuneTask(name: "fashion-split", modes: ["pretrain", "scratch", "frozen", "frozen-convs", "finetune"]) {
        try finetuneFashionSplit($0, mode: $1, perClass: $2, seed: $3, out: $4)
    },
    FinetuneTask(name: "text-topics", modes: ["probe", "finetune", "scratch"]) {
        try finetuneText($0, mode: $1, perClass: $2, seed: $3, out: $4)
    },
]

struct FinetuneResult {
    let trainCount: Int, accuracy: Double, macroF1: Double, files: [String]
}

/// A linear probe: a new linear head on frozen features [N, D], trained with Adam (`--lr`, else
/// `learningRate`), a cosine schedule, batch 64 and about 20,000 examples seen, then scored on
/// the test features and written to OUT/head.safetensors with `metadata`.
func trainLinearProbe(
    train: TensorDataset, test: TensorDataset, classes: Int, learningRate: Double, generator: RandomGenerator,
    options: Options, seed: Int, out: String, metadata: [String: String]
) throws -> FinetuneResult {
    let head = Linear(train.inputs.shape[1], classes, generator: generator)
    let optimizer = Adam(head.parameters(), lr: options.double("lr", default: learningRate)!)
    let epochCount = epochs(options, budget: 20_000, examples: train.count)
    let trainer = Trainer(
        model: head, optimizer: optimizer, loss: { crossEntropy($0, $1) }, scheduler: CosineAnnealingLR(optimizer, period: epochCount))
    prepareTraining(trainer, options)
    _ = try trainer.fit(train: DataLoader(train, batchSize: 64, shuffle: true, seed: UInt64(seed), shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(head, test, classes: classes)
    if isMainProcess { try SafeTensors.write(head.stateDict(), metadata: metadata, to: "\(out)/head.safetensors") }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["head.safetensors"])
}

/// Accuracy and macro-F1 of `model` on a test set, in batches, in evaluation mode.
func score(_ model: any Layer, _ test: TensorDataset, classes: Int, transform: (Tensor) -> Tensor = { $0 }) -> (Double, Double) {
    model.eval()
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    // Each process of a job scores its part of every batch; the counts are summed.
    noGrad {
        for batch in DataLoader(test, batchSize: 64, prefetch: false, shard: processShard).batches(epoch: 0) where !batch.isStandIn {
            let outputs = model(transform(batch.inputs).to(model.device)).to(.cpu)
            let matrix = confusionMatrix(outputs: outputs, targets: batch.targets.to(.cpu), classes: classes)
            for i in 0..<classes { for j in 0..<classes { confusion[i][j] += matrix[i][j] } }
        }
    }
    if let job, job.size > 1 {
        let sums = job.sum(confusion.flatMap { $0.map(Double.init) })
        confusion = (0..<classes).map { i in (0..<classes).map { Int(sums[i * classes + $0]) } }
    }
    let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
    return (Double(correct) / Double(max(test.count, 1)), macroF1(confusion))
}

/// The rows of a dataset at `indices`.
func subset(_ data: TensorDataset, _ indices: [Int]) -> TensorDataset {
    let index = Tensor(indices)
    return TensorDataset(inputs: data.inputs.indexSelect(axis: 0, index: index), targets: data.targets.indexSelect(axis: 0, index: index))
}

/// A tensor computed once and kept as `path` (a `.npy` file under `.cache/`); a cached file
/// with another row count than `rows` (when given) is computed again.
func cachedTensor(_ path: String, rows: Int? = nil, compute: () throws -> Tensor) throws -> Tensor {
    if access(path, R_OK) == 0, let cached = try? NPY.read(path), rows == nil || cached.shape.first == rows { return cached }
    let tensor = try compute()
    if isMainProcess {
        try makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]))
        try NPY.write(tensor, to: path)
    }
    return tensor
}

/// Epochs that see about `budget` examples.
func epochs(_ options: Options, budget: Int, examples: Int) -> Int {
    options.int("epochs", default: max(1, Int((Double(budget) / Double(max(examples, 1))).rounded())))
}

/// Freezes the parameters `--freeze` names (comma-separated patterns); a pattern that matches
/// nothing is an error.
func freezeOption(_ model: Module, _ options: Options) throws {
    guard let list = options.string("freeze") else { return }
    for pattern in list.split(separator: ",").map(String.init) where model.freeze(matching: [pattern]).isEmpty {
        throw DataError(
            "--freeze: '\(pattern)' matches no parameter (names: \(model.namedParameters().prefix(3).map { $0.0 }.joined(separator: ", ")), …)")
    }
}
