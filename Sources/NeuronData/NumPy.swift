import Neuron

/// NumPy's `.npy` files (versions 1–3): a magic string, a Python-literal header with
/// `descr`, `fortran_order` and `shape`, then the raw array.
public enum NPY {
    public static func read(_ path: String) throws -> Tensor {
        do {
            return try decode(try readFileBytes(path))
        } catch let error as DataError {
            throw error.message.hasPrefix(path) ? error : DataError("\(path): \(error.message)")
        }
    }

    public static func write(_ tensor: Tensor, to path: String) throws {
        let bytes = encode(tensor)
        try bytes.withUnsafeBytes { try writeFileAtomically(path, [$0]) }
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func decode(_ bytes: [UInt8]) throws -> Tensor {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw DataError("not a .npy file (bad magic string)") }
        let major = bytes[6]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw DataError("unsupported .npy version \(major).\(bytes[7])")
        }
        guard bytes.count >= 8 + lengthSize else { throw DataError("truncated .npy header") }
        var headerLength = 0
        for k in 0..<lengthSize { headerLength |= Int(bytes[8 + k]) << (8 * k) }
        let dataStart = 8 + lengthSize + headerLength
        guard dataStart <= bytes.count else { throw DataError(".npy header length \(headerLength) runs past the end of the file") }
        guard let header = String(validating: bytes[(8 + lengthSize)..<dataStart], as: UTF8.self) else {
            throw DataError(".npy header is not text")
        }
        let (descr, fortran, shape) = try parseHeader(header)
        guard let type = ElementType(descr) else { throw DataError("unsupported .npy dtype '\(descr)'") }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= bytes.count else { throw DataError(".npy shape \(shape) is larger than the file") }
            count = product
        }
        guard bytes.count - dataStart == count * type.size else {
            throw DataError(".npy shape \(shape) of \(descr) needs \(count * type.size) data bytes, file has \(bytes.count - dataStart)")
        }
        let tensor = bytes.withUnsafeBytes {
            type.load(UnsafeRawBufferPointer(rebasing: $0[dataStart...]), count: count, shape: fortran ? shape.reversed() : shape)
        }
        return fortran ? tensor.permuted(Array((0..<shape.count).reversed())).contiguous() : tensor
    }

    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
    static func parseHeader(_ text: String) throws -> (String, Bool, [Int]) {
        var scanner = LiteralScanner(Array(text.utf8))
        var descr: String?, fortran: Bool?, shape: [Int]?
        try scanner.expect("{")
        while true {
            scanner.skipSpace()
            if scanner.consume("}") { break }
            let key = try scanner.quoted()
            try scanner.expect(":")
            switch key {
            case "descr": descr = try scanner.quoted()
            case "fortran_order": fortran = try scanner.boolean()
            case "shape": shape = try scanner.intTuple()
            default: throw DataError(".npy header has unknown key '\(key)'")
            }
            scanner.skipSpace()
            if scanner.consume(",") { continue }
            try scanner.expect("}")
            break
        }
        guard let descr, let fortran, let shape else { throw DataError(".npy header lacks descr, fortran_order or shape") }
        return (descr, fortran, shape)
    }

    struct ElementType {
        let size: Int
        let kind: UInt8
        let bigEndian: Bool

        init?(_ descr: String) {
            let chars = Array(descr.utf8)
            guard chars.count >= 3, let size = Int(String(decoding: chars[2...], as: UTF8.self)) else { return nil }
            let order = chars[0]
            guard [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "=")].contains(order) else { return nil }
            let kind = chars[1]
            let valid: Bool
            switch kind {
            case UInt8(ascii: "f"): valid = [2, 4, 8].contains(size)
            case UInt8(ascii: "i"), UInt8(ascii: "u"): valid = [1, 2, 4, 8].contains(size)
            case UInt8(ascii: "b"): valid = size == 1
            default: valid = false
            }
            guard valid else { return nil }
            self.size = size
            self.kind = kind
            self.bigEndian = order == UInt8(ascii: ">")
        }

        func load(_ data: UnsafeRawBufferPointer, count: Int, shape: [Int]) -> Tensor {
            func raw(_ i: Int) -> UInt64 {
                var v: UInt64 = 0
                for k in 0..<size {
                    let byte = UInt64(data[i * size + (bigEndian ? k : size - 1 - k)])
                    v = v << 8 | byte
                }
                return v
            }
            switch (kind, size) {
            case (UInt8(ascii: "f"), 4): return Tensor((0..<count).map { Float(bitPattern: UInt32(raw($0))) }, shape: shape)
            case (UInt8(ascii: "f"), 8): return Tensor((0..<count).map { Double(bitPattern: raw($0)) }, shape: shape, dtype: .float64)
            case (UInt8(ascii: "f"), _): return Tensor((0..<count).map { Float(Float16(bitPattern: UInt16(raw($0)))) }, shape: shape)
            case (UInt8(ascii: "b"), _): return Tensor((0..<count).map { raw($0) != 0 }, shape: shape)
            case (UInt8(ascii: "u"), _): return Tensor((0..<count).map { Int(truncatingIfNeeded: raw($0)) }, shape: shape)
            default:
                let shift = UInt64(64 - 8 * size)
                return Tensor((0..<count).map { Int(Int64(bitPattern: raw($0) << shift) >> Int64(shift)) }, shape: shape)
            }
        }
    }

    static func descr(_ dtype: DType) -> String {
        switch dtype {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int64: "<i8"
        case .bool: "|b1"
        case .bfloat16: "<f4"  // NumPy has no bfloat16: written widened (see encode)
        }
    }

    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let tensor = tensor.dtype == .bfloat16 ? tensor.to(.float32) : tensor
        let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.rank == 1 ? "," : "")
        var header = "{'descr': '\(descr(tensor.dtype))', 'fortran_order': False, 'shape': (\(shape)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        var bytes = magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
        tensor.withUnsafeBytes { bytes += $0 }
        return bytes
    }
}

/// Reads the few Python literals a .npy header uses.
struct LiteralScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x09, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func consume(_ token: String) -> Bool {
        skipSpace()
        let t = Array(token.utf8)
        guard position + t.count <= bytes.count, Array(bytes[position..<position + t.count]) == t else { return false }
        position += t.count
        return true
    }

    mutating func expect(_ token: String) throws {
        guard consume(token) else { throw DataError(".npy header: expected '\(token)' at character \(position)") }
    }

    mutating func quoted() throws -> String {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") else {
            throw DataError(".npy header: expected a string at character \(position)")
        }
        let quote = bytes[position]
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != quote { position += 1 }
        guard position < bytes.count else { throw DataError(".npy header: unterminated string") }
        defer { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func boolean() throws -> Bool {
        if consume("True") { return true }
        if consume("False") { return false }
        throw DataError(".npy header: expected True or False at character \(position)")
    }

    mutating func intTuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while true {
            if consume(")") { return values }
            skipSpace()
            let start = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            guard position > start, position - start < 16, let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                throw DataError(".npy header: expected a dimension at character \(start)")
            }
            values.append(value)
            if consume(",") { continue }
            try expect(")")
            return values
        }
    }
}
