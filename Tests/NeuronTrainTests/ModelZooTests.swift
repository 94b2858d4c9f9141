import Neuron
import NeuronData
import NeuronNN
import Testing

@testable import NeuronModels

@Suite struct ModelZooTests {
    @Test func lenetHasPyTorchsNamesAndShapes() {
        let model = LeNet5()
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.shape) })
        #expect(
            shapes == [
                "0.weight": [6, 1, 5, 5], "0.bias": [6], "3.weight": [16, 6, 5, 5], "3.bias": [16],
                "7.weight": [120, 400], "7.bias": [120], "9.weight": [84, 120], "9.bias": [84],
                "11.weight": [10, 84], "11.bias": [10],
            ])
        #expect(model(Tensor.normal([2, 1, 28, 28])).shape == [2, 10])
    }

    @Test func resnet20HasPyTorchsNamesAndShapes() {
        let model = ResNet20()
        let parameters = model.namedParameters()
        #expect(parameters.reduce(0) { $0 + $1.1.count } == 272_186)
        let names = Set(model.stateDictNames())
        for name in [
            "conv1.weight", "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.2.bn2.bias",
            "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.running_mean", "layer3.0.shortcut.1.weight",
            "layer3.2.conv2.weight", "fc.weight", "fc.bias",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(!names.contains("layer1.0.shortcut.0.weight"))
        #expect(model.stateDict()["layer3.0.conv1.weight"]!.shape == [64, 32, 3, 3])
        model.eval()
        #expect(model(Tensor.normal([2, 1, 28, 28])).shape == [2, 10])
    }

    @Test func sequenceModelsHavePyTorchsNamesAndShapes() {
        let rows = RowLSTM()
        #expect(rows.stateDictNames() == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"])
        #expect(rows(Tensor.normal([3, 1, 28, 28])).shape == [3, 10])
        // The forget gate's input bias starts near 1 (PyTorch's U(−1/√128, 1/√128), plus 1).
        let forget = rows.lstm.parameter("bias_ih_l0")![128..<256].toArray(Double.self)
        #expect(forget.allSatisfy { $0 > 0.9 && $0 < 1.1 })
        let language = CharLSTM(vocabularySize: 30, hiddenSize: 16, layers: 2)
        #expect(language(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])).shape == [2, 3, 30])
        #expect(language.state?.h.shape == [2, 2, 16])
        language.eval()
        #expect(language(Tensor([1, 2], shape: [1, 2])).shape == [1, 2, 30])
        #expect(Forecaster()(Tensor.normal([4, 12])).shape == [4, 1])
    }

    @Test func everyZooModelBuilds() {
        for name in ModelRegistry.names(in: [.classifier]) { #expect((try? ModelRegistry.network(name)) != nil, "\(name)") }
        #expect(throws: DataError.self) { try ModelRegistry.network("nope") }
    }

    /// `classes` sizes every zoo model's head, and a saved model's "classes" rebuilds it.
    @Test func zooModelsTakeAClassCount() throws {
        for name in ModelRegistry.names(in: [.classifier]) {
            let model = try ModelRegistry.network(name, ["classes": "5"])
            #expect(model(Tensor.normal([2, 1, 28, 28])).shape == [2, 5], "\(name)")
            let rebuilt = try SavedModel.make(metadata: ["model": name, "classes": "5"])
            #expect(rebuilt.stateDict().mapValues(\.shape) == model.stateDict().mapValues(\.shape), "\(name)")
        }
        #expect(throws: DataError.self) { try SavedModel.make(metadata: ["model": "lenet", "classes": "0"]) }
    }
}
