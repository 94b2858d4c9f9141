import Foundation
import Neuron
import NeuronData
import Testing

@Suite struct FormatTests {
    @Test func readsNumPyFilesWrittenByNumPy() throws {
        func npy(_ name: String) throws -> Tensor { try NPY.read(DataFixtures.path(name)) }
        #expect(try npy("f32.npy").shape == [2, 3] && npy("f32.npy").toArray(Float.self) == [0, 0.5, 1, 1.5, 2, 2.5])
        #expect(try npy("f64.npy").toArray(Double.self) == [0.1, 0.2, -0.3, 1e10])
        #expect(try npy("i64.npy").toArray(Int.self) == [1, -2, 3])
        #expect(try npy("i32.npy").toArray(Int.self) == [1, 2, 3, 4])
        #expect(try npy("u8.npy").toArray(Int.self) == [0, 1, 254, 255])
        #expect(try npy("bool.npy").toArray(Bool.self) == [true, false, true])
        #expect(try npy("fortran.npy").shape == [2, 3] && npy("fortran.npy").toArray(Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(try npy("scalar.npy").shape == [] && npy("scalar.npy").item() == 2.5)
        #expect(try npy("big_endian.npy").toArray(Float.self) == [1, -2])
        #expect(try npy("v2.npy").toArray(Float.self) == [1, 2])
    }

    @Test func numpyRoundTrip() throws {
        let folder = temporaryDirectory()
        for tensor in [
            Tensor.normal([2, 3, 4]), Tensor([1, 2, 3]), Tensor([true, false]), Tensor(4.5, dtype: .float64),
            Tensor.arange(0, 6).reshaped([2, 3]).T,
        ] {
            try NPY.write(tensor, to: folder + "/t.npy")
            let back = try NPY.read(folder + "/t.npy")
            #expect(back.shape == tensor.shape && back.dtype == tensor.dtype && back.toArray(Double.self) == tensor.toArray(Double.self))
            let bytes = try readFileBytes(folder + "/t.npy")
            #expect((bytes[8...9].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) } + 10) % 64 == 0)
        }
    }

    @Test func readsAndWritesNpzArchives() throws {
        for name in ["arrays.npz", "arrays_compressed.npz"] {
            let arrays = try NPZ.read(DataFixtures.path(name))
            #expect(arrays["x"]!.toArray(Float.self) == [1, 2, 3, 4] && arrays["x"]!.shape == [2, 2], "\(name)")
            #expect(arrays["y"]!.toArray(Int.self) == [5, 6, 7], "\(name)")
        }
        let folder = temporaryDirectory()
        try NPZ.write(["weights": Tensor.normal([3, 2]), "labels": Tensor([4, 5])], to: folder + "/a.npz")
        let back = try NPZ.read(folder + "/a.npz")
        #expect(back["labels"]!.toArray(Int.self) == [4, 5] && back["weights"]!.shape == [3, 2])
    }

    @Test func readsIDXFiles() throws {
        let images = try IDX.read(DataFixtures.path("images.idx3-ubyte.gz"))
        #expect(images.shape == [3, 2, 3] && images.toArray(Int.self) == Array(0..<18))
        #expect(try IDX.read(DataFixtures.path("labels.idx1-ubyte.gz")).toArray(Int.self) == [7, 0, 9])
        #expect(try IDX.read(DataFixtures.path("images.idx3-ubyte.gz"), asFloat: true).dtype == .float32)
        #expect(try IDX.read(DataFixtures.path("floats.idx.gz")).toArray(Float.self) == [1.5, -2, 0.25, 8])
        #expect(try IDX.read(DataFixtures.path("plain.idx1-ubyte")).toArray(Int.self) == [1, 2, 3, 4])
    }

    @Test func parsesCSV() throws {
        let table = try CSV.read(DataFixtures.path("series.csv"))
        #expect(table.header == ["date", "value", "other"])
        #expect(table.rows.count == 5)
        #expect(table.rows[1] == ["2024-01-02", "2.25", "1,5"])
        #expect(table.rows[2][2] == "")
        #expect(try table.numbers(column: table.column(named: "value")) == [1.5, 2.25, -3, 4.75, 1000])
        #expect(try CSV.parse("a,\"b \"\"q\"\"\"\r\n1,2\r\n") == [["a", "b \"q\""], ["1", "2"]])
        expectDataError("no column 'missing'") { _ = try table.column(named: "missing") }
        expectDataError("is not a number") { _ = try table.numbers(column: 0) }
        expectDataError("unterminated quoted field") { _ = try CSV.parse("a,\"b\n") }
        let folder = temporaryDirectory()
        try Array("a,b\n1,2\n3\n".utf8).withUnsafeBytes { try writeFileAtomically(folder + "/ragged.csv", [$0]) }
        expectDataError("row 3 has 1 fields, the header has 2") { _ = try CSV.read(folder + "/ragged.csv") }
        try [UInt8]([0xFF, 0xFE, 0x41]).withUnsafeBytes { try writeFileAtomically(folder + "/binary.csv", [$0]) }
        expectDataError("not UTF-8 text") { _ = try CSV.read(folder + "/binary.csv") }
        try [UInt8]().withUnsafeBytes { try writeFileAtomically(folder + "/empty.csv", [$0]) }
        expectDataError("empty CSV file") { _ = try CSV.read(folder + "/empty.csv") }
    }

    static let badIDX: [(String, [UInt8])] = [
        ("too short", [0, 0]),
        ("bad magic", [1, 0, 8, 1, 0, 0, 0, 1, 5]),
        ("unknown IDX element type 0x7", [0, 0, 7, 1, 0, 0, 0, 1, 5]),
        ("declares no dimensions", [0, 0, 8, 0]),
        ("is truncated", [0, 0, 8, 3, 0, 0, 0, 1]),
        ("need 2 data bytes, file has 1", [0, 0, 8, 1, 0, 0, 0, 2, 5]),
        ("larger than the file", [0, 0, 8, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 1]),
    ]

    @Test(arguments: badIDX.indices)
    func rejectsMalformedIDX(_ i: Int) {
        expectDataError(Self.badIDX[i].0) { _ = try IDX.decode(Self.badIDX[i].1) }
    }

    @Test func rejectsMalformedNumPyFiles() {
        var good = DataFixtures.bytes("f32.npy")
        expectDataError("bad magic") { _ = try NPY.decode([0x93] + Array("NUMPZ".utf8) + [1, 0, 0, 0]) }
        expectDataError("unsupported .npy version 9") { _ = try NPY.decode(Array(good[0..<6]) + [9, 0] + Array(good[8...])) }
        expectDataError("needs 24 data bytes, file has 20") { _ = try NPY.decode(Array(good.dropLast(4))) }
        good.replaceSubrange(10..<20, with: Array("{'descr': ".utf8))
        let text = String(decoding: good[10..<128], as: UTF8.self)
        expectDataError("unsupported .npy dtype") {
            _ = try NPY.decode(
                Array(DataFixtures.bytes("f32.npy").prefix(10)) + Array(text.replacingOccurrences(of: "<f4", with: "<c8").utf8) + Array(good[128...]))
        }
        var lying = DataFixtures.bytes("f32.npy")
        lying[8] = 0xFF
        lying[9] = 0x7F
        expectDataError("runs past the end") { _ = try NPY.decode(lying) }
        var crc = DataFixtures.bytes("arrays.npz")
        crc[crc.count / 3] ^= 0x55
        #expect(throws: DataError.self) { _ = try NPZ.decode(crc) }
        expectDataError("not a zip archive") { _ = try NPZ.decode([UInt8](repeating: 0, count: 100)) }
    }
}
