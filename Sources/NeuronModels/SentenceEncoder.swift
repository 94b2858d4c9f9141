import Glibc
import Neuron
import NeuronData
import NeuronNN

/// Sentence embeddings as sentence-transformers computes them for a BERT model folder such as
/// all-MiniLM-L6-v2: WordPiece tokens (truncated at the folder's `max_seq_length`, 256 for
/// MiniLM), the Transformer's last hidden states, mean pooling over the attention mask, and
/// L2 normalisation when the folder's `modules.json` lists a Normalize module. Batches are
/// formed from sentences of similar length (sorted, as sentence-transformers does), so little
/// padding is computed.
public final class SentenceEncoder {
    public let model: BertModel
    public let tokenizer: WordPieceTokenizer
    public let maxLength: Int
    public let normalizes: Bool
    /// The folder `make models` unpacks the pretrained all-MiniLM-L6-v2 into.
    public static let defaultDirectory = "models/all-MiniLM-L6-v2"

    /// Reads `config.json`, `model.safetensors`, `tokenizer.json` and, when present,
    /// `sentence_bert_config.json`, `modules.json` and `1_Pooling/config.json`.
    public init(directory: String = SentenceEncoder.defaultDirectory) throws {
        guard access(directory, R_OK) == 0 else {
            throw DataError("model folder \(directory) not found: run `make models` (it installs all-MiniLM-L6-v2 there) or pass --model-dir DIR")
        }
        for file in ["config.json", "model.safetensors", "tokenizer.json"] where access("\(directory)/\(file)", R_OK) != 0 {
            throw DataError("\(directory)/\(file) not found: run `make models` or pass --model-dir DIR")
        }
        tokenizer = try WordPieceTokenizer(path: "\(directory)/tokenizer.json")
        model = try BertModel.load(directory: directory)
        func json(_ file: String) throws -> JSON? {
            let path = "\(directory)/\(file)"
            guard access(path, R_OK) == 0 else { return nil }
            return try JSON.read(path)
        }
        if case .number(let length)? = try json("sentence_bert_config.json")?["max_seq_length"] {
            maxLength = min(Int(length), model.config.maxPositions)
        } else {
            maxLength = min(512, model.config.maxPositions)
        }
        if let pooling = try json("1_Pooling/config.json"), pooling["pooling_mode_mean_tokens"] != .bool(true) {
            throw DataError("\(directory)/1_Pooling/config.json: only mean pooling is supported")
        }
        if case .array(let modules)? = try json("modules.json") {
            normalizes = modules.contains { $0["type"] == .string("sentence_transformers.models.Normalize") }
        } else {
            normalizes = false
        }
    }

    /// Embeddings [N, hidden] (float32) of `sentences`, in their order.
    public func encode(_ sentences: [String], batchSize: Int = 32) -> Tensor {
        precondition(batchSize > 0, "SentenceEncoder.encode: batchSize must be positive, got \(batchSize)")
        guard !sentences.isEmpty else { return Tensor.zeros([0, model.config.hiddenSize]) }
        let encodings = sentences.map { tokenizer.encode($0, maxLength: maxLength) }
        // Longest first, as sentence-transformers orders them; results go back to input order.
        let order = encodings.indices.sorted { encodings[$0].count > encodings[$1].count }
        var rows = [Tensor?](repeating: nil, count: sentences.count)
        noGrad {
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let members = Array(order[start..<min(start + batchSize, order.count)])
                let (hostIds, hostMask) = tokenizer.padded(members.map { encodings[$0] })
                let (ids, mask) = (hostIds.to(model.device), hostMask.to(model.device))
                var pooled = meanPooled(model(ids, attentionMask: mask), mask: mask)
                if normalizes { pooled = pooled / (pooled.square().sum(axis: 1, keepDims: true).sqrt().maximum(1e-12)) }
                pooled = pooled.to(.cpu)
                for (row, index) in members.enumerated() { rows[index] = pooled[row] }
            }
        }
        return Tensor.stack(rows.map { $0! })
    }

    /// The cosine similarity of two sentences' embeddings.
    public func similarity(_ a: String, _ b: String) -> Double {
        let embeddings = encode([a, b])
        let (x, y) = (embeddings[0], embeddings[1])
        return ((x * y).sum() / ((x.square().sum() * y.square().sum()).sqrt().maximum(1e-12))).item()
    }
}
