import Neuron

/// PyTorch's checkpoint files (`torch.save`'s `.pt`/`.pth`), read without Python and without
/// running anything: both of its formats, the zip archive (`…/data.pkl` and one entry per
/// storage) and the legacy stream (pickles followed by the raw storages), through a pickle
/// reader that allows only what `torch.load(weights_only=True)` does for weights: dicts,
/// `OrderedDict`, the storage types and the tensor-rebuilding calls. Views sharing a storage,
/// offsets and strides are honoured. float16 and bfloat16 become float32 and the integer types
/// int64 (exactly), as safetensors files do here; bool stays bool.
///
/// A checkpoint that nests its state dict (`{"model": {...}, "epoch": 3}`) is flattened with
/// dotted names (`model.fc.weight`); values that are not tensors are left out.
public enum TorchCheckpoint {
    /// The tensors of a `.pt`/`.pth` file by name, ready for `load(stateDict:)`.
    public static func read(_ path: String) throws -> [String: Tensor] {
        do {
            return try decode(try readFileBytes(path))
        } catch let error as DataError {
            throw error.message.hasPrefix(path) ? error : DataError("\(path): \(error.message)")
        }
    }

    public static func decode(_ bytes: [UInt8]) throws -> [String: Tensor] {
        let root: PickleValue
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            root = try zipArchive(bytes)
        } else if bytes.first == 0x80 {
            root = try legacyStream(bytes)
        } else {
            throw DataError("not a PyTorch checkpoint (neither a zip archive nor a pickle stream)")
        }
        var tensors: [String: Tensor] = [:]
        try flatten(root, prefix: "", into: &tensors)
        guard !tensors.isEmpty else { throw DataError("holds no tensors (expected a state dict)") }
        return tensors
    }

    /// The zip format: `<name>/data.pkl` refers to storages stored as `<name>/data/<key>`.
    static func zipArchive(_ bytes: [UInt8]) throws -> PickleValue {
        let entries = try ZipArchive.entries(bytes)
        guard let pickle = entries.first(where: { $0.name.hasSuffix("data.pkl") }) else {
            throw DataError("zip archive without data.pkl: not a PyTorch checkpoint")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = entries.first(where: { $0.name == prefix + "byteorder" }), String(decoding: order.data, as: UTF8.self) != "little" {
            throw DataError("big-endian storages are not supported")
        }
        let files = Dictionary(entries.map { ($0.name, $0.data) }, uniquingKeysWith: { a, _ in a })
        var storages: [String: TorchStorage] = [:]
        var position = 0
        let value = try unpickler { key, type, count in
            if let storage = storages[key] { return storage }
            guard let data = files[prefix + "data/" + key] else { throw DataError("storage '\(key)' missing from the archive") }
            guard data.count >= count * type.size else {
                throw DataError("storage '\(key)' holds \(data.count) bytes, fewer than \(count) \(type.name) values")
            }
            let storage = TorchStorage(type: type, count: count)
            storage.bytes = data
            storages[key] = storage
            return storage
        }.load(pickle.data, from: &position)
        return value
    }

    /// The legacy format: pickles of a magic number, a protocol version and the system's
    /// sizes, the object, the sorted storage keys, then each storage as an int64 count and its
    /// values.
    static func legacyStream(_ bytes: [UInt8]) throws -> PickleValue {
        let plain = RestrictedUnpickler(
            call: { module, name, _ in throw DataError("pickle: refused call of '\(module).\(name)'") },
            allowsGlobal: { _, _ in false }, persistentLoad: { _ in throw DataError("pickle: unexpected persistent id") })
        var position = 0
        guard case .bytes(let magic) = try plain.load(bytes, from: &position),
            magic == [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        else { throw DataError("not a PyTorch checkpoint (wrong magic number)") }
        guard case .int(let version) = try plain.load(bytes, from: &position), version == 1001 else {
            throw DataError("unsupported legacy protocol version")
        }
        if case .dict(let info) = try plain.load(bytes, from: &position),
            let endian = info.entries.first(where: { if case .string("little_endian") = $0.key { true } else { false } }),
            case .bool(false) = endian.value
        {
            throw DataError("big-endian storages are not supported")
        }
        var storages: [String: TorchStorage] = [:]
        let value = try unpickler { key, type, count in
            if let storage = storages[key] { return storage }
            let storage = TorchStorage(type: type, count: count)
            storages[key] = storage
            return storage
        }.load(bytes, from: &position)
        guard case .list(let keys) = try plain.load(bytes, from: &position) else { throw DataError("legacy stream lacks its storage keys") }
        for case .string(let key) in keys.items {
            guard position + 8 <= bytes.count else { throw DataError("truncated before storage '\(key)'") }
            var count = 0
            for i in 0..<8 { count |= Int(bytes[position + i]) << (8 * i) }
            position += 8
            guard let storage = storages[key] else { throw DataError("storage '\(key)' is not referred to") }
            let length = count * storage.type.size
            guard count >= storage.count, position + length <= bytes.count else {
                throw DataError("truncated: storage '\(key)' needs \(length) bytes, \(bytes.count - position) remain")
            }
            storage.bytes = Array(bytes[position..<(position + length)])
            position += length
        }
        return value
    }

    /// The unpickler of a checkpoint's object: storages through `storage(key, type, count)`.
    static func unpickler(_ storage: @escaping (String, TorchType, Int) throws -> TorchStorage) -> RestrictedUnpickler {
        RestrictedUnpickler(
            call: rebuild,
            allowsGlobal: { module, name in
                (module == "torch" && (TorchType(storageClass: name) != nil || name == "Size"))
                    || (module == "collections" && name == "OrderedDict")
                    || (module == "torch._utils"
                        && ["_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state"].contains(name))
            },
            persistentLoad: { id in
                // ('storage', torch.FloatStorage, key, location, count[, view metadata])
                guard case .tuple(let parts) = id, parts.count >= 5, case .string("storage") = parts[0],
                    case .global(_, let className) = parts[1], let type = TorchType(storageClass: className),
                    case .string(let key) = parts[2], case .int(let count) = parts[4]
                else { throw DataError("pickle: persistent id is not a storage reference") }
                let root = try storage(key, type, count)
                if parts.count > 5, case .tuple(let view) = parts[5], view.count == 3, case .int(let offset) = view[1],
                    case .int(let viewCount) = view[2]
                {
                    return .persistent(TorchStorageView(root: root, offset: offset, count: viewCount))
                }
                return .persistent(TorchStorageView(root: root, offset: 0, count: count))
            })
    }

    /// The allowed calls: rebuilding a tensor or a parameter, an empty `OrderedDict`, `torch.Size`.
    static func rebuild(_ module: String, _ name: String, _ arguments: [PickleValue]) throws -> PickleValue {
        switch (module, name) {
        case ("collections", "OrderedDict"):
            return .dict(PickleDict())
        case ("torch", "Size"):
            return arguments.first ?? .tuple([])
        case ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"):
            guard arguments.count >= 4, case .persistent(let object) = arguments[0], let storage = object as? TorchStorageView,
                case .int(let offset) = arguments[1], let shape = integers(arguments[2]), let strides = integers(arguments[3]),
                shape.count == strides.count
            else { throw DataError("pickle: _rebuild_tensor with unexpected arguments") }
            return .object(TorchTensorView(storage: storage, offset: offset, shape: shape, strides: strides))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let tensor = arguments.first, case .object = tensor else { throw DataError("pickle: _rebuild_parameter without a tensor") }
            return tensor
        default:
            throw DataError("pickle: refused call of '\(module).\(name)'")
        }
    }

    static func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let n) = item else { return nil }
            result.append(n)
        }
        return result
    }

    static func flatten(_ value: PickleValue, prefix: String, into tensors: inout [String: Tensor]) throws {
        guard case .dict(let dict) = value else {
            if prefix.isEmpty { throw DataError("holds no dict of tensors (expected a state dict)") }
            return
        }
        for (key, item) in dict.entries {
            let name: String
            switch key {
            case .string(let text): name = prefix + text
            case .int(let number): name = prefix + String(number)
            default: continue
            }
            switch item {
            case .object(let object as TorchTensorView): tensors[name] = try object.tensor(named: name)
            case .dict: try flatten(item, prefix: name + ".", into: &tensors)
            default: continue
            }
        }
    }
}

/// The element types of PyTorch's storages.
enum TorchType {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    init?(storageClass: String) {
        switch storageClass {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    var name: String { "\(self)" }
}

/// A storage's values, filled when its bytes are read.
final class TorchStorage {
    let type: TorchType
    let count: Int
    var bytes: [UInt8] = []
    init(type: TorchType, count: Int) { (self.type, self.count) = (type, count) }
}

/// A storage as a tensor refers to it: all of a root storage, or (legacy views) part of one.
final class TorchStorageView {
    let root: TorchStorage
    let offset: Int, count: Int
    init(root: TorchStorage, offset: Int, count: Int) { (self.root, self.offset, self.count) = (root, offset, count) }
}

/// A tensor's place in its storage, turned into a `Tensor` once every storage has been read.
final class TorchTensorView {
    let storage: TorchStorageView
    let offset: Int
    let shape: [Int], strides: [Int]

    init(storage: TorchStorageView, offset: Int, shape: [Int], strides: [Int]) {
        (self.storage, self.offset, self.shape, self.strides) = (storage, offset, shape, strides)
    }

    func tensor(named name: String) throws -> Tensor {
        let count = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), offset >= 0 else { throw DataError("\(name): negative size or offset") }
        // Element positions in the root storage, row-major over `shape`.
        var positions = [Int](repeating: storage.offset + offset, count: count)
        var block = count
        for (size, stride) in zip(shape, strides) where size > 0 {
            block /= size
            for i in 0..<count { positions[i] += (i / block) % size * stride }
        }
        let root = storage.root
        let limit = min(storage.offset + storage.count, root.bytes.count / root.type.size)
        if let bad = positions.first(where: { $0 < 0 || $0 >= limit }) {
            throw DataError("\(name): element \(bad) lies outside its storage of \(limit) values")
        }
        return root.bytes.withUnsafeBytes { raw in
            func values<T>(_ type: T.Type) -> [T] { positions.map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
            switch root.type {
            case .float32: return Tensor(values(Float.self), shape: shape)
            case .float64: return Tensor(values(Double.self), shape: shape, dtype: .float64)
            case .float16: return Tensor(values(UInt16.self).map { Float(Float16(bitPattern: $0)) }, shape: shape)
            case .bfloat16: return values(UInt16.self).withUnsafeBytes { Tensor(bytes: $0, shape: shape, dtype: .bfloat16) }
            case .int64: return Tensor(values(Int64.self).map { Int($0) }, shape: shape)
            case .int32: return Tensor(values(Int32.self).map { Int($0) }, shape: shape)
            case .int16: return Tensor(values(Int16.self).map { Int($0) }, shape: shape)
            case .int8: return Tensor(values(Int8.self).map { Int($0) }, shape: shape)
            case .uint8: return Tensor(values(UInt8.self).map { Int($0) }, shape: shape)
            case .bool: return Tensor(values(UInt8.self).map { $0 != 0 }, shape: shape)
            }
        }
    }
}
