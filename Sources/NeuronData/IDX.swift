import Neuron

/// The IDX format of (Fashion-)MNIST: two zero bytes, a type code, the number of
/// dimensions, big-endian 32-bit sizes, then big-endian data. Gzip-compressed files are
/// decompressed transparently.
public enum IDX {
    /// Reads a `.idx` or `.idx.gz` file. Unsigned bytes become int64 (labels) unless
    /// `asFloat`, which gives float32 (pixel values unscaled), or `byteValues` (256 floats),
    /// which gives float32 with each byte mapped through that table in one pass (scaling and
    /// standardising pixels without a temporary the size of the dataset).
    public static func read(_ path: String, asFloat: Bool = false, byteValues: [Float]? = nil) throws -> Tensor {
        do {
            var bytes = try readFileBytes(path)
            if Compression.isGzip(bytes) { bytes = try Compression.inflate(bytes, windowBits: 31) }
            return try decode(bytes, asFloat: asFloat, byteValues: byteValues)
        } catch let error as DataError {
            throw error.message.hasPrefix(path) ? error : DataError("\(path): \(error.message)")
        }
    }

    public static func decode(_ bytes: [UInt8], asFloat: Bool = false, byteValues: [Float]? = nil) throws -> Tensor {
        precondition(byteValues == nil || byteValues!.count == 256, "IDX.decode: byteValues needs 256 entries")
        guard bytes.count >= 4 else { throw DataError("too short for an IDX header (\(bytes.count) bytes)") }
        guard bytes[0] == 0, bytes[1] == 0 else { throw DataError("not an IDX file (bad magic number)") }
        let (size, kind): (Int, String)
        switch bytes[2] {
        case 0x08: (size, kind) = (1, "u8")
        case 0x09: (size, kind) = (1, "i8")
        case 0x0B: (size, kind) = (2, "i16")
        case 0x0C: (size, kind) = (4, "i32")
        case 0x0D: (size, kind) = (4, "f32")
        case 0x0E: (size, kind) = (8, "f64")
        default: throw DataError("unknown IDX element type 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw DataError("IDX file declares no dimensions") }
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else { throw DataError("IDX header declares \(rank) dimensions but is truncated") }
        var shape: [Int] = []
        var count = 1
        for axis in 0..<rank {
            var dim = 0
            for k in 0..<4 { dim = dim << 8 | Int(bytes[4 + 4 * axis + k]) }
            shape.append(dim)
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= bytes.count else {
                throw DataError("IDX dimensions \(shape) are larger than the file (\(bytes.count) bytes)")
            }
            count = product
        }
        let expected = dataStart + count * size
        guard bytes.count == expected else {
            throw DataError("IDX dimensions \(shape) need \(expected - dataStart) data bytes, file has \(bytes.count - dataStart)")
        }
        func bigEndian(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<size { v = v << 8 | UInt64(bytes[dataStart + i * size + k]) }
            return v
        }
        switch kind {
        case "u8" where byteValues != nil:
            let table = byteValues!
            let values = Tensor.zeros(shape, device: .cpu)
            values.withUnsafeMutableBytes { raw in
                let out = raw.bindMemory(to: Float.self)
                for i in 0..<count { out[i] = table[Int(bytes[dataStart + i])] }
            }
            return values
        case "u8":
            return asFloat ? Tensor(bytes[dataStart...].map { Float($0) }, shape: shape) : Tensor(bytes[dataStart...].map { Int($0) }, shape: shape)
        case "i8": return Tensor((0..<count).map { Int(Int8(bitPattern: bytes[dataStart + $0])) }, shape: shape)
        case "i16": return Tensor((0..<count).map { Int(Int16(bitPattern: UInt16(bigEndian($0)))) }, shape: shape)
        case "i32": return Tensor((0..<count).map { Int(Int32(bitPattern: UInt32(bigEndian($0)))) }, shape: shape)
        case "f32": return Tensor((0..<count).map { Float(bitPattern: UInt32(bigEndian($0))) }, shape: shape)
        default: return Tensor((0..<count).map { Double(bitPattern: bigEndian($0)) }, shape: shape, dtype: .float64)
        }
    }
}
