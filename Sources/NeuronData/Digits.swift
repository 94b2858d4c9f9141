import Neuron

/// The UCI handwritten digits that Debian's `python3-sklearn` ships
/// (`sklearn/datasets/data/digits.csv.gz`): 1,797 images of 8 × 8 pixels with values 0–16,
/// the label (0–9) in the last of 65 columns, read without Python.
public enum Digits {
    public static let defaultPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

    /// Images [N, 1, 8, 8] scaled to [0, 1] and int64 labels [N]. A malformed row is an error
    /// naming the file and the row; a missing file names the package.
    public static func load(path: String = Digits.defaultPath) throws -> TensorDataset {
        let bytes: [UInt8]
        do {
            bytes = try readFileBytes(path)
        } catch {
            throw DataError(
                path == defaultPath ? "\(path) not found: install Debian's python3-sklearn (apt-get install python3-sklearn)" : "\(error)")
        }
        let text = String(decoding: Compression.isGzip(bytes) ? try Compression.inflate(bytes, windowBits: 31) : bytes, as: UTF8.self)
        var pixels: [Double] = [], labels: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let row = line.trimmingSuffixCarriageReturn()
            if row.isEmpty { continue }
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 65 else {
                throw DataError("\(path): row \(index + 1) has \(fields.count) fields, expected 64 pixels and a label")
            }
            for field in fields.dropLast() {
                guard let value = Double(field), value >= 0, value <= 16 else {
                    throw DataError("\(path): row \(index + 1): pixel '\(field)' is not a number from 0 to 16")
                }
                pixels.append(value / 16)
            }
            guard let label = Int(fields[64]), (0...9).contains(label) else {
                throw DataError("\(path): row \(index + 1): label '\(fields[64])' is not a digit from 0 to 9")
            }
            labels.append(label)
        }
        guard !labels.isEmpty else { throw DataError("\(path): no rows") }
        return TensorDataset(inputs: Tensor(pixels, shape: [labels.count, 1, 8, 8], dtype: .float32), targets: Tensor(labels))
    }

    /// Images [N, C, H, W] resized to `size` × `size` by bilinear interpolation with
    /// half-pixel centres (PyTorch's `interpolate(mode="bilinear", align_corners=False)`).
    public static func resize(_ images: Tensor, to size: Int) -> Tensor {
        precondition(images.rank == 4, "Digits.resize: expects [N, C, H, W], got \(images.shape)")
        let (h, w) = (images.shape[2], images.shape[3])
        // Separable: rows = A_h · image · A_wᵀ with interpolation matrices A [size, h].
        func weights(_ input: Int) -> Tensor {
            var a = [Double](repeating: 0, count: size * input)
            let scale = Double(input) / Double(size)
            for o in 0..<size {
                let x = max((Double(o) + 0.5) * scale - 0.5, 0)
                let x0 = min(Int(x), input - 1), x1 = min(x0 + 1, input - 1)
                let t = x - Double(x0)
                a[o * input + x0] += 1 - t
                a[o * input + x1] += t
            }
            return Tensor(a, shape: [size, input], dtype: images.dtype)
        }
        return weights(h).matmul(images).matmul(weights(w).T)
    }
}

extension Substring {
    func trimmingSuffixCarriageReturn() -> Substring { hasSuffix("\r") ? dropLast() : self }
}
