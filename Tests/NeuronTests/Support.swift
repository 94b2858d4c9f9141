import Foundation
import NeuronData
import Testing

@testable import Neuron

/// Reads the PyTorch-produced fixtures (safetensors) next to the tests.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let ops: [String: Tensor] = load("ops.safetensors")

    static func load(_ name: String) -> [String: Tensor] {
        try! SafeTensors.read(directory.appendingPathComponent(name).path).tensors
    }

    static func tensor(_ name: String) -> Tensor {
        guard let t = ops[name] else { fatalError("fixture \(name) missing") }
        return t
    }
}

/// Asserts two tensors have the same shape and values within atol + rtol·|expected|.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
    _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.toArray(Double.self), e = expected.toArray(Double.self)
    var worst = 0.0, at = -1
    for i in a.indices {
        let excess = abs(a[i] - e[i]) - (atol + rtol * abs(e[i]))
        if excess > worst || (a[i].isNaN != e[i].isNaN) {
            worst = max(excess, worst)
            at = i
        }
    }
    #expect(at < 0, "\(what): element \(at) is \(at >= 0 ? a[at] : 0), expected \(at >= 0 ? e[at] : 0)", sourceLocation: sourceLocation)
}

/// Asserts a gradient check passes.
func expectGradients(
    _ inputs: [Tensor], secondOrder: Bool = false, _ what: String = "",
    sourceLocation: SourceLocation = #_sourceLocation, _ function: @escaping ([Tensor]) -> Tensor
) {
    let failure = GradientCheck.check(inputs, function)
    #expect(failure == nil, "\(what): \(failure.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
    if secondOrder {
        let second = GradientCheck.checkSecondOrder(inputs, function)
        #expect(second == nil, "\(what): \(second.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
    }
}

/// Random Float64 inputs for gradient checks.
func randomInput(_ shape: [Int], seed: UInt64 = 1, low: Double = -2, high: Double = 2) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, dtype: .float64, generator: RandomGenerator(seed: seed))
}
