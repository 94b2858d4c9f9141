import Foundation
import Neuron
import NeuronData
import NeuronNN
import NeuronTrain
import NeuronViz
import Testing

/// A tiny GAN on 2-D points: two models, two optimisers, its own noise generator, and a
/// discriminator whose dropout draws from a generator of its own.
final class TinyGANStep: TrainingStep {
    let generator: Sequential, discriminator: Sequential
    let generatorOptimizer: Adam, discriminatorOptimizer: Adam
    let noise: RandomGenerator
    let generatorSchedule: StepLR
    /// Every batch's figures, in order.
    var log: [[String: Double]] = []

    init(seed: UInt64) {
        let initialiser = RandomGenerator(seed: seed)
        generator = Sequential(Linear(4, 16, generator: initialiser), ReLU(), Linear(16, 2, generator: initialiser))
        discriminator = Sequential(
            Linear(2, 16, generator: initialiser), LeakyReLU(negativeSlope: 0.2),
            Dropout(0.3, generator: RandomGenerator(seed: seed &+ 1)), Linear(16, 1, generator: initialiser))
        generatorOptimizer = Adam(generator.parameters(), lr: 2e-3, betas: (0.5, 0.999))
        discriminatorOptimizer = Adam(discriminator.parameters(), lr: 2e-3, betas: (0.5, 0.999))
        generatorSchedule = StepLR(generatorOptimizer, stepSize: 1, gamma: 0.5)
        noise = RandomGenerator(seed: seed &+ 2)
    }

    var models: [(name: String, module: Module)] { [("generator", generator), ("discriminator", discriminator)] }
    var optimizers: [(name: String, optimizer: Optimizer)] {
        [("generator_optimizer", generatorOptimizer), ("discriminator_optimizer", discriminatorOptimizer)]
    }
    var schedulers: [(name: String, scheduler: LRScheduler, interval: ScheduleInterval)] {
        [("generator_schedule", generatorSchedule, .epoch)]
    }
    var generators: [(name: String, generator: RandomGenerator)] { [("noise", noise)] }

    func train(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        let real = batch["points"]!
        let n = real.shape[0]
        let fake = generator(Tensor.normal([n, 4], generator: noise))
        discriminatorOptimizer.zeroGrad()
        let realLogits = discriminator(real), fakeLogits = discriminator(fake.detach())
        let dLoss = binaryCrossEntropyWithLogits(realLogits, Tensor.ones([n, 1])) + binaryCrossEntropyWithLogits(fakeLogits, Tensor.zeros([n, 1]))
        trainer.backward(dLoss)
        trainer.update(discriminatorOptimizer)
        generatorOptimizer.zeroGrad()
        let gLoss = binaryCrossEntropyWithLogits(discriminator(fake), Tensor.ones([n, 1]))
        trainer.backward(gLoss)
        trainer.update(generatorOptimizer)
        let figures = [
            "d_loss": dLoss.item(), "g_loss": gLoss.item(),
            "d_real": realLogits.sigmoid().mean().item(), "d_fake": fakeLogits.sigmoid().mean().item(),
        ]
        log.append(figures)
        return figures
    }

    func validate(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        ["d_real": discriminator(batch["points"]!).sigmoid().mean().item()]
    }
}

/// Interrupts the run at a given global step.
final class InterruptAt: Callback {
    let step: Int
    init(_ step: Int) { self.step = step }
    func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        if trainer.globalStep == step { trainer.requestInterrupt() }
    }
}

/// Counts the hook calls of the loop.
final class HookCounter: Callback {
    var backwards = 0, updates: [ObjectIdentifier] = []
    func afterBackward(_ trainer: Trainer) { backwards += 1 }
    func beforeOptimizerStep(_ trainer: Trainer, optimizer: Optimizer) { updates.append(ObjectIdentifier(optimizer)) }
}

func ringPoints(_ count: Int) -> TensorDataset {
    let generator = RandomGenerator(seed: 9)
    let angle = Tensor.uniform([count, 1], low: 0, high: 6.283, generator: generator)
    return TensorDataset(["points": Tensor.concat([angle.cos(), angle.sin()], axis: 1) * 2])
}

@Suite(.serialized) struct TrainingStepTests {
    /// In a child process, as the loop also saves and restores the process-wide default generator.
    @Test func twoModelStepResumesBitIdenticallyAfterAnInterruptMidEpoch() async {
        await #expect(processExitsWith: .success) { try! TrainingStepTests.checkGANResume() }
    }

    static func checkGANResume() throws {
        let data = ringPoints(192)
        let loader = DataLoader(data, batchSize: 32, shuffle: true, seed: 4)  // 6 batches per epoch
        let validation = DataLoader(data, batchSize: 96)

        let full = TinyGANStep(seed: 1)
        let counter = HookCounter()
        let fullTrainer = Trainer(step: full, callbacks: [counter])
        let outcomefullTrainer = try fullTrainer.fit(train: loader, validation: validation, epochs: 3)
        precondition(outcomefullTrainer == .completed)
        precondition(counter.backwards == 36 && counter.updates.count == 36, "hooks: \(counter.backwards) \(counter.updates.count)")
        precondition(counter.updates[0] == ObjectIdentifier(full.discriminatorOptimizer), "discriminator first")

        let folder = temporaryFolder("gan")
        let first = TinyGANStep(seed: 1)
        let firstTrainer = Trainer(
            step: first,
            callbacks: [
                ProgressBar(interactive: false), CSVLogger(path: folder + "/metrics.csv"),
                try TensorBoardLogger(directory: folder + "/tb", every: 1), InterruptAt(9),
            ])
        firstTrainer.checkpointPath = folder + "/checkpoint.safetensors"
        firstTrainer.checkpointMetadata = ["model": "tiny-gan"]
        let outcomefirstTrainer = try firstTrainer.fit(train: loader, validation: validation, epochs: 3)
        precondition(outcomefirstTrainer == .interrupted)
        let saved = try SafeTensors.read(folder + "/checkpoint.safetensors")
        for key in [
            "generator.0.weight", "discriminator.3.bias", "generator_optimizer.state.0.exp_avg",
            "discriminator_optimizer.param_groups.0.lr", "generator_schedule.epoch", "rng.default", "rng.noise",
            "rng.discriminator.2.generator", "progress.figure_sums",
        ] {
            precondition(saved.tensors[key] != nil, "checkpoint lacks \(key)")
        }
        precondition(saved.metadata["models"] == "generator,discriminator")

        Random.seed(12345)  // whatever the default generator holds now, the checkpoint restores it
        let second = TinyGANStep(seed: 77)
        let secondTrainer = Trainer(step: second, callbacks: [CSVLogger(path: folder + "/metrics.csv")])
        secondTrainer.checkpointPath = folder + "/checkpoint.safetensors"
        try TrainingCheckpoint.restore(secondTrainer, from: folder + "/checkpoint.safetensors")
        precondition(secondTrainer.epoch == 1 && secondTrainer.batchIndex == 3 && secondTrainer.globalStep == 9)
        let outcomesecondTrainer = try secondTrainer.fit(train: loader, validation: validation, epochs: 3)
        precondition(outcomesecondTrainer == .completed)

        precondition(first.log + second.log == full.log, "resumed figures differ")
        func figures(_ history: [[String: Double]]) -> [[String: Double]] {
            history.map { $0.filter { $0.key != "seconds" && $0.key != "samples_per_s" } }
        }
        precondition(figures(secondTrainer.history) == figures(fullTrainer.history), "epoch figures differ")
        for (a, b) in zip(full.models, second.models) {
            for (x, y) in zip(a.module.parameters(), b.module.parameters()) {
                precondition(x.toArray(Float.self) == y.toArray(Float.self), "final weights of \(a.name) differ")
            }
        }
        precondition(full.generatorOptimizer.parameterGroups[0].learningRate == second.generatorOptimizer.parameterGroups[0].learningRate)
        let table = try CSV.read(folder + "/metrics.csv")
        for column in ["d_loss", "g_loss", "d_real", "d_fake", "val_d_real", "lr_generator_optimizer"] {
            precondition(table.header.contains(column), "metrics.csv lacks \(column): \(table.header)")
        }
        precondition(table.rows.count == 3)
        let events = try FileManager.default.contentsOfDirectory(atPath: folder + "/tb")
        precondition(events.contains { $0.hasPrefix("events.out.tfevents") }, "no TensorBoard events")
        let files = try secondTrainer.saveModels(to: folder)
        precondition(files == [folder + "/generator.safetensors", folder + "/discriminator.safetensors"])
        let generatorFile = try SafeTensors.read(folder + "/generator.safetensors")
        precondition(generatorFile.tensors["0.weight"]?.shape == [16, 4] && generatorFile.metadata["role"] == "generator")
    }

    @Test func supervisedStepKeepsItsFigures() throws {
        let data = syntheticClassification(count: 96)
        Random.seed(6)
        let model = Sequential(Linear(8, 3))
        let trainer = Trainer(
            model: model, optimizer: SGD(model.parameters(), lr: 0.1), loss: { crossEntropy($0, $1) },
            metrics: [Accuracy(), TopKAccuracy(k: 2)])
        #expect(try trainer.fit(train: DataLoader(data, batchSize: 32), validation: DataLoader(data, batchSize: 40), epochs: 1) == .completed)
        let row = trainer.history[0]
        for key in ["epoch", "loss", "accuracy", "top2_accuracy", "lr", "seconds", "samples_per_s", "val_loss", "val_accuracy"] {
            #expect(row[key] != nil, "\(key)")
        }
        // Validation figures are means over all examples, whatever the batch size.
        let all = try trainer.evaluate(DataLoader(data, batchSize: 96))
        let batched = try trainer.evaluate(DataLoader(data, batchSize: 40))
        #expect(abs(all["accuracy"]! - batched["accuracy"]!) < 1e-12 && abs(all["loss"]! - batched["loss"]!) < 1e-6)
    }

    /// Accuracy counts a CPU batch on the host; it agrees with argmax, ties and NaNs included.
    @Test func accuracyCountsLikeArgmax() {
        let generator = RandomGenerator(seed: 8)
        var scores = Tensor.normal([50, 7], generator: generator).toArray(Float.self).map { $0.rounded() }  // many ties
        scores[3 * 7 + 4] = .nan
        scores[9 * 7] = .nan
        let outputs = Tensor(scores, shape: [50, 7])
        var labels = Tensor.uniform([50], low: 0, high: 7, generator: generator).toArray(Double.self).map { Int($0) }
        (labels[3], labels[9]) = (4, 0)  // where the NaNs are: argmax picks them
        let targets = Tensor(labels, shape: [50])
        let accuracy = Accuracy()
        accuracy.update(outputs: outputs, targets: targets)
        let expected = (outputs.argmax(axis: 1) .== targets).sum().item() / 50
        #expect(accuracy.value == expected && expected > 0)
    }

    @Test func onlyTheMainProcessWritesFiles() throws {
        let folder = temporaryFolder("main")
        let data = syntheticClassification(count: 64)
        let model = Sequential(Linear(8, 3, generator: RandomGenerator(seed: 1)))
        let trainer = Trainer(
            model: model, optimizer: SGD(model.parameters(), lr: 0.1), loss: { crossEntropy($0, $1) },
            callbacks: [CSVLogger(path: folder + "/metrics.csv"), GradientClipping(maxNorm: 0.01)])
        trainer.isMainProcess = false
        trainer.checkpointPath = folder + "/checkpoint.safetensors"
        #expect(try trainer.fit(train: DataLoader(data, batchSize: 32), epochs: 1) == .completed)
        #expect(try trainer.saveModels(to: folder).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        // Clipping is not an output: it ran, and held every update's gradient norm to 0.01.
        let clipping = trainer.callbacks.compactMap { $0 as? GradientClipping }.first!
        #expect(clipping.lastNorm > 0.01)
        let norm = model.parameters().map { $0.grad!.square().sum().item() }.reduce(0, +).squareRoot()
        #expect(abs(norm - 0.01) < 1e-4)
    }

    @Test func batchSchedulesStepAfterEveryBatch() throws {
        let data = syntheticClassification(count: 96)
        let model = Sequential(Linear(8, 3, generator: RandomGenerator(seed: 2)))
        let optimizer = SGD(model.parameters(), lr: 0.8)
        let step = SupervisedStep(
            model: model, optimizer: optimizer, loss: { crossEntropy($0, $1) },
            scheduler: StepLR(optimizer, stepSize: 1, gamma: 0.5))
        step.scheduleInterval = .batch
        let trainer = Trainer(step: step)
        #expect(try trainer.fit(train: DataLoader(data, batchSize: 32), epochs: 1) == .completed)
        #expect(optimizer.parameterGroups[0].learningRate == 0.1)  // 0.8 halved after each of 3 batches
    }

    @Test func batchesCarryNamedFields() {
        let dataset = TensorDataset([
            "images": Tensor.zeros([10, 1, 4, 4]), "labels": Tensor(Array(0..<10)),
            "mask": Tensor.ones([10, 4]),
        ])
        let batches = Array(DataLoader(dataset, batchSize: 4).batches(epoch: 0))
        #expect(batches.map { $0.size } == [4, 4, 2])
        #expect(batches[2]["labels"]!.toArray(Int.self) == [8, 9] && batches[0]["mask"]!.shape == [4, 4])
        #expect(batches[0]["inputs"] == nil && Set(batches[0].fields.keys) == ["images", "labels", "mask"])
    }

    @Test func epochImagesAreDrawnEveryEpoch() throws {
        let folder = temporaryFolder("images")
        let data = syntheticClassification(count: 64)
        let model = Sequential(Linear(8, 3, generator: RandomGenerator(seed: 1)))
        let board = try TensorBoardLogger(directory: folder + "/tb")
        var calls: [Bool] = []
        let images = EpochImages(path: folder + "/grid.png", tag: "grid", board: board) { _ in
            calls.append(model.isTraining)
            return Tensor.full([4, 1, 6, 6], 0.5)
        }
        let trainer = Trainer(
            model: model, optimizer: SGD(model.parameters(), lr: 0.1), loss: { crossEntropy($0, $1) },
            callbacks: [board, images])
        #expect(try trainer.fit(train: DataLoader(data, batchSize: 32), epochs: 2) == .completed)
        #expect(calls == [false, false] && model.isTraining)  // drawn in evaluation mode, training mode restored
        #expect(FileManager.default.fileExists(atPath: folder + "/grid.png"))
        let events = try FileManager.default.contentsOfDirectory(atPath: folder + "/tb").first { $0.hasPrefix("events") }!
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/tb/" + events))
        #expect(bytes.range(of: Data("grid".utf8)) != nil)
    }
}
