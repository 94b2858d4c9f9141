import Neuron
import Testing

@testable import NeuronNN

final class Block: Module, Layer {
    let encoder = Sequential(Linear(4, 3), ReLU())
    let heads = [Linear(3, 2), Linear(3, 1, bias: false)]
    @Buffer var runningMean = Tensor.zeros([3])
    let scale = Tensor.ones([1])

    func forward(_ input: Tensor) -> Tensor {
        let hidden = encoder(input) - runningMean
        return Tensor.concat(heads.map { $0(hidden) }, axis: 1) * scale
    }
}

@Suite struct ModuleTests {
    @Test func namesFollowPyTorchConventions() {
        let block = Block()
        #expect(
            block.namedParameters().map { $0.0 } == [
                "scale", "encoder.0.weight", "encoder.0.bias",
                "heads.0.weight", "heads.0.bias", "heads.1.weight",
            ])
        #expect(block.namedBuffers().map { $0.0 } == ["running_mean"])
        #expect(block.parameters().allSatisfy { $0.requiresGrad })
        #expect(!block.runningMean.requiresGrad)
        #expect(snakeCase("weightIhL0Reverse") == "weight_ih_l0_reverse")
        #expect(block.modules().count == 6)
    }

    @Test func stateDictRoundTrip() throws {
        let source = Block(), target = Block()
        noGrad { source.runningMean.assign(Tensor([1, 2, 3] as [Float])) }
        let report = try target.load(stateDict: source.stateDict())
        #expect(report.isComplete && report.loaded.count == 7)
        let x = Tensor.normal([2, 4])
        #expect(target(x).toArray(Float.self) == source(x).toArray(Float.self))
        #expect(target.runningMean.toArray(Float.self) == [1, 2, 3])
    }

    @Test func strictLoadReportsEveryProblem() {
        var state = Block().stateDict()
        state["heads.0.bias"] = nil
        state["extra.weight"] = Tensor.zeros([1])
        state["encoder.0.weight"] = Tensor.zeros([4, 4])
        let target = Block()
        let before = target.heads[1].weight.toArray(Float.self)
        do {
            try target.load(stateDict: state)
            Issue.record("strict load accepted a mismatched state dict")
        } catch let error as StateDictError {
            #expect(error.report.missing == ["heads.0.bias"])
            #expect(error.report.unexpected == ["extra.weight"])
            #expect(error.report.mismatched == [.init(name: "encoder.0.weight", expected: [3, 4], found: [4, 4])])
            #expect("\(error)".contains("encoder.0.weight: expected shape [3, 4], found [4, 4]"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(target.heads[1].weight.toArray(Float.self) == before)
        let report = try? target.load(stateDict: state, strict: false)
        #expect(report?.loaded.count == 5)
        #expect(target.heads[1].weight.toArray(Float.self) == state["heads.1.weight"]!.toArray(Float.self))
    }

    @Test func trainAndEvalReachEverySubmodule() {
        let model = Sequential(Linear(2, 2), Dropout(0.5), Sequential(Dropout(0.1)))
        model.eval()
        #expect(model.modules().allSatisfy { !$0.isTraining })
        model.train()
        #expect(model.modules().allSatisfy { $0.isTraining })
    }

    @Test func initialisersFollowTheirDefinitions() {
        let generator = RandomGenerator(seed: 4)
        let w = Tensor.zeros([200, 300])
        Init.xavierUniform(w, generator: generator)
        #expect(abs(w.std().item() - (2.0 / 500).squareRoot()) < 0.002)
        Init.xavierNormal(w, gain: 2, generator: generator)
        #expect(abs(w.std().item() - 2 * (2.0 / 500).squareRoot()) < 0.003)
        Init.kaimingNormal(w, nonlinearity: .relu, generator: generator)
        #expect(abs(w.std().item() - (2.0 / 300).squareRoot()) < 0.002)
        Init.kaimingUniform(w, mode: .fanOut, nonlinearity: .relu, generator: generator)
        #expect(abs(w.abs().max().item() - (6.0 / 200).squareRoot()) < 0.002)
        let conv = Tensor.zeros([8, 4, 3, 3])
        #expect(Init.fans(conv) == (36, 72))
        #expect(abs(Init.gain(.leakyRelu(negativeSlope: 0.2)) - (2 / 1.04).squareRoot()) < 1e-12)
        for shape in [[6, 4], [3, 7]] {
            let q = Tensor.zeros(shape, dtype: .float64)
            Init.orthogonal(q, gain: 1.5, generator: generator)
            let gram = shape[0] >= shape[1] ? q.T.matmul(q) : q.matmul(q.T)
            expectClose(gram, Tensor.eye(min(shape[0], shape[1]), dtype: .float64) * 2.25, rtol: 1e-9, atol: 1e-9, "orthogonal \(shape)")
        }
        Init.constant(w, 0.5)
        #expect(w.mean().item() == 0.5)
    }

    @Test func mlpTrainingStepHasNoHeapGrowth() async {
        // A child process, so other tests' tensors do not move the process-wide count.
        await #expect(processExitsWith: .success) {
            let generator = RandomGenerator(seed: 1)
            let model = Sequential(
                Linear(784, 256, generator: generator), ReLU(), Linear(256, 128, generator: generator),
                ReLU(), Linear(128, 10, generator: generator))
            let optimizer = Adam(model.parameters(), lr: 1e-3)
            let images = Tensor.uniform([64, 784], generator: generator)
            let labels = Tensor.randint(0, 10, [64], generator: generator)
            func step() -> Double {
                optimizer.zeroGrad()
                let loss = crossEntropy(model(images), labels)
                loss.backward()
                optimizer.step()
                return loss.item()
            }
            let first = step()
            for _ in 0..<20 { _ = step() }
            let baseline = Memory.liveBytes
            var last = first
            for _ in 0..<1_000 { last = step() }
            precondition(Memory.liveBytes == baseline, "live bytes grew from \(baseline) to \(Memory.liveBytes)")
            precondition(last < first * 0.1, "loss did not fall on a memorised batch: \(first) -> \(last)")
        }
    }
}
