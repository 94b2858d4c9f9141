import Foundation
import Testing

@testable import Neuron
@testable import NeuronNN

/// `module.to(device)` and training on a device other than the CPU, on the simulated device
/// (memory the host cannot read, every op through the backend contract).
struct DeviceMoveTests {
    func mlp(seed: UInt64) -> Sequential {
        let generator = RandomGenerator(seed: seed)
        return Sequential(
            Linear(12, 16, generator: generator), ReLU(), Linear(16, 3, generator: generator))
    }

    @Test func modulesMoveInPlaceAndOptimiserStateFollows() {
        let model = mlp(seed: 1).to(.cpu)
        let parameters = model.parameters()
        let optimizer = Adam(parameters, lr: 1e-2)
        let x = Tensor.normal([8, 12], device: .cpu, generator: RandomGenerator(seed: 2))
        crossEntropy(model(x), Tensor([0, 1, 2, 0, 1, 2, 0, 1], device: .cpu)).backward()
        optimizer.step()
        #expect(optimizer.state[0]?["exp_avg"]?.device == .cpu)
        model.to(.simulated)
        #expect(model.device == .simulated)
        #expect(zip(parameters, model.parameters()).allSatisfy { $0 === $1 && $0.device == .simulated })
        #expect(parameters.allSatisfy { $0.grad?.device == .simulated })
        optimizer.zeroGrad()
        crossEntropy(model(x.to(.simulated)), Tensor([0, 1, 2, 0, 1, 2, 0, 1], device: .simulated)).backward()
        optimizer.step()
        #expect(optimizer.state[0]?["exp_avg"]?.device == .simulated)
        #expect(model.stateDict().values.allSatisfy { $0.device == .simulated })
    }

    /// The same steps on the CPU and on the simulated device give the same weights, for Adam
    /// and for SGD with momentum (both fused updates).
    @Test(arguments: ["adam", "sgd"]) func trainingOnAnotherDeviceMatchesTheCPU(_ name: String) {
        func train(_ device: Device) -> [Float] {
            let model = mlp(seed: 3).to(device)
            let optimizer: Optimizer =
                name == "adam" ? Adam(model.parameters(), lr: 1e-2) : SGD(model.parameters(), lr: 0.1, momentum: 0.9, nesterov: true)
            let generator = RandomGenerator(seed: 4)
            for _ in 0..<5 {
                let x = Tensor.normal([16, 12], device: .cpu, generator: generator).to(device)
                let y = Tensor((0..<16).map { $0 % 3 }, device: .cpu).to(device)
                optimizer.zeroGrad()
                crossEntropy(model(x), y).backward()
                optimizer.step()
            }
            return model.parameters().flatMap { $0.to(.cpu).toArray(Float.self) }
        }
        #expect(train(.simulated) == train(.cpu))
    }

    @Test func stateDictsLoadAcrossDevices() throws {
        let source = mlp(seed: 5), target = mlp(seed: 6).to(.simulated)
        try target.load(stateDict: source.stateDict())
        #expect(target.device == .simulated)
        #expect(target.parameters().map { $0.to(.cpu).toArray(Float.self) } == source.parameters().map { $0.toArray(Float.self) })
    }
}
