import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// The image classifiers (LeNet, ResNet-20, the MLP, the row-wise LSTM, …) on Fashion-MNIST:
/// cross-entropy, accuracy, a grid of training images, then the test accuracy.
let classifierRecipe = TaskRecipe(
    family: .classifier, summary: "Fashion-MNIST image classifiers",
    specs: [
        .init(name: "dataset", value: "NAME", help: "dataset: fashion-mnist (default)"),
        fashionDataSpec,
        .init(name: "augment", value: nil, help: "random crop (padding 2) and horizontal flip"),
    ], run: trainImageClassifier)

func trainImageClassifier(_ run: TrainRun) {
    let (options, settings) = (run.options, run.settings)
    _ = options.choice("dataset", from: ["fashion-mnist"], default: "fashion-mnist")
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"), normalized: true)
        let test = try FashionMNIST.load(.test, directory: options.string("data"), normalized: true)
        Random.seed(UInt64(settings.seed))
        let model = try ModelRegistry.network(run.model)
        let augment: Transform? =
            options.flag("augment")
            ? Transforms.compose([Transforms.randomCrop(padding: 2), Transforms.horizontalFlip()]) : nil
        let trainLoader = DataLoader(train, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed), transform: augment)
        let testLoader = DataLoader(test, batchSize: 1000, shard: processShard)
        let (trainer, outcome) = try runFit(
            settings, model: model, loss: { crossEntropy($0, $1) }, metrics: [Accuracy()],
            monitor: ("val_accuracy", .max), train: trainLoader, validation: testLoader,
            metadata: [:],
            prepare: { trainer in
                guard isMainProcess else { return }
                // A look at the data: a grid of the first training images, as PNG and in TensorBoard.
                let samples = train.inputs[..<32] * FashionMNIST.pixelStd + FashionMNIST.pixelMean
                try ImageGrid.write(samples, to: "\(settings.out)/samples.png")
                if let board = trainer.callbacks.compactMap({ $0 as? TensorBoardLogger }).first {
                    let grid = try ImageGrid.png(samples)
                    try board.writer.image("samples/train", png: grid.bytes, width: grid.width, height: grid.height, channels: 3, step: 0)
                }
            })
        let accuracy = try trainer.evaluate(testLoader)["accuracy"] ?? 0
        print("wrote \(settings.out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, samples.png, tb/")
        print("test_accuracy=\(formatFixed(accuracy, 4))")
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}
