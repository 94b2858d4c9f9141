import Glibc
import Neuron
import Testing

@testable import NeuronNN

@Suite struct VariationalLossTests {
    @Test func klMatchesItsFormulaAndPassesGradientChecks() {
        let mean = randomInput([3, 4], seed: 1), logVariance = randomInput([3, 4], seed: 2, low: -1, high: 1)
        let kl = gaussianKLDivergence(mean: mean, logVariance: logVariance)
        let m = mean.toArray(Double.self), v = logVariance.toArray(Double.self)
        for row in 0..<3 {
            let expected = (0..<4).map { i -> Double in
                let k = row * 4 + i
                return 0.5 * (m[k] * m[k] + Glibc.exp(v[k]) - 1 - v[k])
            }.reduce(0, +)
            #expect(abs(kl.toArray(Double.self)[row] - expected) < 1e-12)
        }
        #expect(
            gaussianKLDivergence(mean: Tensor.zeros([2, 3], dtype: .float64), logVariance: Tensor.zeros([2, 3], dtype: .float64))
                .toArray(Double.self) == [0, 0])
        expectGradients([mean, logVariance], "KL") { gaussianKLDivergence(mean: $0[0], logVariance: $0[1]) }
    }

    @Test func reparameterisedSamplingWithFixedNoisePassesGradientChecks() {
        let noise = randomInput([3, 4], seed: 3)
        let mean = randomInput([3, 4], seed: 4), logVariance = randomInput([3, 4], seed: 5, low: -1, high: 1)
        let z = reparameterize(mean: mean, logVariance: logVariance, noise: noise)
        let expected = mean + (logVariance / 2).exp() * noise
        #expect((z - expected).abs().max().item() < 1e-12)
        expectGradients([mean, logVariance], "reparameterize") { reparameterize(mean: $0[0], logVariance: $0[1], noise: noise) }
        expectGradients([noise, mean, logVariance], "log density") { gaussianLogDensity($0[0], mean: $0[1], logVariance: $0[2]) }
        // The standard normal's log density at 0 in 4 dimensions: −2 log 2π.
        let origin = gaussianLogDensity(
            Tensor.zeros([1, 4], dtype: .float64), mean: Tensor.zeros([1, 4], dtype: .float64),
            logVariance: Tensor.zeros([1, 4], dtype: .float64))
        #expect(abs(origin.item() + 2 * 1.8378770664093453) < 1e-12)
    }
}
