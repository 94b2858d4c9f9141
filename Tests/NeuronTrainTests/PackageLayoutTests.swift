import Foundation
import Neuron
import Testing

/// The repository's own promises about its layout.
@Suite struct PackageLayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }

    /// The module graph in the README is the one in Package.swift.
    @Test func readmeModuleGraphMatchesThePackage() throws {
        var package: [String: Set<String>] = [:]
        let manifest = try Self.text("Package.swift").replacingOccurrences(of: "\n", with: " ")
        let target = try NSRegularExpression(pattern: #"\.(?:target|executableTarget)\(\s*name: "(\w+)",\s*dependencies: \[([^\]]*)\]"#)
        for match in target.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            let name = String(manifest[Range(match.range(at: 1), in: manifest)!])
            let list = manifest[Range(match.range(at: 2), in: manifest)!]
            package[name] = Set(
                list.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \n")) }.filter { !$0.isEmpty })
        }
        var readme: [String: Set<String>] = [:]
        // Lines such as "NeuronNN     → Neuron" in the README's module graph.
        for line in try Self.text("README.md").split(separator: "\n") where line.hasPrefix("Neuron") && line.contains(" → ") {
            let parts = line.components(separatedBy: " → ")
            readme[parts[0].trimmingCharacters(in: .whitespaces)] = Set(parts[1].components(separatedBy: ", "))
        }
        #expect(!package.isEmpty)
        #expect(readme == package)
    }

    /// `neuron --version` prints the version CHANGELOG.md describes.
    @Test func versionHasAChangelogSection() throws {
        #expect(try Self.text("CHANGELOG.md").contains("## [\(LibraryVersion.current)]"))
        let result = try runNeuron(["--version"])
        #expect(result.status == 0 && result.stdout == "neuron \(LibraryVersion.current)\n")
    }

    /// No source file grows past 600 lines.
    @Test func noSourceFileOver600Lines() throws {
        let files = FileManager.default.enumerator(at: Self.root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil)!
        for case let url as URL in files where ["swift", "c", "h"].contains(url.pathExtension) {
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(lines <= 600, "\(url.lastPathComponent): \(lines) lines")
        }
    }
}
