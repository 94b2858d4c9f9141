import Foundation
import Neuron

/// Text for character-level language models: the characters (Unicode scalars) of one or more
/// files, their vocabulary, and the text as vocabulary indices.
public struct TextCorpus {
    /// Where Debian's `fortunes` package installs its text files.
    public static let fortunesDirectory = "/usr/share/games/fortunes"

    /// Every distinct character, sorted; a character's index is its class.
    public let vocabulary: [Unicode.Scalar]
    /// The whole text as indices into `vocabulary`.
    public let indices: [Int]
    let lookup: [Unicode.Scalar: Int]

    /// A corpus of `text`, its vocabulary made of the characters it uses.
    public init(text: String) {
        let scalars = Array(text.unicodeScalars)
        vocabulary = Set(scalars).sorted { $0.value < $1.value }
        lookup = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        indices = scalars.map { [lookup] in lookup[$0]! }
    }

    /// A corpus over a given vocabulary (as saved with a model); characters outside it are dropped.
    public init(text: String, vocabulary: [Unicode.Scalar]) {
        self.vocabulary = vocabulary
        lookup = Dictionary(vocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        indices = text.unicodeScalars.compactMap { [lookup] in lookup[$0] }
    }

    /// The text of one file (UTF-8; invalid bytes become U+FFFD).
    public static func load(file path: String) throws -> TextCorpus {
        let text = String(decoding: try readFileBytes(path), as: UTF8.self)
        guard !text.isEmpty else { throw DataError("\(path): the text file is empty") }
        return TextCorpus(text: text)
    }

    /// The fortune cookies of Debian's `fortunes` package: every plain-text file of the
    /// folder (not the `.dat` indexes or `.u8` copies) in name order, with the `%` lines that
    /// separate fortunes turned into blank lines.
    public static func fortunes(directory: String? = nil) throws -> TextCorpus {
        let folder = directory ?? fortunesDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw DataError("no fortunes at \(folder); install Debian's 'fortunes' package (apt-get install fortunes) or pass --text FILE")
        }
        var text = ""
        for name in names.sorted() where !name.contains(".") {
            var isDirectory: ObjCBool = false
            let path = folder + "/" + name
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            text += String(decoding: try readFileBytes(path), as: UTF8.self).replacingOccurrences(of: "\n%\n", with: "\n\n")
        }
        guard !text.isEmpty else {
            throw DataError("no fortune files in \(folder); install Debian's 'fortunes' package (apt-get install fortunes)")
        }
        return TextCorpus(text: text)
    }

    /// Indices of `text`'s characters (characters outside the vocabulary are dropped).
    public func encode(_ text: String) -> [Int] { text.unicodeScalars.compactMap { lookup[$0] } }

    /// The text of `indices`.
    public func decode(_ indices: [Int]) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: indices.map { vocabulary[$0] })
        return String(result)
    }

    /// The vocabulary as one string, for model metadata.
    public var vocabularyString: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: vocabulary)
        return String(view)
    }

    /// Windows for truncated backpropagation through time over `range` of the text: the range
    /// is cut into `streams` contiguous streams, each into windows of `length` characters
    /// (targets: the next character of each). Sample i·streams + s is window i of stream s,
    /// so unshuffled batches of `streams` samples continue the previous batch's streams.
    public func streamWindows(_ range: Range<Int>, streams: Int, length: Int) throws -> TensorDataset {
        let streamLength = range.count / streams, windows = (streamLength - 1) / length
        guard windows > 0 else {
            throw DataError("the text (\(range.count) characters) is too short for \(streams) streams of windows of \(length)")
        }
        var inputs = [Int](repeating: 0, count: windows * streams * length), targets = inputs
        for window in 0..<windows {
            for stream in 0..<streams {
                let start = range.lowerBound + stream * streamLength + window * length
                let row = (window * streams + stream) * length
                for k in 0..<length {
                    inputs[row + k] = indices[start + k]
                    targets[row + k] = indices[start + k + 1]
                }
            }
        }
        return TensorDataset(
            inputs: Tensor(inputs, shape: [windows * streams, length]),
            targets: Tensor(targets, shape: [windows * streams, length]))
    }
}
