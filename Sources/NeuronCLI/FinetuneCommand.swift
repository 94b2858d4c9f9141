import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

let finetuneUsage = """
    usage: neuron finetune --task digits|text-topics --mode MODE [options]

    Transfer learning with few labels, scored on a fixed stratified test split (20 % of each
    class, seed 0); --labels-per-class N keeps N training examples per class (a draw per --seed).

      --task digits        UCI handwritten digits (python3-sklearn), upsampled to 28 × 28;
                           --pretrained FILE: a Fashion-MNIST lenet or mlp model file (default
                           runs/lenet/model.safetensors, written by `make demo`).
                           modes: scratch (same architecture, random weights), frozen (pretrained
                           backbone frozen, new head), finetune (everything trained, new head)
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
      --out DIR              where the weights and metrics go (default runs/finetune-TASK-MODE)
    """

func runFinetune(_ arguments: [String]) {
    if arguments.contains("--help") || arguments.contains("-h") { print(finetuneUsage); return }
    let options = Options(command: "finetune", specs: [
        .init(name: "task", value: "NAME", help: "digits or text-topics"),
        .init(name: "mode", value: "MODE", help: "training mode"),
        .init(name: "labels-per-class", value: "N", help: "labels per class"),
        .init(name: "seed", value: "S", help: "seed"),
        .init(name: "epochs", value: "E", help: "epochs"),
        .init(name: "lr", value: "X", help: "learning rate"),
        .init(name: "layer-decay", value: "X", help: "layer-wise decay"),
        .init(name: "max-length", value: "T", help: "tokens per text"),
        .init(name: "pretrained", value: "FILE", help: "pretrained model file"),
        .init(name: "digits", value: "FILE", help: "digits.csv.gz"),
        .init(name: "categories", value: "LIST", help: "fortune topics"),
        .init(name: "text-dir", value: "DIR", help: "fortunes folder"),
        .init(name: "model-dir", value: "DIR", help: "MiniLM folder"),
        .init(name: "out", value: "DIR", help: "output folder"),
    ], arguments: arguments, usage: finetuneUsage)
    let task = options.required("task")
    guard ["digits", "text-topics"].contains(task) else { fail("finetune: '--task' must be one of digits, text-topics, got '\(task)'") }
    let modes = task == "digits" ? ["scratch", "frozen", "finetune"] : ["probe", "finetune", "scratch"]
    let mode = options.required("mode")
    guard modes.contains(mode) else { fail("finetune: '--mode' for \(task) must be one of \(modes.joined(separator: ", ")), got '\(mode)'") }
    let perClass = options.string("labels-per-class").map { _ in options.int("labels-per-class", default: 1) }
    let seed = options.int("seed", default: 0, minimum: 0)
    let out = options.string("out") ?? "runs/finetune-\(task)-\(mode)"
    do {
        try makeDirectories(out)
        let start = ProgressBar.now()
        let result = task == "digits"
            ? try finetuneDigits(options, mode: mode, perClass: perClass, seed: seed, out: out)
            : try finetuneText(options, mode: mode, perClass: perClass, seed: seed, out: out)
        let seconds = ProgressBar.now() - start
        let row = "task,mode,labels_per_class,seed,train_examples,test_accuracy,macro_f1,seconds\n"
            + "\(task),\(mode),\(perClass.map(String.init) ?? "all"),\(seed),\(result.trainCount),\(result.accuracy),\(result.macroF1),\(seconds)\n"
        try Array(row.utf8).withUnsafeBytes { try writeFileAtomically("\(out)/result.csv", [$0]) }
        print("\(result.trainCount) training examples, \(formatFixed(seconds, 1)) s; wrote \(out)/\(result.files.joined(separator: ", ")), result.csv")
        print("test_accuracy=\(formatFixed(result.accuracy, 4)) macro_f1=\(formatFixed(result.macroF1, 4))")
    } catch {
        fail("finetune: \(error)")
    }
}

struct FinetuneResult {
    let trainCount: Int, accuracy: Double, macroF1: Double, files: [String]
}

/// Accuracy and macro-F1 of `model` on a test set, in batches, in evaluation mode.
func score(_ model: any Layer, _ test: TensorDataset, classes: Int, transform: (Tensor) -> Tensor = { $0 }) -> (Double, Double) {
    model.eval()
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    noGrad {
        for batch in DataLoader(test, batchSize: 64, prefetch: false).batches(epoch: 0) {
            let matrix = confusionMatrix(outputs: model(transform(batch.inputs)), targets: batch.targets, classes: classes)
            for i in 0..<classes { for j in 0..<classes { confusion[i][j] += matrix[i][j] } }
        }
    }
    let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
    return (Double(correct) / Double(max(test.count, 1)), macroF1(confusion))
}

/// The rows of a dataset at `indices`.
func subset(_ data: TensorDataset, _ indices: [Int]) -> TensorDataset {
    let index = Tensor(indices)
    return TensorDataset(inputs: data.inputs.indexSelect(axis: 0, index: index), targets: data.targets.indexSelect(axis: 0, index: index))
}

/// Epochs that see about `budget` examples.
func epochs(_ options: Options, budget: Int, examples: Int) -> Int {
    options.int("epochs", default: max(1, Int((Double(budget) / Double(max(examples, 1))).rounded())))
}

/// Re-initialises a classifier's last Linear layer (PyTorch's default init), the new head.
func resetHead(_ model: Module, generator: RandomGenerator) throws {
    guard let (_, module) = model.namedModules().last(where: { $0.1 is Linear }), let head = module as? Linear else {
        throw DataError("the pretrained model has no linear head to replace")
    }
    let fresh = Linear(head.weight.shape[1], head.weight.shape[0], generator: generator)
    noGrad {
        head.weight.assign(fresh.weight)
        if let bias = head.bias, let freshBias = fresh.bias { bias.assign(freshBias) }
    }
}

func finetuneDigits(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    let pretrainedPath = options.string("pretrained") ?? "runs/lenet/model.safetensors"
    guard access(pretrainedPath, R_OK) == 0 else {
        throw DataError("pretrained model \(pretrainedPath) not found: run `make demo` (LeNet-5 on Fashion-MNIST) or pass --pretrained FILE")
    }
    let digits = try Digits.load(path: options.string("digits") ?? Digits.defaultPath)
    let data = TensorDataset(inputs: FashionMNIST.normalize(Digits.resize(digits.inputs, to: 28)), targets: digits.targets)
    let labels = digits.targets.toArray(Int.self)
    let split = stratifiedSplit(labels: labels, classes: 10, testFraction: 0.2, seed: 0)
    let chosen = labelsPerClass(split.train, labels: labels, classes: 10, perClass: perClass, seed: UInt64(seed))
    let (train, test) = (subset(data, chosen), subset(data, split.test))
    Random.seed(UInt64(seed))
    var (model, metadata) = try SavedModel.load(pretrainedPath)
    guard let name = metadata["model"], ModelZoo.names.contains(name) else {
        throw DataError("\(pretrainedPath) holds a '\(metadata["model"] ?? "?")' model; digits need a Fashion-MNIST classifier (lenet, mlp, resnet20)")
    }
    let initialiser = RandomGenerator(seed: UInt64(seed) &+ 7)
    switch mode {
    case "scratch": model = ModelZoo.make(name, generator: initialiser)!
    default:
        try resetHead(model, generator: initialiser)
        if mode == "frozen" {
            let head = model.namedParameters().map { $0.0 }.suffix(2)
            model.freeze(matching: ["*"])
            model.unfreeze(matching: Array(head))
        }
    }
    model.train()
    let lr = options.double("lr", default: mode == "finetune" ? 1e-3 : 3e-3)!
    let trainable = model.parameters().filter(\.requiresGrad)
    let optimizer = Adam(trainable, lr: lr)
    let epochCount = epochs(options, budget: 20_000, examples: train.count)
    let trainer = Trainer(model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) },
                          scheduler: CosineAnnealingLR(optimizer, period: epochCount))
    _ = try trainer.fit(train: DataLoader(train, batchSize: 64, shuffle: true, seed: UInt64(seed)), epochs: epochCount)
    let (accuracy, f1) = score(model, test, classes: 10)
    try SafeTensors.write(model.stateDict(), metadata: metadata.merging(["task": "digits", "mode": mode]) { _, new in new },
                          to: "\(out)/model.safetensors")
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["model.safetensors"])
}
