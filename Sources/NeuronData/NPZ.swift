import Neuron

/// NumPy's `.npz` archives: a zip file of `.npy` entries, stored or deflated, with zip64
/// size fields as NumPy writes them. Entries are checked against their CRC-32.
public enum NPZ {
    public static func read(_ path: String) throws -> [String: Tensor] {
        do {
            return try decode(try readFileBytes(path))
        } catch let error as DataError {
            throw error.message.hasPrefix(path) ? error : DataError("\(path): \(error.message)")
        }
    }

    /// Writes arrays as stored (uncompressed) `.npy` entries, atomically.
    public static func write(_ arrays: [String: Tensor], to path: String) throws {
        let bytes = encode(arrays)
        try bytes.withUnsafeBytes { try writeFileAtomically(path, [$0]) }
    }

    public static func decode(_ bytes: [UInt8]) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, data) in try ZipArchive.entries(bytes) {
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            do {
                result[key] = try NPY.decode(data)
            } catch let error as DataError {
                throw DataError("\(name): \(error.message)")
            }
        }
        return result
    }

    public static func encode(_ arrays: [String: Tensor]) -> [UInt8] {
        var archive: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
        let names = arrays.keys.sorted()
        for key in names {
            let data = NPY.encode(arrays[key]!)
            let name = Array((key + ".npy").utf8)
            let crc = Int(data.withUnsafeBytes { Compression.crc32($0) })
            // Version 2.0, no flags, stored, DOS date 1980-01-01.
            let common =
                le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(data.count) + le32(data.count)
                + le16(name.count)
            central +=
                le32(0x0201_4B50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
                + le32(archive.count) + name
            archive += le32(0x0403_4B50) + common + le16(0) + name + data
        }
        let centralOffset = archive.count
        archive += central
        archive +=
            le32(0x0605_4B50) + le16(0) + le16(0) + le16(names.count) + le16(names.count)
            + le32(central.count) + le32(centralOffset) + le16(0)
        return archive
    }
}
