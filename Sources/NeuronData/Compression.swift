import CZlib

/// zlib-backed decompression with an output limit, so a lying or hostile file cannot make
/// the reader allocate without bound.
enum Compression {
    /// Default cap on decompressed bytes (the largest data set files are far below it).
    static let limit = 1 << 31

    /// Decompresses gzip data (`windowBits` 31) or raw deflate data (`windowBits` -15).
    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int = Compression.limit) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError("cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw DataError(status == Z_DATA_ERROR ? "corrupt compressed data" : "decompression failed (zlib \(status))")
                    }
                    let produced = buffer.count - Int(stream.avail_out)
                    guard output.count + produced <= limit else { throw DataError("decompressed data exceeds \(limit) bytes") }
                    output += buffer[0..<produced]
                }
                if status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw DataError("compressed data is truncated")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// True for data starting with the gzip magic bytes.
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// CRC-32 (zip, PNG).
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(CZlib.crc32(0, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }
}
