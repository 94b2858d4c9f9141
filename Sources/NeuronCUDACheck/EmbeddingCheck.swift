import Foundation
import Neuron
import NeuronData
import NeuronModels

/// Sentence embeddings with MiniLM-L6's encoder on the GPU and the CPU: its shape (6 layers, 384
/// wide, 12 heads, 1,536 inner) with seeded weights, since the GPU machine has no copy of the
/// trained files, over 1,000 synthetic sentences of 8–64 tokens in batches of 32 by length, as
/// `neuron embed` runs them (each batch's embeddings copied back to the host). The weights, the
/// token ids and the GPU's embeddings are written for `gpu_models_torch.py --minilm`.
enum EmbeddingCheck {
    static let batchSize = 32

    static func run(
        out: String, gpu: Device, sentences: Int = 1000, figures: inout [String: Double], check: (Bool, String) -> Void
    ) throws {
        var config = BertConfig()
        (config.hiddenSize, config.layers, config.heads, config.intermediateSize) = (384, 6, 12, 1536)
        let model = BertModel(config, generator: RandomGenerator(seed: 1))
        let draw = RandomGenerator(seed: 2)
        let sequences: [[Int]] = (0..<sentences).map { _ in
            let length = 8 + Int(draw.nextUnit() * 57)
            return [101] + (0..<(length - 2)).map { _ in 1000 + Int(draw.nextUnit() * 29_000) } + [102]
        }
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        func embed(_ device: Device) -> (embeddings: Tensor, perSecond: Double) {
            model.to(device)
            var rows = [Tensor?](repeating: nil, count: sentences)
            let start = DispatchTime.now().uptimeNanoseconds
            noGrad {
                for first in stride(from: 0, to: sentences, by: batchSize) {
                    let members = Array(order[first..<min(first + batchSize, sentences)])
                    let length = sequences[members[0]].count
                    let ids = members.flatMap { sequences[$0] + [Int](repeating: 0, count: length - sequences[$0].count) }
                    let mask = members.flatMap {
                        [Int](repeating: 1, count: sequences[$0].count) + [Int](repeating: 0, count: length - sequences[$0].count)
                    }
                    let idTensor = Tensor(ids, shape: [members.count, length]).to(device)
                    let maskTensor = Tensor(mask, shape: [members.count, length]).to(device)
                    let pooled = meanPooled(model(idTensor, attentionMask: maskTensor), mask: maskTensor).to(.cpu)
                    for (row, index) in members.enumerated() { rows[index] = pooled[row] }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return (Tensor.stack(rows.map { $0! }), Double(sentences) / seconds)
        }
        _ = embed(gpu)  // kernels compiled, memory cached
        let (onGPU, rate) = embed(gpu)
        let (onCPU, cpuRate) = embed(.cpu)
        let error = OpChecks.relativeError(onGPU, onCPU)
        figures["minilm_cuda_sentences_per_s"] = rate
        figures["minilm_cpu_sentences_per_s"] = cpuRate
        check(
            error <= 1e-4,
            String(format: "MiniLM-L6 shape: %.0f sentences/s on the GPU (CPU %.0f), embeddings within %.1e of the CPU's", rate, cpuRate, error))
        let width = 64
        let padded = sequences.flatMap { $0 + [Int](repeating: 0, count: width - $0.count) }
        try SafeTensors.write(model.to(.cpu).stateDict(), to: "\(out)/minilm.safetensors")
        try SafeTensors.write(
            [
                "ids": Tensor(padded, shape: [sentences, width]), "lengths": Tensor(sequences.map(\.count)),
                "order": Tensor(order), "embeddings": onGPU,
            ], to: "\(out)/minilm_inputs.safetensors")
    }
}
