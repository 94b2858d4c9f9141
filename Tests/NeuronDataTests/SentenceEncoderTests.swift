import Foundation
import Neuron
import NeuronData
import NeuronModels
import Testing

/// all-MiniLM-L6-v2 in Neuron against sentence-transformers (make_embedding_fixtures.py).
@Suite(.serialized) struct SentenceEncoderTests {
    /// Loaded once for the suite (building the model is the slow part of a debug build).
    static let shared = Result { try SentenceEncoder(directory: MiniLMFiles.directory) }

    @Test func embeddingsMatchSentenceTransformers() throws {
        let encoder = try Self.shared.get()
        #expect(encoder.maxLength == 256 && encoder.normalizes)
        var sentences = String(decoding: DataFixtures.bytes("embedding_sentences.txt"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(sentences.count == 18)
        let fixtures = try SafeTensors.read(DataFixtures.path("embeddings.safetensors")).tensors
        let expected = fixtures["embeddings"]!
        let ours = encoder.encode(sentences, batchSize: 5)
        #expect(ours.shape == [18, 384] && ours.dtype == .float32)
        let cosines = ((ours * expected).sum(axis: 1) / ((ours.square().sum(axis: 1) * expected.square().sum(axis: 1)).sqrt())).toArray(Double.self)
        for (i, cosine) in cosines.enumerated() { #expect(cosine >= 0.9999, "sentence \(i) '\(sentences[i].prefix(40))': cosine \(cosine)") }
        let similarity = fixtures["similarity"]!.toArray(Double.self)
        let related = encoder.similarity("A man is playing a guitar.", "Someone plays an instrument.")
        let unrelated = encoder.similarity("A man is playing a guitar.", "The stock market fell sharply.")
        #expect(Swift.abs(related - similarity[0]) < 1e-4 && Swift.abs(unrelated - similarity[1]) < 1e-4 && related > unrelated)
        // A 100,000-character sentence is truncated to 256 tokens, not a crash.
        sentences = [String(repeating: "long sentence ", count: 7_200)]
        #expect(encoder.encode(sentences).shape == [1, 384])
    }

    @Test func modelLoadsStrictlyWithHuggingFaceKeys() throws {
        let config = try BertConfig(path: MiniLMFiles.path("config.json"))
        #expect(config.hiddenSize == 384 && config.layers == 6 && config.heads == 12 && config.intermediateSize == 1536)
        #expect(try Self.shared.get().model.config == config)
        let keys = Set(try Self.shared.get().model.stateDict().keys)
        let fileKeys = Set(try SafeTensors.read(MiniLMFiles.path("model.safetensors")).tensors.keys)
        #expect(keys == fileKeys)
        #expect(keys.contains("encoder.layer.0.attention.self.query.weight") && keys.contains("encoder.layer.5.output.LayerNorm.bias"))
    }

    /// Broken model folders give one-line errors.
    @Test func malformedModelFilesAreOneLineErrors() throws {
        let folder = temporaryDirectory()
        let source = MiniLMFiles.directory
        for file in ["tokenizer.json", "sentence_bert_config.json", "modules.json"] {
            try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: "\(folder)/\(file)")
        }
        try Array("{\"model_type\": \"bert\", \"hidden_size\": 384".utf8).withUnsafeBytes { try writeFileAtomically("\(folder)/config.json", [$0]) }
        let model = try readFileBytes("\(source)/model.safetensors")
        try Array(model.prefix(1_000_000)).withUnsafeBytes { try writeFileAtomically("\(folder)/model.safetensors", [$0]) }
        #expect { try SentenceEncoder(directory: folder) } throws: { "\($0)".contains("config.json: invalid JSON") }
        try FileManager.default.copyItem(atPath: "\(source)/config.json", toPath: "\(folder)/config2.json")
        try FileManager.default.removeItem(atPath: "\(folder)/config.json")
        try FileManager.default.moveItem(atPath: "\(folder)/config2.json", toPath: "\(folder)/config.json")
        #expect { try SentenceEncoder(directory: folder) } throws: { "\($0)".contains("model.safetensors") && !"\($0)".contains("\n") }
        #expect { try SentenceEncoder(directory: folder + "/nothing") } throws: { "\($0)".contains("make models") }
    }
}
