import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// The dense or convolutional autoencoder on Fashion-MNIST's raw [0, 1] pixels: mean squared
/// reconstruction error, Adam, the usual logs and checkpoints, then the test MSE and a grid of
/// test images above their reconstructions (`reconstructions.png`, also in TensorBoard).
func trainAutoencoder(_ options: Options, _ modelName: String) {
    let settings = RunSettings(options, model: modelName, epochs: 5, lr: 1e-3)
    let latent = options.int("latent", default: 32)
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let train = try FashionMNIST.load(.train, directory: options.string("data"))
        let test = try FashionMNIST.load(.test, directory: options.string("data"))
        // The clean image is the target.
        let trainSet = TensorDataset(inputs: train.inputs, targets: train.inputs)
        let testSet = TensorDataset(inputs: test.inputs, targets: test.inputs)
        Random.seed(UInt64(settings.seed))
        let model = try SavedModel.make(metadata: ["model": modelName, "latent": "\(latent)"])
        let testLoader = DataLoader(testSet, batchSize: 1000)
        let (trainer, outcome) = try runFit(settings, model: model, loss: { mseLoss($0, $1) }, metrics: [],
                                            monitor: ("val_loss", .min),
                                            train: DataLoader(trainSet, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed)),
                                            validation: testLoader, metadata: ["latent": "\(latent)", "loss": "mean squared error (pixels)"])
        let mse = try trainer.evaluate(testLoader)["loss"] ?? .nan
        // Originals (rows 1 and 3) above their reconstructions (rows 2 and 4).
        model.eval()
        let originals = test.inputs[..<16]
        let reconstructions = noGrad { model(originals) }
        let grid = Tensor.concat([originals[..<8], reconstructions[..<8], originals[8...], reconstructions[8...]])
        try ImageGrid.write(grid, to: "\(settings.out)/reconstructions.png")
        if let board = trainer.callbacks.compactMap({ $0 as? TensorBoardLogger }).first {
            let png = try ImageGrid.png(grid)
            try board.writer.image("reconstructions/test", png: png.bytes, width: png.width, height: png.height, channels: 3,
                                   step: trainer.epoch)
            board.writer.flush()
        }
        print("wrote \(settings.out)/model.safetensors, checkpoint.safetensors, metrics.csv, curves.png, reconstructions.png, tb/")
        print("test_mse=\(formatFixed(mse, 5))")
        if case .stopped = outcome { exit(1) }
    } catch {
        fail("train: \(error)")
    }
}
