/// Reading zip archives (NumPy's `.npz`, PyTorch's `.pt`): entries stored or deflated, with the
/// zip64 size fields NumPy and PyTorch write, each checked against its CRC-32.
enum ZipArchive {
    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }

    /// Every entry's name and contents, in the central directory's order.
    static func entries(_ bytes: [UInt8]) throws -> [(name: String, data: [UInt8])] {
        // The end-of-central-directory record sits in the last 22 + 65535 bytes.
        guard bytes.count >= 22 else { throw DataError("too short for a zip archive") }
        var end = -1
        var at = bytes.count - 22
        while at >= Swift.max(0, bytes.count - 22 - 65535) {
            if ZipArchive.u32(bytes, at) == 0x0605_4B50 {
                end = at
                break
            }
            at -= 1
        }
        guard end >= 0 else { throw DataError("not a zip archive (no end-of-central-directory record)") }
        let entries = ZipArchive.u16(bytes, end + 10)
        var position = ZipArchive.u32(bytes, end + 16)
        var result: [(name: String, data: [UInt8])] = []
        for _ in 0..<entries {
            guard position + 46 <= bytes.count, ZipArchive.u32(bytes, position) == 0x0201_4B50 else {
                throw DataError("corrupt zip central directory")
            }
            let method = ZipArchive.u16(bytes, position + 10)
            let crc = UInt32(ZipArchive.u32(bytes, position + 16))
            var compressed = UInt64(ZipArchive.u32(bytes, position + 20)), size = UInt64(ZipArchive.u32(bytes, position + 24))
            let nameLength = ZipArchive.u16(bytes, position + 28), extraLength = ZipArchive.u16(bytes, position + 30)
            let commentLength = ZipArchive.u16(bytes, position + 32)
            var localOffset = UInt64(ZipArchive.u32(bytes, position + 42))
            guard position + 46 + nameLength + extraLength <= bytes.count else { throw DataError("corrupt zip central directory") }
            let name = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            // Zip64: sizes and offset marked 0xFFFFFFFF live in extra field 0x0001, in order.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = ZipArchive.u16(bytes, extra), length = ZipArchive.u16(bytes, extra + 2)
                if id == 1 {
                    var field = extra + 4
                    for value in [0, 1, 2] {
                        let marked = value == 0 ? size == 0xFFFF_FFFF : value == 1 ? compressed == 0xFFFF_FFFF : localOffset == 0xFFFF_FFFF
                        guard marked else { continue }
                        guard field + 8 <= extra + 4 + length else { throw DataError("\(name): corrupt zip64 field") }
                        let v = ZipArchive.u64(bytes, field)
                        if value == 0 { size = v } else if value == 1 { compressed = v } else { localOffset = v }
                        field += 8
                    }
                }
                extra += 4 + length
            }
            position = extraEnd + commentLength
            guard localOffset + 30 <= UInt64(bytes.count), ZipArchive.u32(bytes, Int(localOffset)) == 0x0403_4B50 else {
                throw DataError("\(name): corrupt zip local header")
            }
            let local = Int(localOffset)
            let dataStart = local + 30 + ZipArchive.u16(bytes, local + 26) + ZipArchive.u16(bytes, local + 28)
            guard compressed <= UInt64(bytes.count), dataStart + Int(compressed) <= bytes.count else {
                throw DataError("\(name): entry runs past the end of the archive")
            }
            let raw = Array(bytes[dataStart..<(dataStart + Int(compressed))])
            let data: [UInt8]
            switch method {
            case 0: data = raw
            case 8: data = try Compression.inflate(raw, windowBits: -15, limit: Int(Swift.min(size, UInt64(Compression.limit))))
            default: throw DataError("\(name): unsupported zip compression method \(method)")
            }
            guard UInt64(data.count) == size else { throw DataError("\(name): size \(data.count) differs from the declared \(size)") }
            guard data.withUnsafeBytes({ Compression.crc32($0) }) == crc else { throw DataError("\(name): CRC mismatch") }
            result.append((name, data))
        }
        return result
    }

}
