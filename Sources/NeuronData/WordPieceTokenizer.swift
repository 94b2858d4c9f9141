import Foundation
import Neuron

/// BERT's tokenizer, read from a Hugging Face `tokenizer.json` (WordPiece model, BERT
/// normaliser and pre-tokeniser, `[CLS] … [SEP]` template), giving the ids the `tokenizers`
/// library gives:
///
/// 1. special tokens written in the text (`[SEP]`, `[MASK]`, …) are kept whole;
/// 2. normalisation: control characters dropped and whitespace made a space, CJK ideographs
///    set apart by spaces, accents stripped (canonical decomposition, non-spacing marks
///    removed) and text lower-cased, as the file's settings say;
/// 3. pre-tokenisation: split at whitespace and around every punctuation character;
/// 4. WordPiece: greedy longest match first, continuations prefixed "##", a word with no
///    match or longer than the per-word limit becomes `[UNK]`.
public final class WordPieceTokenizer {
    public let vocabulary: [String: Int]
    /// Tokens by id.
    public let tokens: [String]
    public let unknownToken: String, continuationPrefix: String, maxCharactersPerWord: Int
    public let clsId: Int, sepId: Int, padId: Int, unknownId: Int
    public let lowercase: Bool, stripAccents: Bool, cleanText: Bool, splitsChinese: Bool
    /// Special tokens matched whole in the input, longest first.
    let specialTokens: [(text: [Unicode.Scalar], id: Int)]

    /// Reads `tokenizer.json`; anything this tokenizer does not implement is an error naming it.
    public init(path: String) throws {
        let json = try JSON.read(path)
        func fail(_ reason: String) -> DataError { DataError("\(path): \(reason)") }
        guard let model = json["model"], model["type"] == .string("WordPiece"), case .object(let entries)? = model["vocab"] else {
            throw fail("not a WordPiece tokenizer (model.type must be WordPiece with a vocab)")
        }
        var vocabulary: [String: Int] = [:]
        var tokens = [String](repeating: "", count: entries.count)
        for (token, value) in entries {
            guard case .number(let id) = value, id >= 0, Int(id) < entries.count else { throw fail("vocab id of '\(token)' is out of range") }
            vocabulary[token] = Int(id)
            tokens[Int(id)] = token
        }
        func string(_ value: JSON?, _ name: String, default fallback: String) throws -> String {
            guard let value, value != .null else { return fallback }
            guard case .string(let text) = value else { throw fail("\(name) must be a string") }
            return text
        }
        unknownToken = try string(model["unk_token"], "model.unk_token", default: "[UNK]")
        continuationPrefix = try string(model["continuing_subword_prefix"], "model.continuing_subword_prefix", default: "##")
        if case .number(let limit)? = model["max_input_chars_per_word"] { maxCharactersPerWord = Int(limit) } else { maxCharactersPerWord = 100 }
        let normalizer = json["normalizer"] ?? .null
        if normalizer != .null && normalizer["type"] != .string("BertNormalizer") {
            throw fail("normalizer \(normalizer["type"]?.serialized ?? "?") is not supported (BertNormalizer)")
        }
        func flag(_ key: String, _ fallback: Bool) -> Bool {
            if case .bool(let value)? = normalizer[key] { return value }
            return fallback
        }
        lowercase = flag("lowercase", true)
        cleanText = flag("clean_text", true)
        splitsChinese = flag("handle_chinese_chars", true)
        stripAccents = flag("strip_accents", lowercase)
        if let pre = json["pre_tokenizer"], pre != .null, pre["type"] != .string("BertPreTokenizer") {
            throw fail("pre_tokenizer \(pre["type"]?.serialized ?? "?") is not supported (BertPreTokenizer)")
        }
        func id(_ token: String) throws -> Int {
            guard let id = vocabulary[token] else { throw fail("the vocabulary lacks \(token)") }
            return id
        }
        (clsId, sepId, unknownId) = (try id("[CLS]"), try id("[SEP]"), try id(unknownToken))
        padId = vocabulary["[PAD]"] ?? 0
        var specials: [(text: [Unicode.Scalar], id: Int)] = []
        if case .array(let added)? = json["added_tokens"] {
            for token in added where token["special"] == .bool(true) {
                if case .string(let content)? = token["content"], case .number(let id)? = token["id"] {
                    specials.append((Array(content.unicodeScalars), Int(id)))
                }
            }
        }
        specialTokens = specials.sorted { $0.text.count > $1.text.count }
        (self.vocabulary, self.tokens) = (vocabulary, tokens)
    }

    /// The word pieces of `text`, without `[CLS]` and `[SEP]`.
    public func tokenize(_ text: String) -> [String] { pieceIds(text).map { tokens[$0] } }

    /// Token ids of `text`: `[CLS]`, its pieces (the first `maxLength − 2` when given), `[SEP]`.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int] {
        var pieces = pieceIds(text)
        if let maxLength { pieces = Array(pieces.prefix(Swift.max(maxLength - 2, 0))) }
        return [clsId] + pieces + [sepId]
    }

    /// A padded batch: ids and attention mask, int64 [N, T] with T the longest encoding
    /// (at most `maxLength`), padding on the right.
    public func encodeBatch(_ texts: [String], maxLength: Int? = nil) -> (ids: Tensor, attentionMask: Tensor) {
        padded(texts.map { encode($0, maxLength: maxLength) })
    }

    /// Encodings padded on the right to the longest: ids and attention mask, int64 [N, T].
    public func padded(_ encodings: [[Int]]) -> (ids: Tensor, attentionMask: Tensor) {
        let length = encodings.map(\.count).max() ?? 0
        var ids = [Int](), mask = [Int]()
        ids.reserveCapacity(encodings.count * length)
        for encoding in encodings {
            ids += encoding + [Int](repeating: padId, count: length - encoding.count)
            mask += [Int](repeating: 1, count: encoding.count) + [Int](repeating: 0, count: length - encoding.count)
        }
        return (Tensor(ids, shape: [encodings.count, length]), Tensor(mask, shape: [encodings.count, length]))
    }

    /// Text from ids, as the WordPiece decoder writes it: special tokens skipped,
    /// continuations glued on, other tokens after a space, and each token cleaned up (the
    /// space before `.`, `?`, `!` and `,` removed).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        let specials = Set(specialTokens.map(\.id))
        var text = ""
        for id in ids where id >= 0 && id < tokens.count && !(skipSpecialTokens && specials.contains(id)) {
            // By scalars: "##" followed by a combining mark is not a grapheme prefix of "##".
            let token = Array(tokens[id].unicodeScalars), prefix = Array(continuationPrefix.unicodeScalars)
            var piece =
                token.starts(with: prefix)
                ? String(String.UnicodeScalarView(token.dropFirst(prefix.count)))
                : (text.isEmpty ? "" : " ") + tokens[id]
            for (from, to) in [
                (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
            ] {
                piece = piece.replacingOccurrences(of: from, with: to)
            }
            text += piece
        }
        return text
    }

    // MARK: - The pipeline

    func pieceIds(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in splitSpecialTokens(Array(text.unicodeScalars)) {
            switch segment {
            case .special(let id): ids.append(id)
            case .text(let scalars):
                for word in preTokenize(normalize(scalars)) { ids += wordPieces(word) }
            }
        }
        return ids
    }

    enum Segment {
        case text([Unicode.Scalar])
        case special(Int)
    }

    func splitSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        guard !specialTokens.isEmpty, scalars.contains("[") || specialTokens.contains(where: { $0.text.first != "[" }) else {
            return [.text(scalars)]
        }
        var segments: [Segment] = [], current: [Unicode.Scalar] = [], i = 0
        outer: while i < scalars.count {
            for (token, id) in specialTokens where token.count <= scalars.count - i && Array(scalars[i..<(i + token.count)]) == token {
                if !current.isEmpty {
                    segments.append(.text(current))
                    current = []
                }
                segments.append(.special(id))
                i += token.count
                continue outer
            }
            current.append(scalars[i])
            i += 1
        }
        if !current.isEmpty { segments.append(.text(current)) }
        return segments
    }

    func normalize(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(input.count)
        for scalar in input {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
                if isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if splitsChinese && isChineseCharacter(scalar) {
                scalars += [" ", scalar, " "]
            } else {
                scalars.append(scalar)
            }
        }
        if stripAccents {
            let decomposed = String(String.UnicodeScalarView(scalars)).decomposedStringWithCanonicalMapping.unicodeScalars
            scalars = decomposed.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            scalars = scalars.flatMap { scalar -> [Unicode.Scalar] in
                scalar.properties.changesWhenLowercased ? Array(scalar.properties.lowercaseMapping.unicodeScalars) : [scalar]
            }
        }
        return scalars
    }

    func preTokenize(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = [], current: [Unicode.Scalar] = []
        for scalar in scalars {
            if isWhitespace(scalar) {
                if !current.isEmpty {
                    words.append(current)
                    current = []
                }
            } else if isPunctuation(scalar) {
                if !current.isEmpty {
                    words.append(current)
                    current = []
                }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    func wordPieces(_ word: [Unicode.Scalar]) -> [Int] {
        if word.count > maxCharactersPerWord { return [unknownId] }
        var pieces: [Int] = [], start = 0
        while start < word.count {
            var end = word.count, found: Int?
            while end > start {
                var candidate = String(String.UnicodeScalarView(word[start..<end]))
                if start > 0 { candidate = continuationPrefix + candidate }
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return [unknownId] }
            pieces.append(found)
            start = end
        }
        return pieces
    }

    func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
