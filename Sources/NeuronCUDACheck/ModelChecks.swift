import Foundation
import Neuron
import NeuronBench

/// One epoch of each model of the GPU table through `ModelBench` (the code `neuron bench`
/// runs): on the GPU with graph replay, op by op, under bfloat16 autocast, and on the CPU for
/// the reference accuracy. Each GPU run must reach the CPU's figure after the same epoch.
enum ModelChecks {
    static let models = ["mlp", "lenet", "resnet20", "lstm", "conv-autoencoder", "cgan"]

    /// The figures of one model: samples/s of each GPU variant and the quality figures.
    static func run(
        _ name: String, data: String?, gpu: Device, figures: inout [String: Double], check: (Bool, String) -> Void
    ) throws {
        let graphed = try ModelBench.run(name, directory: data, device: gpu)
        let eager = try ModelBench.run(name, directory: data, device: gpu, graphs: false)
        let mixed = try ModelBench.run(name, directory: data, device: gpu, autocast: true)
        // The CPU's epoch is the reference figure; a GAN's loss is not one (and its epoch is slow).
        let cpu = name.hasSuffix("gan") ? nil : try ModelBench.run(name, directory: data, device: .cpu)
        let variants = [("cuda", graphed), ("cuda_eager", eager), ("cuda_bf16", mixed)] + (cpu.map { [("cpu", $0)] } ?? [])
        for (variant, result) in variants {
            figures["\(name)_\(variant)_samples_per_s"] = result.samplesPerSecond
            if let metric = result.metric { figures["\(name)_\(variant)_\(metric.0)"] = metric.1 }
        }
        guard let ours = graphed.metric, let bf16 = mixed.metric else { return }
        guard let reference = cpu?.metric else {
            let summary = String(
                format: "%@: %.0f samples/s on the GPU (%.0f op by op, %.0f bf16), %@ %.4f (bf16 %.4f)", name, graphed.samplesPerSecond,
                eager.samplesPerSecond, mixed.samplesPerSecond, ours.0, ours.1, bf16.1)
            return check(ours.1.isFinite && bf16.1.isFinite, summary)
        }
        let summary = String(
            format: "%@: %.0f samples/s on the GPU (%.0f op by op, %.0f bf16), %@ %.4f (op by op %.4f, bf16 %.4f, CPU %.4f)", name,
            graphed.samplesPerSecond, eager.samplesPerSecond, mixed.samplesPerSecond, ours.0, ours.1, eager.metric?.1 ?? .nan, bf16.1,
            reference.1)
        switch reference.0 {
        case "test_accuracy":
            check(abs(ours.1 - reference.1) < 0.01 && abs(bf16.1 - reference.1) < 0.015, summary)
        case "test_mse":
            check(abs(ours.1 - reference.1) < 0.05 * reference.1, summary)
        default:
            check(ours.1.isFinite && bf16.1.isFinite, summary)
        }
    }
}

extension BenchResult {
    var samplesPerSecond: Double { fields.first { $0.0 == "samples_per_s" }?.1 ?? 0 }
}
