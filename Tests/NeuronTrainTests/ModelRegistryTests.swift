import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import Testing

@Suite struct ModelRegistryTests {
    /// Every entry builds with its defaults (and, for a language model, a vocabulary), takes its
    /// example input, and a file's metadata with the same values rebuilds the same state-dict
    /// shapes.
    @Test func everyEntryBuildsAndRebuildsFromMetadata() throws {
        for entry in ModelRegistry.builtIn {
            let config = entry.completed(ModelConfig(model: entry.name, values: entry.summaryValues))
            switch try entry.build(config, RandomGenerator(seed: 1)) {
            case .network(let model):
                let output = noGrad { model(try! entry.exampleInput(config, 2)) }
                #expect(output.shape.first == 2, "\(entry.name)")
                let rebuilt = try SavedModel.make(
                    metadata: config.values.merging(["model": entry.name]) { a, _ in a }, generator: RandomGenerator(seed: 2))
                #expect(rebuilt.stateDict().mapValues(\.shape) == model.stateDict().mapValues(\.shape), "\(entry.name)")
            case .adversarial(let generator, let discriminator):
                #expect(entry.family == .gan)
                let labels = generator.classCount.map { _ in Tensor([1, 2]) }
                let images = noGrad { generator.generate(Tensor.normal([2, generator.latentSize]), labels: labels) }
                #expect(noGrad { discriminator.score(images, labels: labels) }.shape == [2, 1], "\(entry.name)")
            }
        }
    }

    @Test func namesAreUniqueAndFamiliesListTheirModels() {
        let names = ModelRegistry.names()
        #expect(Set(names).count == names.count)
        #expect(ModelRegistry.names(in: [.classifier]).starts(with: ["mlp", "lenet", "resnet20", "lstm"]))
        #expect(ModelRegistry.names(in: [.variationalAutoencoder]) == ["vae", "conv-vae"])
        #expect(ModelRegistry.names(in: [.gan]) == ["gan", "dcgan", "cgan", "wgan-gp"])
    }

    @Test func unknownNamesListTheChoices() {
        #expect {
            try ModelRegistry.lookup("vgg")
        } throws: { error in
            "\(error)".hasPrefix("unknown model 'vgg' (known: mlp, lenet, resnet20, lstm")
        }
        #expect(throws: DataError.self) { try ModelRegistry.network("gan") }  // a pair, not one network
        #expect(throws: DataError.self) { try ModelRegistry.adversarialPair("mlp") }
    }

    /// A model registered at run time is known to every lookup, `SavedModel` included.
    @Test func registeredModelsRebuildFromTheirFiles() throws {
        ModelRegistry.register(
            .classifier("registry-test-mlp", "784-16-10 perceptron", learningRate: 1e-3) { classes, generator in
                MLP(hidden: [16], outputs: classes, generator: generator)
            })
        #expect(ModelRegistry.names(in: [.classifier]).last == "registry-test-mlp")
        let model = try ModelRegistry.network("registry-test-mlp", ["classes": "3"], generator: RandomGenerator(seed: 2))
        let rebuilt = try SavedModel.make(metadata: ["model": "registry-test-mlp", "classes": "3"], generator: RandomGenerator(seed: 2))
        #expect(rebuilt.stateDict().mapValues(\.shape) == model.stateDict().mapValues(\.shape))
        #expect(model.stateDict()["3.weight"]?.shape == [3, 16])
    }

    /// Option defaults fill a configuration, given values win, and the metadata keys of files
    /// written before the registry keep their meaning.
    @Test func optionDefaultsCompleteAConfiguration() throws {
        let vae = try ModelRegistry.lookup("vae")
        let config = vae.completed(ModelConfig(model: "vae", values: ["latent": "8"]))
        #expect(config.values["latent"] == "8" && config.values["iw-samples"] == "100" && config.values["beta"] == "1")
        #expect(try ModelRegistry.lookup("conv-vae").option("iw-samples")?.defaultText == "10")
        #expect(try ModelRegistry.lookup("wgan-gp").defaults.betas == (0, 0.9))
        #expect(throws: DataError.self) { try SavedModel.make(metadata: ["model": "forecaster", "hidden": "zero"]) }
        // A saved file must state its sizes: no option default stands in for them.
        #expect(throws: DataError.self) { try SavedModel.make(metadata: ["model": "forecaster", "layers": "1"]) }
        #expect(throws: DataError.self) {
            try SavedModel.make(metadata: ["model": "char-lstm", "vocabulary": "", "hidden": "8", "layers": "1", "embedding": "4"])
        }
        #expect(
            (try? SavedModel.make(
                metadata: ["model": "char-lstm", "vocabulary": "abc", "hidden": "8", "layers": "1", "embedding": "4"],
                generator: RandomGenerator(seed: 2))) != nil)
    }
}
