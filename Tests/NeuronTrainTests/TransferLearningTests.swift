import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import Testing

@Suite struct TransferLearningTests {
    @Test func namePatterns() {
        let pattern = NamePattern("encoder.layer.[0-3].*")
        #expect(pattern.matches("encoder.layer.0.attention.self.query.weight") && pattern.matches("encoder.layer.3.output.dense.bias"))
        #expect(!pattern.matches("encoder.layer.4.output.dense.bias") && !pattern.matches("embeddings.word_embeddings.weight"))
        #expect(NamePattern("*.bias").matches("layers.7.bias") && !NamePattern("*.bias").matches("layers.7.weight"))
        #expect(NamePattern("layers.?.weight").matches("layers.3.weight") && !NamePattern("layers.?.weight").matches("layers.10.weight"))
        #expect(NamePattern("[abc]x").matches("bx") && !NamePattern("[abc]x").matches("dx"))
    }

    /// Frozen weights stay bit-identical through training steps while the rest moves; the
    /// frozen backbone's batch norm keeps its running statistics in training mode.
    @Test func frozenWeightsStayBitIdentical() throws {
        let model = ResNet20(generator: RandomGenerator(seed: 1))
        let frozen = model.freeze(matching: ["conv1.*", "bn1.*", "layer1.*"])
        #expect(frozen.count == 1 + 2 + 3 * 6 && frozen.allSatisfy { $0.hasPrefix("conv1.") || $0.hasPrefix("bn1.") || $0.hasPrefix("layer1.") })
        let before = model.stateDict().mapValues { $0.copy() }
        let images = Tensor.normal([16, 1, 28, 28], generator: RandomGenerator(seed: 2))
        let data = TensorDataset(inputs: images, targets: Tensor((0..<16).map { $0 % 10 }))
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-2), loss: { crossEntropy($0, $1) })
        #expect(try trainer.fit(train: DataLoader(data, batchSize: 8), epochs: 2) == .completed)
        let after = model.stateDict()
        for (name, tensor) in before {
            let same = tensor.to(.float64).toArray(Double.self) == after[name]!.to(.float64).toArray(Double.self)
            let inFrozenPart = name.hasPrefix("conv1.") || name.hasPrefix("bn1.") || name.hasPrefix("layer1.")
            if inFrozenPart { #expect(same, "\(name) changed though frozen") }
            if name.hasSuffix("weight") && !inFrozenPart { #expect(!same, "\(name) did not train") }
        }
        let unfrozen = model.unfreeze(matching: ["conv1.*"])
        #expect(unfrozen == ["conv1.weight"] && model.parameters().filter { !$0.requiresGrad }.count > 0)
    }

    @Test func layerwiseDecayGivesGeometricRates() {
        let named =
            (0..<4).map { ("encoder.layer.\($0).weight", Tensor.zeros([2]).requiringGrad()) }
            + [
                ("embeddings.weight", Tensor.zeros([2]).requiringGrad()), ("head.weight", Tensor.zeros([2]).requiringGrad()),
                ("frozen.weight", Tensor.zeros([2])),
            ]
        func depth(_ name: String) -> Int {
            if name.hasPrefix("embeddings") { return 0 }
            if name.hasPrefix("encoder.layer.") { return Int(name.split(separator: ".")[2])! + 1 }
            return 5
        }
        let groups = ParameterGroup.layerwise(named, learningRate: 1e-3, decay: 0.5, maxDepth: 5, depth: depth, options: [.weightDecay: 0.01])
        #expect(groups.count == 6)
        for (d, group) in groups.enumerated() {
            #expect(Swift.abs(group.options[.lr]! - 1e-3 * pow(0.5, Double(5 - d))) < 1e-15)
            #expect(group.options[.weightDecay] == 0.01 && group.parameters.count == 1)
        }
        let optimizer = AdamW(groups, lr: 1e-3)
        #expect(optimizer.parameterGroups.map { $0.learningRate } == (0...5).map { 1e-3 * pow(0.5, Double(5 - $0)) })
    }

    @Test func gradualUnfreezingThawsOnSchedule() throws {
        let model = MLP(inputs: 4, hidden: [8, 8], outputs: 2, generator: RandomGenerator(seed: 3))
        model.freeze(matching: ["*"])
        let thaw = GradualUnfreezing(model: model, schedule: [0: ["5.*"], 1: ["3.*"], 2: ["1.*"]])
        final class Trainable: Callback {
            var counts: [Int] = []
            let model: Module
            init(_ model: Module) { self.model = model }
            func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws { counts.append(model.parameters().filter(\.requiresGrad).count) }
        }
        let probe = Trainable(model)
        let data = TensorDataset(inputs: Tensor.normal([8, 4]), targets: Tensor([0, 1, 0, 1, 0, 1, 0, 1]))
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-2), loss: { crossEntropy($0, $1) }, callbacks: [thaw, probe])
        #expect(try trainer.fit(train: DataLoader(data, batchSize: 4), epochs: 3) == .completed)
        #expect(probe.counts == [2, 4, 6])
        #expect(thaw.unfrozen == ["5.weight", "5.bias", "3.weight", "3.bias", "1.weight", "1.bias"])
    }

    @Test func digitsReader() throws {
        let digits = try Digits.load()
        #expect(digits.inputs.shape == [1797, 1, 8, 8] && digits.targets.shape == [1797])
        #expect(digits.inputs.max().item() == 1 && digits.inputs.min().item() == 0)
        let resized = Digits.resize(digits.inputs[..<2], to: 28)
        #expect(resized.shape == [2, 1, 28, 28])
        // Bilinear with half-pixel centres keeps a constant image constant and the mean close.
        #expect((Digits.resize(Tensor.ones([1, 1, 8, 8]), to: 28) - 1).abs().max().item() < 1e-6)
        let folder = NSTemporaryDirectory() + "neuron-digits-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let good = Array(repeating: "0", count: 64).joined(separator: ",")
        for (name, text, message) in [
            ("short.csv", "1,2,3\n", "row 1 has 3 fields"), ("pixel.csv", good + ",3\n" + good.dropLast() + "x,1\n", "row 2: pixel 'x'"),
            ("label.csv", good + ",12\n", "row 1: label '12'"),
        ] {
            try Array(text.utf8).withUnsafeBytes { try writeFileAtomically("\(folder)/\(name)", [$0]) }
            #expect { try Digits.load(path: "\(folder)/\(name)") } throws: { "\($0)".contains(message) && !"\($0)".contains("\n") }
        }
    }
}

@Suite struct FortuneTopicsTests {
    @Test func readsEntriesSkipsAndCounts() throws {
        let folder = NSTemporaryDirectory() + "neuron-fortunes-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // No final %, an empty entry, an entry with invalid UTF-8, CRLF line ends.
        let a: [UInt8] =
            Array("first entry\non two lines\n%\n%\nsecond\r\n%\r\n".utf8) + [0xFF, 0xFE, 0x0A] + Array("%\nlast without a final percent\n".utf8)
        try a.withUnsafeBytes { try writeFileAtomically(folder + "/alpha", [$0]) }
        try Array("one\n%\ntwo\n%\n".utf8).withUnsafeBytes { try writeFileAtomically(folder + "/beta", [$0]) }
        let topics = try FortuneTopics(directory: folder, categories: ["alpha", "beta"])
        #expect(topics.texts == ["first entry on two lines", "second", "last without a final percent", "one", "two"])
        #expect(topics.labels == [0, 0, 0, 1, 1] && topics.skippedEmpty == 1 && topics.skippedInvalid == 1)
        #expect { try FortuneTopics(directory: folder, categories: ["alpha", "gamma"]) } throws: { "\($0)".contains("gamma: no such topic file") }
    }

    @Test func debianTopicsSplitStratified() throws {
        let topics = try FortuneTopics()
        #expect(topics.categories.count == 8 && topics.texts.count > 2000)
        let (train, test) = topics.split(seed: 0)
        #expect(Set(train).isDisjoint(with: test) && train.count + test.count == topics.texts.count)
        for c in 0..<8 {
            let total = topics.labels.filter { $0 == c }.count, inTest = test.filter { topics.labels[$0] == c }.count
            #expect(inTest == Int((Double(total) * 0.2).rounded()), "class \(c)")
        }
        #expect(topics.split(seed: 0).test == test && topics.split(seed: 1).test != test)
        let ten = labelsPerClass(train, labels: topics.labels, classes: 8, perClass: 10, seed: 3)
        #expect(ten.count == 80 && Set(ten).isSubset(of: train))
    }
}
