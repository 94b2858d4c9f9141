import Neuron
import NeuronTrain
import Testing

@Suite struct EmbeddingTests {
    @Test func pcaFindsTheDirectionsOfLargestVariance() {
        // Points stretched 10× along (1, 1, 0)/√2 and 3× along (0, 0, 1), 0.1× along the rest.
        let generator = RandomGenerator(seed: 1)
        let latent = Tensor.normal([2000, 3], dtype: .float64, generator: generator) * Tensor([10, 3, 0.1], dtype: .float64)
        let r = 0.5.squareRoot()
        let rotation = Tensor([r, r, 0, 0, 0, 1, r, -r, 0], shape: [3, 3], dtype: .float64)
        let data = latent.matmul(rotation) + Tensor([5, -2, 1], dtype: .float64)
        let pca = PCA(data, components: 2)
        let first = pca.components[0].toArray(Double.self), second = pca.components[1].toArray(Double.self)
        #expect(abs(abs(first[0]) - r) < 1e-2 && abs(abs(first[1]) - r) < 1e-2 && abs(first[2]) < 1e-2)
        #expect(abs(abs(second[2]) - 1) < 1e-3)
        #expect((pca.mean - Tensor([5, -2, 1], dtype: .float64)).abs().max().item() < 0.8)
        let projected = pca.project(data)
        #expect(projected.shape == [2000, 2])
        // Projections are uncorrelated, with the variances along the two axes.
        let variance = (projected - projected.mean(axis: 0)).square().mean(axis: 0).toArray(Double.self)
        #expect(abs(variance[0] / 100 - 1) < 0.1 && abs(variance[1] / 9 - 1) < 0.1)
    }

    @Test func nearestNeighboursVote() {
        let train = Tensor([0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10], shape: [6, 2])
        let labels = [0, 0, 0, 1, 1, 1]
        let test = Tensor([0.2, 0.3, 10.5, 10.2, 5.4, 5.4], shape: [3, 2])
        // (5.4, 5.4): its nearest point is of class 1, but two of its three nearest are of class 0.
        #expect(nearestNeighbourAccuracy(train: train, trainLabels: labels, test: test, testLabels: [0, 1, 0], k: 3) == 1)
        #expect(nearestNeighbourAccuracy(train: train, trainLabels: labels, test: test, testLabels: [0, 1, 0], k: 1) == 2.0 / 3.0)
    }
}
