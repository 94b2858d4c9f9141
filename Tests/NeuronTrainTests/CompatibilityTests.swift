import Foundation
import Neuron
import NeuronData
import NeuronModels
import Testing

/// Files written before version 0.1.0 (before the model registry) still load and resume.
@Suite(.serialized) struct CompatibilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    @Test func oldModelFileRebuildsFromItsMetadata() throws {
        let (model, metadata) = try SavedModel.load(Self.fixtures + "/forecaster_pre_0.1_model.safetensors")
        #expect(metadata["model"] == "forecaster" && metadata["hidden"] == "8")
        #expect(noGrad { model(Tensor.zeros([3, 12])) }.shape == [3, 1])
    }

    @Test func oldCheckpointResumes() throws {
        let folder = NSTemporaryDirectory() + "neuron-compat-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(
            atPath: Self.fixtures + "/forecaster_pre_0.1_checkpoint.safetensors",
            toPath: folder + "/checkpoint.safetensors")
        let run = try runNeuron([
            "train", "--model", "forecaster", "--csv", Self.fixtures + "/ar2_series.csv", "--column", "value",
            "--window", "12", "--season", "11", "--hidden", "8", "--epochs", "4", "--resume", "--out", folder,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("resuming from epoch 3, batch 0"), "\(run.stdout)")
        #expect(run.stdout.contains("test_rmse="), "\(run.stdout)")
        let metadata = try SafeTensors.read(folder + "/model.safetensors").metadata
        #expect(metadata["model"] == "forecaster" && metadata["hidden"] == "8" && metadata["window"] == "12")
    }
}
