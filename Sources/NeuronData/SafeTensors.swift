import Neuron

/// The safetensors format (Hugging Face; what PyTorch checkpoints use): an 8-byte
/// little-endian header length, a JSON header (padded with spaces to 8 bytes) mapping names
/// to dtype, shape and data offsets, then the tensors packed without gaps.
/// Reading is strict: every malformed or inconsistent file gives a clear error.
public enum SafeTensors {
    /// Largest header accepted (the reference implementation's limit).
    static let maximumHeaderSize = 100_000_000

    static func typeName(_ dtype: DType) -> String {
        switch dtype {
        case .float32: "F32"
        case .float64: "F64"
        case .int64: "I64"
        case .bool: "BOOL"
        case .bfloat16: "BF16"
        }
    }

    /// Element size and the Neuron type a file dtype is loaded as.
    static func fileType(_ name: String) -> (size: Int, dtype: DType)? {
        switch name {
        case "F32": (4, .float32)
        case "F64": (8, .float64)
        case "I64": (8, .int64)
        case "BOOL": (1, .bool)
        case "BF16": (2, .bfloat16)
        case "F16": (2, .float32)
        case "I32": (4, .int64)
        case "I16": (2, .int64)
        case "I8", "U8": (1, .int64)
        default: nil
        }
    }

    /// Loads every tensor and the `__metadata__` strings of a file.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        do {
            return try decode(try readFileBytes(path))
        } catch let error as DataError {
            throw error.message.hasPrefix(path) ? error : DataError("\(path): \(error.message)")
        }
    }

    /// Parses safetensors bytes.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw DataError("file too short for a safetensors header (\(bytes.count) bytes)") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maximumHeaderSize) else { throw DataError("header length \(length) exceeds the \(maximumHeaderSize)-byte limit") }
        guard length >= 2 else { throw DataError("header length \(length) is too short") }
        guard Int(length) <= bytes.count - 8 else {
            throw DataError("header length \(length) runs past the end of the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(length)
        let header: JSON
        do {
            header = try JSON.parse(Array(bytes[8..<headerEnd]))
        } catch let error as JSON.ParseError {
            throw DataError("header is not valid JSON (\(error.reason) at byte \(error.offset))")
        }
        guard case .object(let entries) = header else { throw DataError("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var specs: [(name: String, type: String, shape: [Int], begin: Int, end: Int)] = []
        var seen = Set<String>()
        for (name, value) in entries {
            guard seen.insert(name).inserted else { throw DataError("tensor '\(name)' appears twice in the header") }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw DataError("__metadata__ is not an object") }
                for (key, item) in pairs {
                    guard case .string(let text) = item else { throw DataError("__metadata__ value '\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard case .object(let fields) = value else { throw DataError("tensor '\(name)': entry is not an object") }
            for (field, _) in fields where !["dtype", "shape", "data_offsets"].contains(field) {
                throw DataError("tensor '\(name)': unknown field '\(field)'")
            }
            guard case .string(let type)? = value["dtype"] else { throw DataError("tensor '\(name)': missing dtype") }
            guard fileType(type) != nil else { throw DataError("tensor '\(name)': unknown dtype '\(type)'") }
            guard case .array(let dims)? = value["shape"] else { throw DataError("tensor '\(name)': missing shape") }
            let shape = try dims.map { dim -> Int in
                guard case .number(let n) = dim, n >= 0, n == n.rounded(), n < 1e15 else {
                    throw DataError("tensor '\(name)': shape entries must be non-negative integers")
                }
                return Int(n)
            }
            guard case .array(let offsets)? = value["data_offsets"], offsets.count == 2,
                case .number(let b) = offsets[0], case .number(let e) = offsets[1],
                b >= 0, e >= b, b == b.rounded(), e == e.rounded(), e < 1e15
            else { throw DataError("tensor '\(name)': data_offsets must be two integers [begin, end] with begin ≤ end") }
            specs.append((name, type, shape, Int(b), Int(e)))
        }

        let dataSize = bytes.count - headerEnd
        var position = 0
        for spec in specs.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            let (size, _) = fileType(spec.type)!
            var count = 1
            for dim in spec.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= dataSize else {
                    throw DataError("tensor '\(spec.name)': shape \(spec.shape) is larger than the file")
                }
                count = product
            }
            guard spec.end - spec.begin == count * size else {
                throw DataError(
                    "tensor '\(spec.name)': data_offsets span \(spec.end - spec.begin) bytes but shape \(spec.shape) of \(spec.type) needs \(count * size)"
                )
            }
            if spec.begin < position { throw DataError("tensor '\(spec.name)': data overlaps another tensor") }
            if spec.begin > position { throw DataError("tensor '\(spec.name)': gap of \(spec.begin - position) bytes before its data") }
            position = spec.end
        }
        if position > dataSize { throw DataError("data is truncated: header needs \(position) bytes, file has \(dataSize)") }
        if position < dataSize { throw DataError("\(dataSize - position) unexpected bytes after the last tensor") }

        var tensors: [String: Tensor] = [:]
        for spec in specs {
            tensors[spec.name] = bytes.withUnsafeBytes { raw in
                makeTensor(
                    UnsafeRawBufferPointer(rebasing: raw[(headerEnd + spec.begin)..<(headerEnd + spec.end)]),
                    type: spec.type, shape: spec.shape)
            }
        }
        return (tensors, metadata)
    }

    static func makeTensor(_ data: UnsafeRawBufferPointer, type: String, shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        func load<T>(_: T.Type) -> [T] { (0..<count).map { data.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
        switch type {
        case "F32": return Tensor(load(Float.self), shape: shape)
        case "F64": return Tensor(load(Double.self), shape: shape, dtype: .float64)
        case "I64": return Tensor(load(Int64.self).map { Int($0) }, shape: shape)
        case "BOOL": return Tensor(load(UInt8.self).map { $0 != 0 }, shape: shape)
        case "I32": return Tensor(load(Int32.self).map { Int($0) }, shape: shape)
        case "I16": return Tensor(load(Int16.self).map { Int($0) }, shape: shape)
        case "I8": return Tensor(load(Int8.self).map { Int($0) }, shape: shape)
        case "U8": return Tensor(load(UInt8.self).map { Int($0) }, shape: shape)
        case "F16": return Tensor(load(UInt16.self).map { Float(Float16(bitPattern: $0)) }, shape: shape)
        default:  // BF16, kept as bfloat16
            return Tensor(bytes: UnsafeRawBufferPointer(rebasing: data[0..<(count * 2)]), shape: shape, dtype: .bfloat16)
        }
    }

    /// Serialises tensors (names sorted) and metadata strings.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        let names = tensors.keys.sorted()
        var entries: [(String, JSON)] = []
        if !metadata.isEmpty {
            entries.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        var dense: [Tensor] = []
        for name in names {
            let tensor = tensors[name]!.contiguous()
            let size = tensor.count * tensor.dtype.size
            entries.append(
                (
                    name,
                    .object([
                        ("dtype", .string(typeName(tensor.dtype))),
                        ("shape", .array(tensor.shape.map { .number(Double($0)) })),
                        ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + size))])),
                    ])
                ))
            offset += size
            dense.append(tensor)
        }
        var header = Array(JSON.object(entries).serialized.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        for i in 0..<8 { bytes.append(UInt8((UInt64(header.count) >> (8 * UInt64(i))) & 0xFF)) }
        bytes += header
        for tensor in dense {
            tensor.withUnsafeBytes { bytes += $0 }
        }
        return bytes
    }

    /// Writes a file atomically: an interrupted save leaves any previous file intact.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let bytes = encode(tensors, metadata: metadata)
        try bytes.withUnsafeBytes { try writeFileAtomically(path, [$0]) }
    }
}
