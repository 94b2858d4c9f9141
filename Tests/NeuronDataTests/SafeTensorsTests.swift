import Neuron
import NeuronData
import Testing

@Suite struct SafeTensorsTests {
    @Test func readsEveryDtypeWrittenByPython() throws {
        let (t, metadata) = try SafeTensors.read(DataFixtures.path("python.safetensors"))
        #expect(metadata == ["format": "pt", "note": "written by python"])
        #expect(t["f32"]!.shape == [2, 3] && t["f32"]!.toArray(Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(t["f64"]!.dtype == .float64 && t["f64"]!.toArray(Double.self) == [1.5, -2.25, 1e-300])
        #expect(t["i64"]!.toArray(Int.self) == [-3, 4, 1 << 40, -1])
        #expect(t["bool"]!.toArray(Bool.self) == [true, false, false, true])
        #expect(t["f16"]!.toArray(Float.self) == [0.5, -1, 65504])
        #expect(t["bf16"]!.dtype == .bfloat16 && t["bf16"]!.toArray(Float.self) == [1, -3.5])
        #expect(t["i32"]!.toArray(Int.self) == [7, -8])
        #expect(t["u8"]!.toArray(Int.self) == [0, 128, 255])
        #expect(t["scalar"]!.shape == [] && t["scalar"]!.item() == 3.25)
        #expect(t["empty"]!.shape == [0, 4])
        let (numpy, none) = try SafeTensors.read(DataFixtures.path("python_numpy.safetensors"))
        #expect(none.isEmpty && numpy["weight"]!.toArray(Float.self) == [1, 2, 3, 4] && numpy["bias"]!.toArray(Float.self) == [0.5, -0.5])
    }

    @Test func writesWhatItReads() throws {
        let folder = temporaryDirectory()
        let tensors: [String: Tensor] = [
            "layer.weight": Tensor.normal([3, 4]), "bn.num_batches_tracked": Tensor([7]).reshaped([]),
            "mask": Tensor([true, false]), "table": Tensor([1.5, 2.5], dtype: .float64),
            "view": Tensor.arange(0, 6).reshaped([2, 3]).T,
        ]
        try SafeTensors.write(tensors, metadata: ["note": "neuron"], to: folder + "/a.safetensors")
        let bytes = try readFileBytes(folder + "/a.safetensors")
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + headerLength) % 8 == 0)
        let (back, metadata) = try SafeTensors.read(folder + "/a.safetensors")
        #expect(metadata == ["note": "neuron"])
        for (name, tensor) in tensors {
            #expect(back[name]!.shape == tensor.shape && back[name]!.dtype == tensor.dtype)
            #expect(back[name]!.toArray(Double.self) == tensor.toArray(Double.self), "\(name)")
        }
        #expect(back["bn.num_batches_tracked"]!.dtype == .int64)
    }

    static let f32x2 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

    static let malformed: [(String, [UInt8])] = [
        ("file too short", [1, 2, 3]),
        ("runs past the end", safetensorsBytes(header: "{}", data: [], declaredLength: 400)),
        ("exceeds the 100000000-byte limit", safetensorsBytes(header: "{}", data: [], declaredLength: 1 << 40)),
        ("not valid JSON", safetensorsBytes(header: "{\"a\":", data: [])),
        ("not a JSON object", safetensorsBytes(header: "[1, 2]  ", data: [])),
        ("unknown dtype 'F8'", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", data: [0])),
        (
            "unknown field 'extra'",
            safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", data: [0, 0, 0, 0])
        ),
        ("needs 8", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])),
        (
            "overlaps",
            safetensorsBytes(
                header: "{\(f32x2),\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: [UInt8](repeating: 0, count: 8))
        ),
        (
            "gap of 4 bytes",
            safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: [UInt8](repeating: 0, count: 8))
        ),
        ("4 unexpected bytes", safetensorsBytes(header: "{\(f32x2)}", data: [UInt8](repeating: 0, count: 12))),
        ("data is truncated", safetensorsBytes(header: "{\(f32x2)}", data: [0, 0, 0])),
        ("appears twice", safetensorsBytes(header: "{\(f32x2),\(f32x2)}", data: [UInt8](repeating: 0, count: 8))),
        ("is not a string", safetensorsBytes(header: "{\"__metadata__\":{\"k\":3}}", data: [])),
        (
            "larger than the file",
            safetensorsBytes(
                header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", data: [UInt8](repeating: 0, count: 8))
        ),
        ("non-negative integers", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", data: [])),
        ("data_offsets must be", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", data: [])),
    ]

    @Test(arguments: malformed.indices)
    func rejectsMalformedFiles(_ i: Int) {
        let (fragment, bytes) = Self.malformed[i]
        expectDataError(fragment) { _ = try SafeTensors.decode(bytes) }
    }

    @Test func missingFileNamesThePath() {
        expectDataError("/nonexistent/x.safetensors: No such file") { _ = try SafeTensors.read("/nonexistent/x.safetensors") }
    }
}
