import Foundation
import Neuron
import NeuronData
import Testing

/// The WordPiece tokenizer against Hugging Face `tokenizers` (make_tokenizer_fixtures.py).
@Suite struct TokenizerTests {
    static func lines(_ name: String) -> [String] {
        String(decoding: DataFixtures.bytes(name), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func ids(_ name: String) -> [[Int]] { lines(name).map { $0.split(separator: " ").map { Int($0)! } } }

    @Test func idsMatchHuggingFace() throws {
        let tokenizer = try WordPieceTokenizer(path: try MiniLMFiles.path("tokenizer.json"))
        let cases = Self.lines("tokenizer_cases.txt"), full = Self.ids("tokenizer_ids.txt"), truncated = Self.ids("tokenizer_ids_256.txt")
        let decoded = Self.lines("tokenizer_decoded.txt")
        #expect(cases.count == 283 && full.count == cases.count && truncated.count == cases.count && decoded.count == cases.count)
        var mismatches = 0
        for (i, text) in cases.enumerated() {
            let ours = tokenizer.encode(text)
            if ours != full[i] {
                mismatches += 1
                Issue.record("case \(i) '\(text.prefix(60))': \(ours.prefix(30)) vs \(full[i].prefix(30))")
            }
            #expect(tokenizer.encode(text, maxLength: 256) == truncated[i], "case \(i) truncated")
            #expect(tokenizer.decode(ours) == decoded[i], "case \(i) decoded: '\(tokenizer.decode(ours))' vs '\(decoded[i])'")
        }
        #expect(mismatches == 0)
    }

    @Test func batchesArePaddedWithMasks() throws {
        let tokenizer = try WordPieceTokenizer(path: try MiniLMFiles.path("tokenizer.json"))
        let (ids, mask) = tokenizer.encodeBatch(["Hello world!", "Hi", String(repeating: "word ", count: 100_000)], maxLength: 256)
        #expect(ids.shape == [3, 256] && mask.shape == [3, 256] && ids.dtype == .int64)
        #expect(ids[0].toArray(Int.self).prefix(5) == [101, 7592, 2088, 999, 102])
        #expect(mask.sum(axis: 1).toArray(Int.self) == [5, 3, 256])
        #expect(ids[1, 3].item() == 0)
        #expect(tokenizer.tokenize("Unaffable playing") == ["una", "##ffa", "##ble", "playing"])
    }

    @Test func malformedTokenizerFilesAreOneLineErrors() throws {
        let folder = temporaryDirectory()
        let cases: [(String, String)] = [
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "not a WordPiece tokenizer"),
            ("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[CLS]\": 0}}}", "the vocabulary lacks [SEP]"),
            ("{\"model\": ", "invalid JSON"),
            ("{\"normalizer\": {\"type\": \"NFKC\"}, \"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "normalizer \"NFKC\" is not supported"),
        ]
        for (i, (text, message)) in cases.enumerated() {
            let path = "\(folder)/tokenizer\(i).json"
            try Array(text.utf8).withUnsafeBytes { try writeFileAtomically(path, [$0]) }
            #expect { try WordPieceTokenizer(path: path) } throws: { "\($0)".contains(message) && !"\($0)".contains("\n") }
        }
        #expect(throws: DataError.self) { try WordPieceTokenizer(path: "\(folder)/missing.json") }
    }
}
