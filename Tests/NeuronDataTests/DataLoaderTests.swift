import Neuron
import NeuronData
import Testing

@Suite struct DataLoaderTests {
    let dataset = TensorDataset(inputs: Tensor.arange(0, 10).reshaped([10, 1]), targets: Tensor(Array(0..<10)))

    func collect(_ loader: DataLoader, epoch: Int, from start: Int = 0) -> [[Int]] {
        loader.batches(epoch: epoch, from: start).map { $0.targets.toArray(Int.self) }
    }

    @Test func batchesCoverTheDatasetInOrderWithoutShuffle() {
        let loader = DataLoader(dataset, batchSize: 4)
        #expect(loader.batchesPerEpoch == 3)
        #expect(collect(loader, epoch: 0) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        let dropping = DataLoader(dataset, batchSize: 4, dropLast: true)
        #expect(collect(dropping, epoch: 0) == [[0, 1, 2, 3], [4, 5, 6, 7]])
    }

    @Test func shuffleIsSeededPerEpochAndResumable() {
        let loader = DataLoader(dataset, batchSize: 3, shuffle: true, seed: 7, prefetch: true)
        let first = collect(loader, epoch: 0), second = collect(loader, epoch: 1)
        #expect(first.flatMap { $0 }.sorted() == Array(0..<10))
        #expect(first != second)
        #expect(collect(DataLoader(dataset, batchSize: 3, shuffle: true, seed: 7), epoch: 1) == second)
        #expect(collect(DataLoader(dataset, batchSize: 3, shuffle: true, seed: 8), epoch: 1) != second)
        #expect(collect(loader, epoch: 1, from: 2) == Array(second[2...]))
        let serial = DataLoader(dataset, batchSize: 3, shuffle: true, seed: 7, prefetch: false)
        #expect(collect(serial, epoch: 1) == second)
    }

    /// Left to itself, a loader prefetches only batches that take work to assemble.
    @Test func prefetchesWhenAssemblingIsWork() {
        let plain = DataLoader(dataset, batchSize: 3)
        #expect(!plain.prefetches && DataLoader(dataset, batchSize: 3, prefetch: true).prefetches)
        #expect(DataLoader(dataset, batchSize: 3, transform: { x, _ in x }).prefetches)
        #expect(!DataLoader(dataset, batchSize: 3, transform: { x, _ in x }, prefetch: false).prefetches)
        plain.device = .cuda(0)
        #expect(plain.prefetches)
    }

    @Test func transformsAreDeterministicPerBatch() {
        let images = TensorDataset(inputs: Tensor.uniform([8, 1, 4, 4]), targets: Tensor(Array(0..<8)))
        let augment = Transforms.compose([Transforms.randomCrop(padding: 1), Transforms.horizontalFlip(), Transforms.additiveNoise(std: 0.1)])
        let a = DataLoader(images, batchSize: 4, seed: 3, transform: augment, prefetch: true)
        let b = DataLoader(images, batchSize: 4, seed: 3, transform: augment, prefetch: false)
        let first = a.batches(epoch: 2).map { $0.inputs.toArray(Float.self) }
        #expect(first == b.batches(epoch: 2).map { $0.inputs.toArray(Float.self) })
        #expect(first != a.batches(epoch: 3).map { $0.inputs.toArray(Float.self) })
    }

    @Test func imageTransforms() {
        let image = Tensor.arange(0, 6).reshaped([1, 1, 2, 3])
        #expect(Transforms.horizontalFlip(p: 1)(image, RandomGenerator(seed: 1)).toArray(Float.self) == [2, 1, 0, 5, 4, 3])
        #expect(Transforms.randomCrop(padding: 0)(image, RandomGenerator(seed: 1)).toArray(Float.self) == image.toArray(Float.self))
        let cropped = Transforms.randomCrop(padding: 2)(Tensor.ones([6, 1, 3, 3]), RandomGenerator(seed: 2))
        #expect(cropped.shape == [6, 1, 3, 3] && cropped.sum().item() < 54)
        #expect(Transforms.normalize(mean: 1, std: 2)(image, RandomGenerator(seed: 1)).toArray(Float.self) == [-0.5, 0, 0.5, 1, 1.5, 2])
    }

    @Test func fashionMNISTLoadsWhenInstalled() throws {
        let train = try FashionMNIST.load(.test)
        #expect(train.inputs.shape == [10_000, 1, 28, 28] && train.targets.shape == [10_000])
        #expect(train.targets[..<10].toArray(Int.self) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        #expect(train.inputs.max().item() == 1 && train.inputs.min().item() == 0)
    }
}
