import Foundation
import Neuron
import NeuronData
import Testing

/// PyTorch-produced fixtures for the nn library; see Fixtures/nn_cases.md.
enum NNFixtures {
    static let all: [String: Tensor] = load("nn.safetensors")

    /// The tensors of one fixture file in Fixtures/.
    static func load(_ file: String) -> [String: Tensor] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + file).path
        return try! SafeTensors.read(path).tensors
    }

    static func f(_ name: String) -> Tensor { all.fixture(name) }
}

extension Dictionary where Key == String, Value == Tensor {
    /// The fixture tensor `name`; stops the run when a fixture file lacks it.
    func fixture(_ name: String) -> Tensor {
        guard let t = self[name] else { fatalError("fixture \(name) missing") }
        return t
    }
}

func expectClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-10, atol: Double = 1e-12,
    _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.toArray(Double.self), e = expected.toArray(Double.self)
    let bad = a.indices.first { abs(a[$0] - e[$0]) > atol + rtol * abs(e[$0]) || a[$0].isNaN != e[$0].isNaN }
    #expect(
        bad == nil, "\(what): element \(bad ?? -1) is \(bad.map { a[$0] } ?? 0), expected \(bad.map { e[$0] } ?? 0)",
        sourceLocation: sourceLocation)
}

func expectGradients(
    _ inputs: [Tensor], _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ function: @escaping ([Tensor]) -> Tensor
) {
    let failure = GradientCheck.check(inputs, function)
    #expect(failure == nil, "\(what): \(failure.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
}

func randomInput(_ shape: [Int], seed: UInt64 = 1, low: Double = -2, high: Double = 2) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, dtype: .float64, generator: RandomGenerator(seed: seed))
}
