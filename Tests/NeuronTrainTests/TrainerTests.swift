import Foundation
import Neuron
import NeuronData
import NeuronNN
import NeuronTrain
import Testing

/// Records every batch loss.
final class LossRecorder: Callback {
    var losses: [Double] = []
    var interruptAt: Int?
    func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        losses.append(logs["loss"]!)
        if trainer.globalStep == interruptAt { trainer.requestInterrupt() }
    }
}

/// Records the raw per-batch loss (not the running mean).
final class StepLoss: Metric {
    let name = "step_loss"
    var value = 0.0
    let loss: (Tensor, Tensor) -> Tensor
    init(_ loss: @escaping (Tensor, Tensor) -> Tensor) { self.loss = loss }
    func reset() {}
    func update(outputs: Tensor, targets: Tensor) { value = noGrad { loss(outputs, targets).item() } }
}

func temporaryFolder(_ label: String = #function) -> String {
    let path = NSTemporaryDirectory() + "neuron-train-\(label.filter { $0.isLetter })-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func syntheticClassification(count: Int = 256, seed: UInt64 = 5) -> TensorDataset {
    let generator = RandomGenerator(seed: seed)
    let x = Tensor.normal([count, 8], generator: generator)
    let w = Tensor.normal([8, 3], generator: generator)
    return TensorDataset(inputs: x, targets: x.matmul(w).argmax(axis: 1))
}

@Suite(.serialized) struct TrainerTests {
    func makeTrainer(seed: UInt64 = 3) -> (Trainer, StepLoss) {
        Random.seed(seed)
        let model = Sequential(Linear(8, 16), ReLU(), Dropout(0.2), Linear(16, 3))
        let optimizer = Adam(model.parameters(), lr: 0.01)
        let loss: (Tensor, Tensor) -> Tensor = { crossEntropy($0, $1) }
        let stepLoss = StepLoss(loss)
        let trainer = Trainer(
            model: model, optimizer: optimizer, loss: loss, metrics: [Accuracy(), stepLoss],
            scheduler: StepLR(optimizer, stepSize: 1, gamma: 0.7))
        return (trainer, stepLoss)
    }

    /// In a child process: the default random generator (used by dropout) is process-wide,
    /// and tests running alongside would draw from it too.
    @Test func resumedRunRepeatsTheUninterruptedLossesExactly() async {
        await #expect(processExitsWith: .success) { try! TrainerTests.checkResumeIsExact() }
    }

    static func checkResumeIsExact() throws {
        final class Steps: Callback {
            var values: [Double] = []
            let metric: StepLoss
            init(_ metric: StepLoss) { self.metric = metric }
            func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws { values.append(metric.value) }
        }
        let data = syntheticClassification()
        let loader = DataLoader(data, batchSize: 32, shuffle: true, seed: 11)
        let (full, fullSteps) = TrainerTests().makeTrainer()
        let fullLog = Steps(fullSteps)
        full.callbacks = [fullLog]
        let fullOutcome = try full.fit(train: loader, epochs: 3)
        precondition(fullOutcome == .completed)

        let folder = temporaryFolder("resume")
        let (first, firstSteps) = TrainerTests().makeTrainer()
        let firstLog = Steps(firstSteps), interrupter = LossRecorder()
        interrupter.interruptAt = 13
        first.callbacks = [interrupter, firstLog]
        first.checkpointPath = folder + "/checkpoint.safetensors"
        let firstOutcome = try first.fit(train: loader, epochs: 3)
        precondition(firstOutcome == .interrupted)

        Random.seed(999)  // the checkpoint must restore the generator, whatever it is now
        let (second, secondSteps) = TrainerTests().makeTrainer(seed: 42)
        let secondLog = Steps(secondSteps)
        second.callbacks = [secondLog]
        try TrainingCheckpoint.restore(second, from: folder + "/checkpoint.safetensors")
        precondition(second.globalStep == 13 && second.epoch == 1 && second.batchIndex == 5, "progress not restored")
        let secondOutcome = try second.fit(train: loader, epochs: 3)
        precondition(secondOutcome == .completed)
        precondition(firstLog.values + secondLog.values == fullLog.values, "resumed losses differ")
        precondition(second.history.count == 3, "history not restored")
        for (a, b) in zip(full.model.parameters(), second.model.parameters()) {
            precondition(a.toArray(Float.self) == b.toArray(Float.self), "final weights differ")
        }
    }

    @Test func smokeTrainingOnFashionMNISTLowersTheLoss() throws {
        let train = try FashionMNIST.load(.train, normalized: true).slice(0..<2048)
        let test = try FashionMNIST.load(.test, normalized: true).slice(0..<512)
        Random.seed(0)
        let model = Sequential(Flatten(), Linear(784, 64), ReLU(), Linear(64, 10))
        let recorder = LossRecorder()
        let trainer = Trainer(
            model: model, optimizer: Adam(model.parameters(), lr: 2e-3), loss: { crossEntropy($0, $1) },
            metrics: [Accuracy(), TopKAccuracy(k: 3)], callbacks: [recorder])
        #expect(
            try trainer.fit(
                train: DataLoader(train, batchSize: 64, shuffle: true), validation: DataLoader(test, batchSize: 256),
                epochs: 2) == .completed)
        #expect(recorder.losses.last! < recorder.losses.first! * 0.6)
        let last = trainer.history.last!
        #expect(last["val_accuracy"]! > 0.7 && last["val_top3_accuracy"]! >= last["val_accuracy"]!)
    }

    @Test func nanLossStopsAndNamesTheOp() throws {
        let data = syntheticClassification(count: 64)
        Random.seed(1)
        let model = Sequential(Linear(8, 3))
        // log of a possibly negative output: NaN from the op `log`.
        let trainer = Trainer(
            model: model, optimizer: SGD(model.parameters(), lr: 0.1),
            loss: { outputs, targets in nllLoss((outputs - 5).log(), targets) }, metrics: [])
        let outcome = try trainer.fit(train: DataLoader(data, batchSize: 16), epochs: 2)
        guard case .stopped(let reason) = outcome else {
            Issue.record("expected a stop, got \(outcome)")
            return
        }
        #expect(reason.contains("at step 1") && reason.contains("op 'log'"))
        #expect(!NonFiniteLocator.isEnabled)
        // The failing step's update was skipped: the weights are still finite.
        #expect(model.parameters().allSatisfy { $0.allFinite })
    }

    @Test func earlyStoppingCheckpointsAndCSV() throws {
        let folder = temporaryFolder()
        let data = syntheticClassification(count: 64)
        Random.seed(2)
        let model = Sequential(Linear(8, 3))
        // A zero learning rate never improves: early stopping must end the run after `patience` epochs.
        let trainer = Trainer(
            model: model, optimizer: SGD(model.parameters(), lr: 1e-12), loss: { crossEntropy($0, $1) },
            callbacks: [
                EarlyStopping(monitor: "val_loss", patience: 2, minDelta: 1e-3),
                ModelCheckpoint(path: folder + "/best.safetensors"),
                CSVLogger(path: folder + "/metrics.csv"),
            ])
        let outcome = try trainer.fit(train: DataLoader(data, batchSize: 16), validation: DataLoader(data, batchSize: 64), epochs: 10)
        #expect(outcome == .stopped("early stopping: val_loss has not improved for 2 epochs"))
        #expect(trainer.history.count == 3)
        let table = try CSV.read(folder + "/metrics.csv")
        #expect(table.header.first == "epoch" && table.rows.map { $0[0] } == ["1", "2", "3"])
        #expect(try SafeTensors.read(folder + "/best.safetensors").tensors["0.weight"]?.shape == [3, 8])
    }
}
