import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// Fashion-MNIST's classes 0–4 (T-shirt/top, trouser, pullover, dress, coat): the source task
/// of `--task fashion-split`; classes 5–9 (sandal, shirt, sneaker, bag, ankle boot) are the target.
let fashionSourceClasses = Array(0..<5), fashionTargetClasses = Array(5..<10)
let fashionSplitPretrained = "runs/finetune-fashion-split-pretrain/model.safetensors"

/// `--task digits`: a Fashion-MNIST classifier transferred to the UCI handwritten digits.
func finetuneDigits(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    if options.string("pretrained") == "efficientnet-lite0" {
        guard ["probe", "finetune-top", "finetune"].contains(mode) else {
            throw DataError("--pretrained efficientnet-lite0 takes --mode probe, finetune-top or finetune, not \(mode)")
        }
        let digits = try Digits.load(path: options.string("digits") ?? Digits.defaultPath)
        let labels = digits.targets.toArray(Int.self)
        let split = stratifiedSplit(labels: labels, classes: 10, testFraction: 0.2, seed: 0)
        let chosen = labelsPerClass(split.train, labels: labels, classes: 10, perClass: perClass, seed: UInt64(seed))
        let data = TensorDataset(inputs: Digits.resize(digits.inputs, to: 28), targets: digits.targets)
        return try imageNetTransfer(
            task: "digits", mode: mode, classes: 10, train: subset(data, chosen), allLabels: perClass == nil, test: subset(data, split.test),
            options: options, seed: seed, out: out)
    }
    guard mode != "probe", mode != "finetune-top" else { throw DataError("mode \(mode) needs --pretrained efficientnet-lite0") }
    let pretrainedPath = options.string("pretrained") ?? "runs/lenet/model.safetensors"
    guard access(pretrainedPath, R_OK) == 0 else {
        throw DataError("pretrained model \(pretrainedPath) not found: run `make demo` (LeNet-5 on Fashion-MNIST) or pass --pretrained FILE")
    }
    let digits = try Digits.load(path: options.string("digits") ?? Digits.defaultPath)
    let data = TensorDataset(inputs: FashionMNIST.normalize(Digits.resize(digits.inputs, to: 28)), targets: digits.targets)
    let labels = digits.targets.toArray(Int.self)
    let split = stratifiedSplit(labels: labels, classes: 10, testFraction: 0.2, seed: 0)
    let chosen = labelsPerClass(split.train, labels: labels, classes: 10, perClass: perClass, seed: UInt64(seed))
    return try transferImageClassifier(
        task: "digits", mode: mode, pretrained: try SavedModel.load(pretrainedPath),
        pretrainedPath: pretrainedPath, classes: 10,
        train: subset(data, chosen), test: subset(data, split.test), options: options, seed: seed, out: out)
}

/// `--task fashion-split`: `pretrain` trains on Fashion-MNIST's classes 0–4; the other modes
/// learn classes 5–9 (relabelled 0–4) from `--labels-per-class` training images, scored on the
/// test split's images of those classes.
func finetuneFashionSplit(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    if mode == "pretrain" { return try pretrainFashionSource(options, seed: seed, out: out) }
    let pretrainedPath = options.string("pretrained") ?? fashionSplitPretrained
    guard access(pretrainedPath, R_OK) == 0 else {
        throw DataError(
            "pretrained model \(pretrainedPath) not found: run `neuron finetune --task fashion-split --mode pretrain` or pass --pretrained FILE")
    }
    let pretrained = try SavedModel.load(pretrainedPath)
    let source = pretrained.metadata["source_classes"]
    guard source == fashionSourceClasses.map(String.init).joined(separator: ",") else {
        throw DataError(
            "\(pretrainedPath) was not pretrained on Fashion-MNIST's classes 0-4 only (its metadata's source_classes is '\(source ?? "absent")'); write one with `neuron finetune --task fashion-split --mode pretrain`"
        )
    }
    let train = try fashionClasses(.train, fashionTargetClasses, options: options)
    let test = try fashionClasses(.test, fashionTargetClasses, options: options)
    let labels = train.targets.toArray(Int.self)
    let chosen = labelsPerClass(Array(0..<train.count), labels: labels, classes: 5, perClass: perClass, seed: UInt64(seed))
    return try transferImageClassifier(
        task: "fashion-split", mode: mode, pretrained: pretrained, pretrainedPath: pretrainedPath, classes: 5,
        train: subset(train, chosen), test: test, options: options, seed: seed, out: out)
}

/// The standardised Fashion-MNIST images of `classes`, relabelled 0, 1, … in that order
/// (`--train-size N` keeps the first N).
func fashionClasses(_ split: FashionMNIST.Split, _ classes: [Int], options: Options) throws -> TensorDataset {
    let data = try FashionMNIST.load(split, directory: options.string("data"), normalized: true)
    let labels = data.targets.toArray(Int.self)
    var indices: [Int] = [], relabelled: [Int] = []
    for (i, label) in labels.enumerated() {
        if let position = classes.firstIndex(of: label) {
            indices.append(i)
            relabelled.append(position)
        }
    }
    if split == .train, options.string("train-size") != nil {
        let size = options.int("train-size", default: indices.count)
        indices = Array(indices.prefix(size))
        relabelled = Array(relabelled.prefix(size))
    }
    return TensorDataset(inputs: data.inputs.indexSelect(axis: 0, index: Tensor(indices)), targets: Tensor(relabelled))
}

/// Trains `--model` (lenet by default; mlp, resnet20) on the source classes with Adam and a
/// cosine schedule, and writes it with `source_classes` in its metadata.
func pretrainFashionSource(_ options: Options, seed: Int, out: String) throws -> FinetuneResult {
    let name = options.string("model") ?? "lenet"
    guard ["lenet", "mlp", "resnet20"].contains(name) else {
        throw DataError("'--model' for pretraining must be one of lenet, mlp, resnet20, got '\(name)'")
    }
    let train = try fashionClasses(.train, fashionSourceClasses, options: options)
    let test = try fashionClasses(.test, fashionSourceClasses, options: options)
    Random.seed(UInt64(seed))
    let model = try ModelRegistry.network(name, ["classes": "\(fashionSourceClasses.count)"], generator: RandomGenerator(seed: UInt64(seed) &+ 7))
    let optimizer = Adam(model.parameters(), lr: options.double("lr", default: try ModelRegistry.lookup(name).defaults.learningRate)!)
    let epochCount = options.int("epochs", default: 5)
    let trainer = Trainer(
        model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) },
        scheduler: CosineAnnealingLR(optimizer, period: epochCount), callbacks: [ProgressBar()])
    prepareTraining(trainer, options)
    _ = try trainer.fit(train: DataLoader(train, batchSize: 64, shuffle: true, seed: UInt64(seed), shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(model, test, classes: fashionSourceClasses.count)
    let metadata = [
        "model": name, "classes": "\(fashionSourceClasses.count)", "task": "fashion-split", "mode": "pretrain",
        "source_classes": fashionSourceClasses.map(String.init).joined(separator: ","),
    ]
    if isMainProcess { try SafeTensors.write(model.stateDict(), metadata: metadata, to: "\(out)/model.safetensors") }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["model.safetensors"])
}

/// The image tasks' recipe, given the pretrained model loaded from `pretrainedPath`.
/// `scratch` trains its architecture from random weights; the other modes start from a fresh
/// model with `classes` outputs whose backbone (everything but the last linear layer, the new
/// head) is loaded from the pretrained one. `frozen` trains the head only, `frozen-convs`
/// everything but the convolutions (the pretrained features), `finetune` everything (but
/// `--freeze` patterns). Adam (lr 3e-3), cosine, batch 64, about 20,000 examples seen.
func transferImageClassifier(
    task: String, mode: String, pretrained: (model: any Layer, metadata: [String: String]), pretrainedPath: String,
    classes: Int, train: TensorDataset, test: TensorDataset, options: Options, seed: Int, out: String
) throws -> FinetuneResult {
    guard let name = pretrained.metadata["model"], ModelRegistry.entry(name)?.family == .classifier else {
        throw DataError(
            "\(pretrainedPath) holds a '\(pretrained.metadata["model"] ?? "?")' model; \(task) needs a Fashion-MNIST classifier (\(classifierNames))")
    }
    Random.seed(UInt64(seed))
    let model = try ModelRegistry.network(name, ["classes": "\(classes)"], generator: RandomGenerator(seed: UInt64(seed) &+ 7))
    if mode != "scratch" {
        let head = try headParameterNames(model)
        let backbone = pretrained.model.stateDict().filter { !head.contains($0.key) }
        let report = try model.load(stateDict: backbone, strict: false)
        guard Set(report.missing) == Set(head), report.unexpected.isEmpty, report.mismatched.isEmpty else {
            throw DataError("\(pretrainedPath): the backbone does not fit a \(name) with \(classes) classes (\(report))")
        }
        switch mode {
        case "frozen":
            model.freeze(matching: ["*"])
            model.unfreeze(matching: head)
        case "frozen-convs":
            let convolutions = model.namedModules().filter { $0.1 is Conv2d }.map { "\($0.0).*" }
            guard !convolutions.isEmpty else { throw DataError("frozen-convs: a \(name) model has no convolutions") }
            model.freeze(matching: convolutions)
        default:
            try freezeOption(model, options)
        }
    }
    model.train()
    let lr = options.double("lr", default: 3e-3)!
    let optimizer = Adam(model.parameters().filter(\.requiresGrad), lr: lr)
    let epochCount = epochs(options, budget: 20_000, examples: train.count)
    let trainer = Trainer(
        model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) },
        scheduler: CosineAnnealingLR(optimizer, period: epochCount))
    prepareTraining(trainer, options)
    _ = try trainer.fit(train: DataLoader(train, batchSize: 64, shuffle: true, seed: UInt64(seed), shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(model, test, classes: classes)
    var metadata = ["model": name, "classes": "\(classes)", "task": task, "mode": mode]
    if mode != "scratch" { metadata["pretrained"] = pretrainedPath }
    if isMainProcess { try SafeTensors.write(model.stateDict(), metadata: metadata, to: "\(out)/model.safetensors") }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["model.safetensors"])
}

/// The state-dict names of a classifier's last linear layer, the head a transfer replaces.
func headParameterNames(_ model: Module) throws -> [String] {
    guard let (prefix, head) = model.namedModules().last(where: { $0.1 is Linear }) else {
        throw DataError("the pretrained model has no linear head to replace")
    }
    return head.namedParameters().map { prefix.isEmpty ? $0.0 : "\(prefix).\($0.0)" }
}
