import Neuron
import NeuronData
import NeuronModels
import NeuronNN

/// One epoch of training a zoo model (batch 64, Adam 1e-3) on Fashion-MNIST, then test accuracy
/// (for the autoencoder: MSE on raw pixels, then test MSE); `batches` cuts the epoch short.
public enum ModelBench {
    public static func run(_ name: String, directory: String? = nil, batches: Int? = nil) throws -> BenchResult {
        Random.seed(0)
        let train = try FashionMNIST.load(.train, directory: directory)
        let test = try FashionMNIST.load(.test, directory: directory)
        if name == "autoencoder" { return try autoencoder(train: train, test: test, batches: batches) }
        guard let model = ModelZoo.make(name) else { throw DataError("unknown model '\(name)'") }
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 0)
        let start = now()
        var seen = 0
        for batch in loader.batches(epoch: 0).prefix(batches ?? Int.max) {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(batch.inputs), batch.targets)
            loss.backward()
            optimizer.step()
            seen += batch.targets.count
        }
        let seconds = now() - start
        model.eval()
        let accuracy: Double = noGrad {
            let batches = DataLoader(test, batchSize: 1000, prefetch: false).batches(epoch: 0)
            let correct = batches.map { (model($0.inputs).argmax(axis: 1) .== $0.targets).sum().item() }.reduce(0, +)
            return correct / Double(test.count)
        }
        return BenchResult(name, [("samples_per_s", Double(seen) / seconds), ("train_seconds", seconds)],
                           metric: ("test_accuracy", accuracy))
    }

    /// The dense autoencoder (784-128-32-128-784) on raw [0, 1] pixels, MSE, as the peers run it.
    static func autoencoder(train: TensorDataset, test: TensorDataset, batches: Int?) throws -> BenchResult {
        let model = DenseAutoencoder()
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 0)
        let start = now()
        var seen = 0
        for batch in loader.batches(epoch: 0).prefix(batches ?? Int.max) {
            optimizer.zeroGrad()
            let loss = mseLoss(model(batch.inputs), batch.inputs)
            loss.backward()
            optimizer.step()
            seen += batch.size
        }
        let seconds = now() - start
        let mse: Double = noGrad { mseLoss(model(test.inputs), test.inputs).item() }
        return BenchResult("autoencoder", [("samples_per_s", Double(seen) / seconds), ("train_seconds", seconds)],
                           metric: ("test_mse", mse))
    }
}
