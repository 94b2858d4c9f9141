import Foundation
import Neuron
import NeuronData
import Testing

@Suite(.serialized) struct EmbedCLITests {
    static let modelDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models/all-MiniLM-L6-v2").standardizedFileURL.path

    /// `neuron embed` writes [N, 384] float32 unit vectors; `neuron similarity` prints
    /// sentence-transformers' cosine for the README's related pair.
    @Test func embedAndSimilarity() throws {
        #expect(FileManager.default.fileExists(atPath: Self.modelDirectory + "/model.safetensors"), "run `make models`")
        let folder = NSTemporaryDirectory() + "neuron-embed-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = "A man is playing a guitar.\nSomeone plays an instrument.\n\n" + String(repeating: "very long line ", count: 7_000) + "\n"
        try Array(text.utf8).withUnsafeBytes { try writeFileAtomically(folder + "/in.txt", [$0]) }
        let embed = try runNeuron(["embed", "--model-dir", Self.modelDirectory, "--input", folder + "/in.txt", "--output", folder + "/e.npy"])
        #expect(embed.status == 0, "\(embed.stderr)")
        let embeddings = try NPY.read(folder + "/e.npy")
        #expect(embeddings.shape == [4, 384] && embeddings.dtype == .float32)
        #expect((embeddings.square().sum(axis: 1) - 1).abs().max().item() < 1e-4)
        let related = try runNeuron(["similarity", "A man is playing a guitar.", "Someone plays an instrument.", "--model-dir", Self.modelDirectory])
        #expect(related.status == 0, "\(related.stderr)")
        let cosine = Double(related.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
        #expect(Swift.abs(cosine - 0.6674) < 1e-3, "\(cosine)")  // sentence-transformers: 0.6674; the unrelated pair −0.0640
    }

    @Test func embedUsageErrors() throws {
        let cases: [([String], String)] = [
            (["embed", "--input", "x.txt"], "embed: missing required option '--output'"),
            (["embed", "--input", "/nonexistent.txt", "--output", "/tmp/x.npy"], "/nonexistent.txt"),
            (["similarity", "only one"], "similarity: give exactly two sentences, got 1"),
            (["similarity", "a", "b", "--model-dir", "/nonexistent"], "model folder /nonexistent not found: run `make models`"),
        ]
        // A model folder whose model.safetensors was cut short, and one with a broken tokenizer.json.
        let folder = NSTemporaryDirectory() + "neuron-embed-broken-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["config.json", "tokenizer.json"] {
            try FileManager.default.copyItem(atPath: "\(Self.modelDirectory)/\(file)", toPath: "\(folder)/\(file)")
        }
        let model = try readFileBytes(Self.modelDirectory + "/model.safetensors")
        try Array(model.prefix(4096)).withUnsafeBytes { try writeFileAtomically(folder + "/model.safetensors", [$0]) }
        let broken = folder + "-tokenizer"
        try FileManager.default.copyItem(atPath: folder, toPath: broken)
        try FileManager.default.removeItem(atPath: broken + "/model.safetensors")
        try FileManager.default.copyItem(atPath: "\(Self.modelDirectory)/model.safetensors", toPath: broken + "/model.safetensors")
        try Array("{\"model\": {\"type\": \"WordPiece\"".utf8).withUnsafeBytes { try writeFileAtomically(broken + "/tokenizer.json", [$0]) }
        let allCases =
            cases + [
                (["similarity", "a", "b", "--model-dir", folder], "model.safetensors"),
                (["similarity", "a", "b", "--model-dir", broken], "tokenizer.json: invalid JSON"),
            ]
        for (arguments, message) in allCases {
            let result = try runNeuron(arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line")
        }
    }
}
