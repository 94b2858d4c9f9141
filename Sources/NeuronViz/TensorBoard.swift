import Glibc
import Neuron
import NeuronData

/// Writes TensorBoard event files (`events.out.tfevents.<time>.<host>`): TFRecord framing
/// (length, masked CRC-32C of the length, payload, masked CRC-32C of the payload) around
/// hand-encoded `Event`/`Summary` protocol buffers holding scalars and PNG images.
public final class TensorBoardWriter {
    public let path: String
    let file: UnsafeMutablePointer<FILE>

    /// Creates `directory` if needed and starts a new event file in it.
    public init(directory: String, wallTime: Double? = nil) throws {
        try makeDirectories(directory)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let time = wallTime ?? TensorBoardWriter.now()
        path = "\(directory)/events.out.tfevents.\(Int(time)).\(String(cString: host))"
        guard let file = fopen(path, "wb") else { throw DataError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        self.file = file
        try write(TensorBoardWriter.event(wallTime: time, step: 0, fileVersion: "brain.Event:2"))
    }

    deinit { fclose(file) }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Logs one scalar under `tag` (e.g. "loss/train") at `step`.
    public func scalar(_ tag: String, _ value: Double, step: Int, wallTime: Double? = nil) throws {
        try write(TensorBoardWriter.scalarEvent(tag, value, step: step, wallTime: wallTime ?? TensorBoardWriter.now()))
    }

    /// Logs a PNG image under `tag`.
    public func image(
        _ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int,
        wallTime: Double? = nil
    ) throws {
        try write(
            TensorBoardWriter.imageEvent(
                tag, png: png, width: width, height: height, channels: channels,
                step: step, wallTime: wallTime ?? TensorBoardWriter.now()))
    }

    static func scalarEvent(_ tag: String, _ value: Double, step: Int, wallTime: Double) -> [UInt8] {
        var summaryValue = Protobuf()
        summaryValue.string(1, tag)
        summaryValue.float(2, Float(value))
        return event(wallTime: wallTime, step: step, summaryValues: [summaryValue])
    }

    static func imageEvent(
        _ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int,
        wallTime: Double
    ) -> [UInt8] {
        var image = Protobuf()
        image.varint(1, UInt64(height))
        image.varint(2, UInt64(width))
        image.varint(3, UInt64(channels))
        image.bytes(4, png)
        var summaryValue = Protobuf()
        summaryValue.string(1, tag)
        summaryValue.message(4, image)
        return event(wallTime: wallTime, step: step, summaryValues: [summaryValue])
    }

    /// Pushes buffered records to the file.
    public func flush() { fflush(file) }

    static func event(wallTime: Double, step: Int, fileVersion: String? = nil, summaryValues: [Protobuf] = []) -> [UInt8] {
        var event = Protobuf()
        // proto3 leaves fields at their default value out.
        if wallTime != 0 { event.double(1, wallTime) }
        if step != 0 { event.varint(2, UInt64(bitPattern: Int64(step))) }
        if let fileVersion { event.string(3, fileVersion) }
        if !summaryValues.isEmpty {
            var summary = Protobuf()
            for value in summaryValues { summary.message(1, value) }
            event.message(5, summary)
        }
        return event.bytes
    }

    /// One TFRecord: the framing TensorBoard's reader checks.
    static func record(_ payload: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        for i in 0..<8 { length.append(UInt8((UInt64(payload.count) >> (8 * UInt64(i))) & 0xFF)) }
        return length + littleEndian(maskedCRC32C(length)) + payload + littleEndian(maskedCRC32C(payload))
    }

    func write(_ payload: [UInt8]) throws {
        let framed = TensorBoardWriter.record(payload)
        guard fwrite(framed, 1, framed.count, file) == framed.count else { throw DataError("\(path): write failed") }
        fflush(file)
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32C (Castagnoli), as TFRecord uses.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
        let crc = crc32c(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// A minimal protocol-buffer encoder (the wire types events need).
struct Protobuf {
    var bytes: [UInt8] = []

    mutating func key(_ field: Int, _ wireType: Int) { appendVarint(UInt64(field << 3 | wireType)) }

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        appendVarint(value)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        for i in 0..<8 { bytes.append(UInt8((value.bitPattern >> (8 * UInt64(i))) & 0xFF)) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        for i in 0..<4 { bytes.append(UInt8((value.bitPattern >> (8 * UInt32(i))) & 0xFF)) }
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, 2)
        appendVarint(UInt64(data.count))
        bytes += data
    }

    mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }
    mutating func message(_ field: Int, _ message: Protobuf) { bytes(field, message.bytes) }
}
