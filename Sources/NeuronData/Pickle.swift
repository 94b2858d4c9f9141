/// A value of Python's pickle format, as far as a PyTorch state dict needs them.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global the unpickler allows (`collections.OrderedDict`, `torch.FloatStorage`, …).
    case global(module: String, name: String)
    /// What the loader's persistent-id function returned (a storage).
    case persistent(AnyObject)
    /// What an allowed call built (a tensor).
    case object(AnyObject)
}

final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A dict in insertion order (keys are compared as they are in state dicts: strings and ints).
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
}

/// Reads pickles safely: only the opcodes of protocols 0–5 that plain data needs, and only the
/// globals and calls the caller allows — what `torch.load(weights_only=True)` permits. Nothing
/// is ever executed; a pickle that names anything else is refused with what it named.
struct RestrictedUnpickler {
    /// Builds the value of an allowed call `callable(arguments)`, or throws for one not allowed.
    let call: (_ module: String, _ name: String, _ arguments: [PickleValue]) throws -> PickleValue
    /// Whether a global may be named at all.
    let allowsGlobal: (_ module: String, _ name: String) -> Bool
    /// Turns a persistent id (PyTorch's storage references) into a value.
    let persistentLoad: (PickleValue) throws -> PickleValue

    /// Unpickles one pickle starting at `position`, which ends just past its STOP opcode.
    func load(_ bytes: [UInt8], from position: inout Int) throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]

        func need(_ count: Int) throws {
            guard position + count <= bytes.count else { throw DataError("pickle: truncated (needs \(count) bytes at offset \(position))") }
        }
        func byte() throws -> UInt8 {
            try need(1)
            defer { position += 1 }
            return bytes[position]
        }
        func little(_ count: Int) throws -> UInt64 {
            try need(count)
            var value: UInt64 = 0
            for i in 0..<count { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
            position += count
            return value
        }
        func raw(_ count: Int) throws -> [UInt8] {
            guard count >= 0 else { throw DataError("pickle: negative length") }
            try need(count)
            defer { position += count }
            return Array(bytes[position..<(position + count)])
        }
        func line() throws -> String {
            guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw DataError("pickle: truncated (unterminated line)") }
            defer { position = end + 1 }
            return String(decoding: bytes[position..<end], as: UTF8.self)
        }
        func pop() throws -> PickleValue {
            guard let value = stack.popLast() else { throw DataError("pickle: stack underflow") }
            return value
        }
        func popMark() throws -> [PickleValue] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw DataError("pickle: MARK missing") }
            defer { stack.removeSubrange(mark...) }
            return Array(stack[mark...])
        }
        func global(_ module: String, _ name: String) throws -> PickleValue {
            guard allowsGlobal(module, name) else {
                throw DataError("pickle: refused global '\(module).\(name)' (a state dict needs only tensors, storages and dicts)")
            }
            return .global(module: module, name: name)
        }
        func setItems(_ target: PickleValue, _ pairs: [PickleValue]) throws {
            guard case .dict(let dict) = target, pairs.count % 2 == 0 else { throw DataError("pickle: SETITEMS on a value that is not a dict") }
            for i in stride(from: 0, to: pairs.count, by: 2) { dict.entries.append((pairs[i], pairs[i + 1])) }
        }

        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try little(8)  // FRAME
            case 0x2E: return try pop()  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try little(4)))))  // BININT
            case 0x4B: stack.append(.int(Int(try byte())))  // BININT1
            case 0x4D: stack.append(.int(Int(try little(2))))  // BININT2
            case 0x8A, 0x8B:  // LONG1, LONG4
                let count = Int(opcode == 0x8A ? UInt64(try byte()) : try little(4))
                let digits = try raw(count)
                guard count <= 8 else {
                    // Only PyTorch's legacy magic number is this long; it is compared as bytes.
                    stack.append(.bytes(digits))
                    continue
                }
                var value: UInt64 = 0
                for (i, digit) in digits.enumerated() { value |= UInt64(digit) << (8 * UInt64(i)) }
                if count < 8, count > 0, digits[count - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
                stack.append(.int(Int(Int64(bitPattern: value))))
            case 0x47:  // BINFLOAT, big-endian
                let bits = try raw(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: bits)))
            case 0x58, 0x8D, 0x8C:  // BINUNICODE, BINUNICODE8, SHORT_BINUNICODE
                let count = opcode == 0x8C ? Int(try byte()) : Int(try little(opcode == 0x58 ? 4 : 8))
                stack.append(.string(String(decoding: try raw(count), as: UTF8.self)))
            case 0x42, 0x43, 0x8E:  // BINBYTES, SHORT_BINBYTES, BINBYTES8
                let count = opcode == 0x43 ? Int(try byte()) : Int(try little(opcode == 0x42 ? 4 : 8))
                stack.append(.bytes(try raw(count)))
            case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:  // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x6C: stack.append(.list(PickleList(try popMark())))  // LIST
            case 0x64:  // DICT
                let dict = PickleDict()
                try setItems(.dict(dict), try popMark())
                stack.append(.dict(dict))
            case 0x61:  // APPEND
                let item = try pop()
                guard case .list(let list) = stack.last else { throw DataError("pickle: APPEND to a value that is not a list") }
                list.items.append(item)
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case .list(let list) = stack.last else { throw DataError("pickle: APPENDS to a value that is not a list") }
                list.items += items
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                guard let target = stack.last else { throw DataError("pickle: stack underflow") }
                try setItems(target, [key, value])
            case 0x75:  // SETITEMS
                let pairs = try popMark()
                guard let target = stack.last else { throw DataError("pickle: stack underflow") }
                try setItems(target, pairs)
            case 0x71: memo[Int(try byte())] = stack.last  // BINPUT
            case 0x72: memo[Int(try little(4))] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let index = opcode == 0x68 ? Int(try byte()) : Int(try little(4))
                guard let value = memo[index] else { throw DataError("pickle: memo entry \(index) missing") }
                stack.append(value)
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw DataError("pickle: STACK_GLOBAL without two strings")
                }
                stack.append(try global(module, name))
            case 0x52, 0x81:  // REDUCE, NEWOBJ
                let arguments = try pop(), callable = try pop()
                guard case .global(let module, let name) = callable, case .tuple(let values) = arguments else {
                    throw DataError("pickle: refused a call of something that is not an allowed global")
                }
                stack.append(try call(module, name, values))
            case 0x62:  // BUILD: state set on an object; state dicts' `_metadata` is not needed
                _ = try pop()
            case 0x51:  // BINPERSID
                stack.append(try persistentLoad(try pop()))
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32:  // DUP
                guard let top = stack.last else { throw DataError("pickle: stack underflow") }
                stack.append(top)
            default:
                throw DataError("pickle: refused opcode 0x\(String(opcode, radix: 16)) at offset \(position - 1) (not one a state dict uses)")
            }
        }
    }
}
