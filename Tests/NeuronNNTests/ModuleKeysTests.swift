import Neuron
import Testing

@testable import NeuronNN

/// A block named as Hugging Face's BERT names it (`attention.output.LayerNorm.weight`).
final class AttentionOutput: Module, Layer {
    let dense = Linear(4, 4)
    @ModuleInfo(key: "LayerNorm") var layerNorm = LayerNorm([4])
    func forward(_ input: Tensor) -> Tensor { layerNorm(dense(input) + input) }
}

final class EncoderLayer: Module, Layer {
    let attentionOutput = AttentionOutput()
    @ParameterInfo(key: "gamma") var scale = Tensor.ones([4])
    @Buffer(key: "position_ids") var positions = Tensor.zeros([1, 4])
    func forward(_ input: Tensor) -> Tensor { attentionOutput(input) * scale }
}

final class TinyEncoder: Module, Layer {
    @ModuleInfo(key: "layer") var layers = [EncoderLayer(), EncoderLayer()]
    @ModuleInfo var head: any Layer = Linear(4, 2)
    func forward(_ input: Tensor) -> Tensor { head(layers.reduce(input) { $1($0) }) }
}

@Suite struct ModuleKeysTests {
    @Test func keysOverridePropertyNames() {
        let model = TinyEncoder()
        let names = model.stateDictNames()
        #expect(names.contains("layer.0.attention_output.LayerNorm.weight"))
        #expect(names.contains("layer.1.gamma") && names.contains("layer.1.position_ids"))
        #expect(names.contains("head.weight"))
        #expect(!names.contains { $0.contains("layer_norm") || $0.contains("layers.") })
    }

    @Test func hubStyleStateDictLoadsThroughARemapWithAReport() throws {
        let source = TinyEncoder(), target = TinyEncoder()
        var file: StateDict = [:]
        for (name, tensor) in source.stateDict() where !name.hasPrefix("head.") { file["bert.encoder." + name] = tensor }
        file["bert.pooler.dense.weight"] = Tensor.zeros([4, 4])
        file["bert.encoder.layer.1.gamma"] = Tensor.zeros([5])
        let report = try target.load(stateDict: file, strict: false, remap: [.stripPrefix("bert."), .replacePrefix("encoder.", with: "")])
        #expect(report.missing == ["head.weight", "head.bias"])
        #expect(report.unexpected == ["pooler.dense.weight"])
        #expect(report.mismatched == [.init(name: "layer.1.gamma", expected: [4], found: [5])])
        #expect(report.description.contains("mis-shaped: layer.1.gamma (model [4], file [5])"))
        let sourceState = source.stateDict(), targetState = target.stateDict()
        for name in report.loaded {
            #expect(sourceState[name]!.toArray(Float.self) == targetState[name]!.toArray(Float.self), "\(name)")
        }
        #expect(report.loaded.count == targetState.count - 3)
        // Strict loading refuses the same file before copying anything.
        #expect(throws: StateDictError.self) { try TinyEncoder().load(stateDict: file, remap: [.stripPrefix("bert.encoder.")]) }
        // Keep only a backbone's keys.
        let kept = KeyRemap.apply([.keepPrefix("bert.encoder."), .stripPrefix("bert.encoder.")], to: file)
        #expect(kept.keys.allSatisfy { $0.hasPrefix("layer.") })
    }

    @Test func replacingAHeadChangesTheParameters() {
        let model = TinyEncoder()
        let old = model.parameters().count
        let oldHead = model.head
        model.head = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
        let parameters = model.parameters()
        #expect(parameters.count == old + 2)
        #expect(!parameters.contains { $0 === (oldHead as! Linear).weight })
        #expect(model.namedParameters().map { $0.0 }.contains("head.2.weight"))
        #expect(model(Tensor.normal([5, 4])).shape == [5, 3])
        let sequential = Sequential(Linear(4, 4), ReLU(), Linear(4, 2))
        sequential[2] = Linear(4, 7)
        #expect(sequential.namedParameters().first { $0.0 == "2.weight" }?.1.shape == [7, 4])
        #expect(sequential(Tensor.normal([1, 4])).shape == [1, 7])
    }

    @Test func aParameterFrozenBeforeDiscoveryStaysFrozen() {
        let model = TinyEncoder()
        let frozen = model.layers[0].attentionOutput.dense.weight
        frozen.requiresGrad = false
        model.layers[1].scale.requiresGrad = false
        let parameters = model.parameters()
        #expect(!frozen.requiresGrad && !model.layers[1].scale.requiresGrad)
        #expect(parameters.filter { !$0.requiresGrad }.count == 2)
        #expect(model.layers[0].scale.requiresGrad)
        // Discovering again changes nothing.
        _ = model.namedParameters()
        #expect(!frozen.requiresGrad)
    }

    @Test func generatorsAreDiscoveredOnce() {
        let shared = RandomGenerator(seed: 3)
        let model = Sequential(
            Linear(2, 2), Dropout(0.1, generator: shared), Dropout(0.2, generator: shared),
            Dropout(0.3, generator: RandomGenerator(seed: 4)))
        #expect(model.namedGenerators().map { $0.0 } == ["1.generator", "3.generator"])
    }
}
