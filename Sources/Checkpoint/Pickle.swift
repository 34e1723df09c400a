package import Foundation

// An interpreter for the small subset of Python's pickle format that PyTorch uses to describe a
// state dict. It never imports or calls anything: the only callables it knows are the three
// globals a state dict needs, and each is "called" by building a plain value. Every other
// global, and every opcode outside the subset, is an error.

/// The Python globals a PyTorch state dict may reference. Everything else is foreign.
package enum PickleGlobal: Sendable, Equatable {
    /// `torch._utils._rebuild_tensor_v2`: builds a tensor view onto a storage.
    case rebuildTensorV2
    /// `torch.FloatStorage`: only ever used as the type tag inside a persistent id.
    case floatStorage
    /// `collections.OrderedDict`: called with no arguments, it is an empty dict.
    case orderedDict

    /// The global named `module.name`, or nil if it is not one of the three.
    package init?(module: String, name: String) {
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch", "FloatStorage"): self = .floatStorage
        case ("collections", "OrderedDict"): self = .orderedDict
        default: return nil
        }
    }

    package var qualifiedName: String {
        switch self {
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .floatStorage: "torch.FloatStorage"
        case .orderedDict: "collections.OrderedDict"
        }
    }
}

/// A float32 storage named by a persistent id: `('storage', FloatStorage, key, location, numel)`.
package struct StorageReference: Sendable, Equatable {
    /// The storage key: the zip entry `data/<key>`, or a key of the legacy storage list.
    package var key: String
    /// The device tag, e.g. `cuda:0` (informational only).
    package var location: String
    /// The number of float32 elements the storage holds.
    package var elementCount: Int
}

/// A tensor built by `_rebuild_tensor_v2`, already checked to cover its whole storage
/// contiguously from offset 0.
package struct TensorReference: Sendable, Equatable {
    package var storage: StorageReference
    package var shape: [Int]
    /// Where the building REDUCE opcode sits, for error messages.
    package var pickleOffset: Int
}

/// A tuple or list: items plus their nesting depth (kept so depth checks are O(1)).
package struct PickleSequence: Sendable, Equatable {
    package private(set) var items: [PickleValue]
    /// 1 + the deepest item's depth.
    package private(set) var depth: Int

    package init(_ items: [PickleValue]) {
        self.items = items
        self.depth = 1 + (items.map(\.depth).max() ?? 0)
    }

    package mutating func append(contentsOf newItems: [PickleValue]) {
        items.append(contentsOf: newItems)
        depth = max(depth, 1 + (newItems.map(\.depth).max() ?? 0))
    }
}

/// A dict with string keys, in insertion order (like Python's dict and OrderedDict).
/// State dicts only ever have string keys; other key types are rejected by the interpreter.
package struct PickleDict: Sendable, Equatable {
    package struct Entry: Sendable, Equatable {
        package var key: String
        package var value: PickleValue
    }

    package private(set) var entries: [Entry] = []
    private var indexByKey: [String: Int] = [:]
    /// 1 + the deepest value's depth.
    package private(set) var depth = 1

    package init() {}

    /// The value for `key`, if present.
    package subscript(key: String) -> PickleValue? {
        indexByKey[key].map { entries[$0].value }
    }

    /// Sets `key` to `value`; an existing key keeps its position, as in Python.
    package mutating func set(_ key: String, _ value: PickleValue) {
        if let index = indexByKey[key] {
            entries[index].value = value
        } else {
            indexByKey[key] = entries.count
            entries.append(Entry(key: key, value: value))
        }
        depth = max(depth, 1 + value.depth)
    }
}

/// A value on the pickle machine's stack.
package indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for `Int`, as LONG1 wrote it: little-endian two's complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case tuple(PickleSequence)
    case list(PickleSequence)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(StorageReference)
    case tensor(TensorReference)

    /// How many containers deep the value goes (0 for scalars).
    package var depth: Int {
        switch self {
        case .tuple(let s), .list(let s): s.depth
        case .dict(let d): d.depth
        default: 0
        }
    }

    /// A short description for error messages. It never recurses: a hostile pickle can build
    /// values whose full expansion is exponentially large.
    package var summary: String {
        switch self {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): "int \(i)"
        case .bigInt(let bytes): "\(bytes.count)-byte int"
        case .float(let f): "float \(f)"
        case .string(let s): "string '\(s.count > 60 ? String(s.prefix(60)) + "…" : s)'"
        case .tuple(let s): "tuple of \(s.items.count)"
        case .list(let s): "list of \(s.items.count)"
        case .dict(let d): "dict of \(d.entries.count)"
        case .global(let g): "global \(g.qualifiedName)"
        case .storage(let s): "storage '\(s.key)'"
        case .tensor(let t): "tensor \(t.shape)"
        }
    }
}

/// Runs one pickle and returns the value it leaves.
package enum Pickle {
    /// The limits that keep a hostile pickle from exhausting memory, time or the call stack.
    package struct Limits: Sendable {
        /// Values on the stack, across all mark frames.
        package var maxStack = 1_000_000
        /// Open MARKs.
        package var maxMarks = 100_000
        /// Container nesting (values are destroyed recursively, so this bounds recursion).
        package var maxDepth = 64
        /// Memo slots in use.
        package var maxMemo = 1_000_000
        /// Total container elements built or mutated: bounds the copy-on-write cost of hostile
        /// sequences that mutate shared containers over and over.
        package var workBudget = 1 << 24
        /// Bytes in a GLOBAL module or name line.
        package var maxGlobalLine = 256
        package init() {}
    }

    /// Interprets the pickle that starts at byte `start` of `data`.
    /// - Returns: the value STOP left on the stack and the offset just after STOP.
    /// - Throws: `CheckpointError` naming the offending offset (counted from the first byte of
    ///   `data`) for truncation, unknown opcodes, foreign globals or malformed structures.
    package static func load(_ data: Data, from start: Int = 0, limits: Limits = Limits()) throws -> (value: PickleValue, end: Int) {
        try data.withUnsafeBytes { bytes in
            var machine = Machine(bytes: bytes, position: start, limits: limits)
            return try machine.run()
        }
    }
}

// MARK: - The machine

private struct Machine {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let limits: Pickle.Limits

    var stack: [PickleValue] = []
    /// Stack heights at each open MARK (Python's metastack).
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    var work = 0
    /// Offset of the opcode being executed.
    var opcodeOffset = 0

    init(bytes: UnsafeRawBufferPointer, position: Int, limits: Pickle.Limits) {
        self.bytes = bytes
        self.position = position
        self.limits = limits
    }

    // Opcode bytes (names as in CPython's pickletools).
    enum Op {
        static let proto: UInt8 = 0x80, stop: UInt8 = 0x2E /* . */, mark: UInt8 = 0x28 /* ( */
        static let none: UInt8 = 0x4E /* N */, newTrue: UInt8 = 0x88, newFalse: UInt8 = 0x89
        static let binInt: UInt8 = 0x4A /* J */, binInt1: UInt8 = 0x4B /* K */, binInt2: UInt8 = 0x4D /* M */
        static let long1: UInt8 = 0x8A, binFloat: UInt8 = 0x47 /* G */
        static let binUnicode: UInt8 = 0x58 /* X */, shortBinUnicode: UInt8 = 0x8C
        static let emptyTuple: UInt8 = 0x29 /* ) */, tuple: UInt8 = 0x74 /* t */
        static let tuple1: UInt8 = 0x85, tuple2: UInt8 = 0x86, tuple3: UInt8 = 0x87
        static let emptyList: UInt8 = 0x5D /* ] */, append: UInt8 = 0x61 /* a */, appends: UInt8 = 0x65 /* e */
        static let emptyDict: UInt8 = 0x7D /* } */, setItem: UInt8 = 0x73 /* s */, setItems: UInt8 = 0x75 /* u */
        static let global: UInt8 = 0x63 /* c */, reduce: UInt8 = 0x52 /* R */, build: UInt8 = 0x62 /* b */
        static let binPersID: UInt8 = 0x51 /* Q */
        static let binPut: UInt8 = 0x71 /* q */, longBinPut: UInt8 = 0x72 /* r */
        static let binGet: UInt8 = 0x68 /* h */, longBinGet: UInt8 = 0x6A /* j */
    }

    mutating func run() throws -> (value: PickleValue, end: Int) {
        guard position >= 0, position <= bytes.count else {
            throw CheckpointError("pickle start offset \(position) is outside the \(bytes.count)-byte data")
        }
        // Every iteration consumes at least one byte, so the loop ends by STOP or by running out.
        while true {
            opcodeOffset = position
            let op = try readByte()
            switch op {
            case Op.proto:
                let version = try readByte()
                guard (2...5).contains(version) else { throw error("unsupported pickle protocol \(version)") }
            case Op.stop:
                guard marks.isEmpty else { throw error("STOP with \(marks.count) unclosed MARK(s)") }
                guard stack.count == 1, let value = stack.first else {
                    throw error("STOP with \(stack.count) values on the stack, expected 1")
                }
                return (value, position)
            case Op.mark:
                guard marks.count < limits.maxMarks else { throw error("more than \(limits.maxMarks) open MARKs") }
                marks.append(stack.count)

            case Op.none: try push(.none)
            case Op.newTrue: try push(.bool(true))
            case Op.newFalse: try push(.bool(false))
            case Op.binInt1: try push(.int(Int(try readByte())))
            case Op.binInt2: try push(.int(Int(try readUnsigned(2))))
            case Op.binInt: try push(.int(Int(Int32(truncatingIfNeeded: try readUnsigned(4)))))
            case Op.long1: try push(try readLong1())
            case Op.binFloat:
                // The one big-endian field in the format.
                let raw = try readBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                try push(.float(Double(bitPattern: raw)))
            case Op.binUnicode: try push(.string(try readString(lengthBytes: 4)))
            case Op.shortBinUnicode: try push(.string(try readString(lengthBytes: 1)))

            case Op.emptyTuple: try push(.tuple(PickleSequence([])))
            case Op.tuple: try push(try makeSequence(try popToMark(), list: false))
            case Op.tuple1: try push(try makeSequence(try pop(1), list: false))
            case Op.tuple2: try push(try makeSequence(try pop(2), list: false))
            case Op.tuple3: try push(try makeSequence(try pop(3), list: false))
            case Op.emptyList: try push(.list(PickleSequence([])))
            case Op.append: try appendToList(try pop(1))
            case Op.appends: try appendToList(try popToMark())
            case Op.emptyDict: try push(.dict(PickleDict()))
            case Op.setItem: try setItems(try pop(2))
            case Op.setItems: try setItems(try popToMark())

            case Op.global: try push(try readGlobal())
            case Op.reduce: try reduce()
            case Op.build: try build()
            case Op.binPersID: try push(.storage(try persistentStorage(try pop(1)[0])))

            case Op.binPut: try memoize(Int(try readByte()))
            case Op.longBinPut: try memoize(Int(try readUnsigned(4)))
            case Op.binGet: try push(try recall(Int(try readByte())))
            case Op.longBinGet: try push(try recall(Int(try readUnsigned(4))))

            default:
                let printable = (0x21...0x7E).contains(op) ? " ('\(Character(Unicode.Scalar(op)))')" : ""
                throw error("unsupported pickle opcode 0x\(String(op, radix: 16, uppercase: true))\(printable)")
            }
        }
    }

    // MARK: Errors and reading

    /// An error about the current opcode, with its offset.
    func error(_ message: String) -> CheckpointError {
        CheckpointError("\(message) at offset \(opcodeOffset)")
    }

    func truncated(_ needed: Int) -> CheckpointError {
        CheckpointError("pickle truncated: opcode at offset \(opcodeOffset) needs \(needed) more bytes at offset "
                        + "\(position), only \(bytes.count - position) remain")
    }

    mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw truncated(1) }
        defer { position += 1 }
        return bytes[position]
    }

    /// A little-endian unsigned integer of `count` (≤ 8) bytes.
    mutating func readUnsigned(_ count: Int) throws -> UInt64 {
        guard count <= bytes.count - position else { throw truncated(count) }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return value
    }

    mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw truncated(count) }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// BINUNICODE / SHORT_BINUNICODE: a length, then that many UTF-8 bytes. The length is checked
    /// against the remaining bytes before anything is allocated.
    mutating func readString(lengthBytes: Int) throws -> String {
        let length = try readUnsigned(lengthBytes)
        guard length <= UInt64(bytes.count - position) else { throw truncated(Int(clamping: length)) }
        let raw = try readBytes(Int(length))
        guard let string = String(strictUTF8: raw) else { throw error("string is not valid UTF-8") }
        return string
    }

    /// LONG1: a one-byte length, then a little-endian two's complement integer.
    mutating func readLong1() throws -> PickleValue {
        let raw = try readBytes(Int(try readByte()))
        guard raw.count <= 8 else { return .bigInt(raw) }
        guard let last = raw.last else { return .int(0) }
        var value: UInt64 = last >= 0x80 ? ~0 : 0  // sign-extend
        for (i, byte) in raw.enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            value |= UInt64(byte) << (8 * UInt64(i))
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    /// One newline-terminated line of printable ASCII, as GLOBAL uses for module and name.
    mutating func readLine() throws -> String {
        var line: [UInt8] = []
        while true {
            guard position < bytes.count else { throw truncated(1) }
            let byte = bytes[position]
            position += 1
            if byte == 0x0A { break }
            guard (0x20...0x7E).contains(byte) else { throw error("GLOBAL name contains byte 0x\(String(byte, radix: 16))") }
            guard line.count < limits.maxGlobalLine else { throw error("GLOBAL name longer than \(limits.maxGlobalLine) bytes") }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    mutating func readGlobal() throws -> PickleValue {
        let module = try readLine()
        let name = try readLine()
        guard let global = PickleGlobal(module: module, name: name) else {
            throw error("foreign pickle global '\(module).\(name)'")
        }
        return .global(global)
    }

    // MARK: Stack

    mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maxStack else { throw error("pickle stack deeper than \(limits.maxStack)") }
        guard value.depth <= limits.maxDepth else { throw error("values nested deeper than \(limits.maxDepth)") }
        stack.append(value)
    }

    /// Pops the top `count` values (in stack order); values below the innermost MARK are out of reach.
    mutating func pop(_ count: Int) throws -> [PickleValue] {
        let floor = marks.last ?? 0
        guard stack.count - floor >= count else {
            throw error("stack underflow (needs \(count) values, \(stack.count - floor) above the mark)")
        }
        let values = Array(stack[(stack.count - count)...])
        stack.removeLast(count)
        return values
    }

    /// Pops everything above the innermost MARK, and the MARK.
    mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw error("no MARK to pop to") }
        let values = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return values
    }

    /// Charges `amount` container elements against the work budget.
    mutating func spend(_ amount: Int) throws {
        work += amount
        guard work <= limits.workBudget else { throw error("pickle exceeds the work budget of \(limits.workBudget) elements") }
    }

    mutating func makeSequence(_ items: [PickleValue], list: Bool) throws -> PickleValue {
        try spend(items.count)
        let sequence = PickleSequence(items)
        return list ? .list(sequence) : .tuple(sequence)
    }

    /// Removes the container on top of the stack so it is uniquely referenced while mutated
    /// (a memo entry may still share it; copy-on-write then copies, which `spend` accounts for).
    mutating func popContainer(for opcode: String) throws -> PickleValue {
        guard let top = try pop(1).first else { throw error("\(opcode) without a target") }
        return top
    }

    mutating func appendToList(_ items: [PickleValue]) throws {
        let target = try popContainer(for: "APPEND")
        guard case .list(var list) = target else { throw error("APPEND(S) to a \(target.summary), not a list") }
        _ = consume target  // release the enum box so `list` is uniquely referenced and grows in place
        try spend(list.items.count + items.count)
        list.append(contentsOf: items)
        try push(.list(list))
    }

    mutating func setItems(_ items: [PickleValue]) throws {
        guard items.count.isMultiple(of: 2) else { throw error("SETITEMS with an odd number (\(items.count)) of values") }
        let target = try popContainer(for: "SETITEM")
        guard case .dict(var dict) = target else { throw error("SETITEM(S) on a \(target.summary), not a dict") }
        _ = consume target  // release the enum box so `dict` is uniquely referenced and grows in place
        try spend(dict.entries.count + items.count)
        for pair in stride(from: 0, to: items.count, by: 2) {
            guard case .string(let key) = items[pair] else {
                throw error("dict key is a \(items[pair].summary); only string keys are supported")
            }
            dict.set(key, items[pair + 1])
        }
        try push(.dict(dict))
    }

    // MARK: Memo

    mutating func memoize(_ index: Int) throws {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else { throw error("BINPUT with an empty stack") }
        guard memo[index] != nil || memo.count < limits.maxMemo else { throw error("more than \(limits.maxMemo) memo entries") }
        memo[index] = top
    }

    func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw error("BINGET of empty memo slot \(index)") }
        return value
    }

    // MARK: Calls

    /// REDUCE: only the known constructors, each turned into a plain value.
    mutating func reduce() throws {
        let popped = try pop(2)
        let (callable, arguments) = (popped[0], popped[1])
        guard case .global(let global) = callable else {
            throw error("REDUCE calls a \(callable.summary), not a known global")
        }
        guard case .tuple(let args) = arguments else {
            throw error("REDUCE of \(global.qualifiedName) with \(arguments.summary) instead of an argument tuple")
        }
        switch global {
        case .orderedDict:
            guard args.items.isEmpty else { throw error("collections.OrderedDict called with \(args.items.count) arguments") }
            try push(.dict(PickleDict()))
        case .rebuildTensorV2:
            try push(.tensor(try rebuildTensor(args.items)))
        case .floatStorage:
            throw error("torch.FloatStorage cannot be called")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`,
    /// restricted to what a plain state dict holds: a contiguous row-major tensor that covers its
    /// whole storage from offset 0, with no hooks.
    func rebuildTensor(_ args: [PickleValue]) throws -> TensorReference {
        guard args.count == 6 || args.count == 7 else {
            throw error("_rebuild_tensor_v2 called with \(args.count) arguments, expected 6")
        }
        guard case .storage(let storage) = args[0] else {
            throw error("_rebuild_tensor_v2 called with a \(args[0].summary) instead of a storage")
        }
        let what = "tensor on storage '\(storage.key)'"
        guard case .int(let storageOffset) = args[1], storageOffset == 0 else {
            throw error("\(what) starts at storage offset \(args[1].summary), only 0 is supported")
        }
        let shape = try intTuple(args[2], what: "\(what): size")
        let stride = try intTuple(args[3], what: "\(what): stride")
        guard shape.allSatisfy({ $0 >= 0 }) else { throw error("\(what) has negative size \(shape)") }
        var elementCount = 1
        for extent in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw error("\(what) has an overflowing size \(shape)") }
            elementCount = product
        }
        // Row-major contiguity; the stride of an extent-1 dimension is irrelevant (torch is
        // free to store anything there), so it is not compared.
        guard stride.count == shape.count else { throw error("\(what) has size \(shape) but stride \(stride)") }
        var expected = 1
        for axis in shape.indices.reversed() {
            guard shape[axis] == 1 || stride[axis] == expected else {
                throw error("\(what) with size \(shape) has non-contiguous stride \(stride)")
            }
            expected = expected &* max(shape[axis], 1)
        }
        guard elementCount == storage.elementCount else {
            throw error("\(what) has size \(shape) (\(elementCount) elements) but its storage holds \(storage.elementCount)")
        }
        guard case .bool = args[4] else { throw error("\(what): requires_grad is a \(args[4].summary)") }
        guard case .dict(let hooks) = args[5], hooks.entries.isEmpty else {
            throw error("\(what): backward hooks are a \(args[5].summary), expected an empty OrderedDict")
        }
        if args.count == 7 {
            switch args[6] {
            case .none: break
            case .dict(let metadata) where metadata.entries.isEmpty: break
            default: throw error("\(what): unexpected tensor metadata \(args[6].summary)")
            }
        }
        return TensorReference(storage: storage, shape: shape, pickleOffset: opcodeOffset)
    }

    func intTuple(_ value: PickleValue, what: String) throws -> [Int] {
        guard case .tuple(let sequence) = value else { throw error("\(what) is a \(value.summary), not a tuple") }
        return try sequence.items.map { item in
            guard case .int(let int) = item else { throw error("\(what) contains a \(item.summary)") }
            return int
        }
    }

    /// BINPERSID: only `('storage', torch.FloatStorage, key, location, numel[, None])`.
    func persistentStorage(_ pid: PickleValue) throws -> StorageReference {
        guard case .tuple(let tuple) = pid, tuple.items.count == 5 || tuple.items.count == 6 else {
            throw error("persistent id is a \(pid.summary), expected ('storage', FloatStorage, key, location, numel)")
        }
        let items = tuple.items
        guard items[0] == .string("storage") else { throw error("persistent id kind is \(items[0].summary), expected 'storage'") }
        guard items[1] == .global(.floatStorage) else {
            throw error("persistent storage type is \(items[1].summary); only torch.FloatStorage is supported")
        }
        guard case .string(let key) = items[2] else { throw error("persistent storage key is a \(items[2].summary)") }
        guard case .string(let location) = items[3] else { throw error("storage '\(key)' location is a \(items[3].summary)") }
        // The element count is later multiplied by 4, so keep it far from overflow.
        guard case .int(let count) = items[4], count >= 0, count <= Int.max / 8 else {
            throw error("storage '\(key)' has element count \(items[4].summary)")
        }
        guard items.count == 5 || items[5] == .none else {
            throw error("storage '\(key)' persistent id ends with \(items[5].summary), expected None")
        }
        return StorageReference(key: key, location: location, elementCount: count)
    }

    /// BUILD: the only use in a state dict is attaching `_metadata` to the OrderedDict, which we
    /// drop. The target must be a dict and the state a dict.
    mutating func build() throws {
        let popped = try pop(2)
        let (target, state) = (popped[0], popped[1])
        guard case .dict = target, case .dict = state else {
            throw error("BUILD of a \(target.summary) with a \(state.summary); only dict state on a dict is supported")
        }
        try push(target)
    }
}
