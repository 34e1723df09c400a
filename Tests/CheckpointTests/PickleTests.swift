import Foundation
import Testing
import Checkpoint

/// The restricted pickle interpreter: the supported opcodes produce the right values, and
/// everything outside the subset or beyond the limits is refused with its offset.
struct PickleTests {
    typealias P = PickleBytes

    func load(_ bytes: [UInt8], limits: Pickle.Limits = Pickle.Limits()) throws -> PickleValue {
        try Pickle.load(Data(bytes), limits: limits).value
    }

    @Test func scalars() throws {
        #expect(try load(P.proto2 + P.none + P.stop) == .none)
        #expect(try load(P.proto2 + [0x88] + P.stop) == .bool(true))
        #expect(try load(P.proto2 + [0x89] + P.stop) == .bool(false))
        #expect(try load(P.proto2 + P.int(200) + P.stop) == .int(200))
        #expect(try load(P.proto2 + P.int(40_000) + P.stop) == .int(40_000))
        #expect(try load(P.proto2 + [0x4A, 0xFE, 0xFF, 0xFF, 0xFF] + P.stop) == .int(-2))  // BININT is signed
        #expect(try load(P.proto2 + [0x8A, 0x00] + P.stop) == .int(0))  // LONG1, zero length
        #expect(try load(P.proto2 + [0x8A, 0x02, 0x00, 0xFF] + P.stop) == .int(-256))  // LONG1 sign-extends
        #expect(try load(P.proto2 + [0x8A, 0x01, 0x80] + P.stop) == .int(-128))
        #expect(try load(P.proto2 + [0x8A, 0x09] + [UInt8](repeating: 0xAB, count: 9) + P.stop)
                == .bigInt([UInt8](repeating: 0xAB, count: 9)))
        #expect(try load(P.proto2 + [0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0] + P.stop) == .float(1.5))  // BINFLOAT, big-endian
        #expect(try load(P.proto2 + P.string("héllo") + P.stop) == .string("héllo"))
        #expect(try load(P.proto2 + [0x8C, 0x02] + Array("ok".utf8) + P.stop) == .string("ok"))  // SHORT_BINUNICODE
    }

    @Test func containersAndMemo() throws {
        // {'a': [1, 2, (3,)], 'b': ('x', 'x')} using MARK/APPENDS, APPEND, TUPLE1/2, BINPUT/BINGET, LONG_BINPUT/LONG_BINGET.
        let bytes = P.proto2 + P.emptyDict + [0x71, 0x00]
            + P.string("a") + P.emptyList + P.mark + P.int(1) + P.int(2) + [0x65]
            + P.int(3) + [0x85] + [0x61] + [0x73]
            + P.string("b") + P.string("x") + [0x72, 0x10, 0x27, 0x00, 0x00] + [0x6A, 0x10, 0x27, 0x00, 0x00] + [0x86] + [0x73]
            + P.stop
        var expected = PickleDict()
        expected.set("a", .list(PickleSequence([.int(1), .int(2), .tuple(PickleSequence([.int(3)]))])))
        expected.set("b", .tuple(PickleSequence([.string("x"), .string("x")])))
        #expect(try load(bytes) == .dict(expected))
    }

    /// Setting an existing key keeps its position but replaces the value, as Python does.
    @Test func dictKeepsInsertionOrder() throws {
        let bytes = P.proto2 + P.emptyDict + P.mark + P.string("z") + P.int(1) + P.string("a") + P.int(2)
            + P.string("z") + P.int(3) + P.setItems + P.stop
        guard case .dict(let dict) = try load(bytes) else { Issue.record("not a dict"); return }
        #expect(dict.entries.map(\.key) == ["z", "a"])
        #expect(dict["z"] == .int(3))
    }

    /// The legacy state dict: OrderedDict() via REDUCE, then BUILD with a `_metadata` state that is dropped.
    @Test func orderedDictWithBuildState() throws {
        let bytes = P.proto2 + P.global("collections", "OrderedDict") + P.emptyTuple + P.reduce
            + P.mark + P.string("k") + P.int(5) + P.setItems
            + P.emptyDict + P.string("_metadata") + P.emptyDict + [0x73] + [0x62] + P.stop
        var expected = PickleDict()
        expected.set("k", .int(5))
        #expect(try load(bytes) == .dict(expected))
    }

    @Test(arguments: [("os", "system"), ("builtins", "eval"), ("torch", "load"), ("torch._utils", "_rebuild_parameter"),
                      ("torch", "HalfStorage"), ("collections", "defaultdict")])
    func foreignGlobalsAreRefused(module: String, name: String) {
        let bytes = P.proto2 + P.global(module, name) + P.string("echo pwned") + [0x85] + P.reduce + P.stop
        expectCheckpointError(containing: ["foreign pickle global '\(module).\(name)' at offset 2"]) { try load(bytes) }
    }

    /// Opcodes outside the subset, among them the ones that could call or import things.
    @Test(arguments: [
        (UInt8(0x93), "0x93"),  // STACK_GLOBAL
        (0x69, "0x69 ('i')"),  // INST
        (0x6F, "0x6F ('o')"),  // OBJ
        (0x81, "0x81"),  // NEWOBJ
        (0x50, "0x50 ('P')"),  // PERSID (text form)
        (0x94, "0x94"),  // MEMOIZE
        (0xFF, "0xFF"),
    ])
    func unknownOpcodesAreRefused(opcode: UInt8, shown: String) {
        expectCheckpointError(containing: ["unsupported pickle opcode \(shown) at offset 3"]) {
            try load(P.proto2 + P.none + [opcode] + P.stop)
        }
    }

    @Test func reduceOnlyCallsKnownConstructors() {
        // Calling something that is not a global (a string) is refused.
        expectCheckpointError(containing: ["REDUCE calls a string 'x'", "at offset"]) {
            try load(P.proto2 + P.string("x") + P.emptyTuple + P.reduce + P.stop)
        }
        expectCheckpointError(containing: ["torch.FloatStorage cannot be called", "at offset"]) {
            try load(P.proto2 + P.global("torch", "FloatStorage") + P.emptyTuple + P.reduce + P.stop)
        }
        expectCheckpointError(containing: ["OrderedDict called with 1 arguments", "at offset"]) {
            try load(P.proto2 + P.global("collections", "OrderedDict") + P.int(1) + [0x85] + P.reduce + P.stop)
        }
    }

    @Test func persistentIDsMustBeFloatStorages() {
        let badPIDs: [([UInt8], String)] = [
            (P.string("storage"), "persistent id is a string"),
            (P.mark + P.string("module") + P.global("torch", "FloatStorage") + P.string("0") + P.string("cpu") + P.int(1) + P.tuple,
             "kind is string 'module'"),
            (P.mark + P.string("storage") + P.global("collections", "OrderedDict") + P.string("0") + P.string("cpu") + P.int(1) + P.tuple,
             "only torch.FloatStorage"),
            (P.mark + P.string("storage") + P.global("torch", "FloatStorage") + P.string("0") + P.string("cpu") + P.none + P.tuple,
             "element count None"),
            (P.mark + P.string("storage") + P.global("torch", "FloatStorage") + P.string("0") + P.string("cpu") + P.int(1)
                + P.int(1) + P.tuple, "expected None"),
        ]
        for (pid, message) in badPIDs {
            expectCheckpointError(containing: [message, "at offset"]) { try load(P.proto2 + pid + P.binPersID + P.stop) }
        }
    }

    @Test func truncationAnywhereThrows() throws {
        let full = P.stateDict([P.tensorEntry(name: "w", key: "0", shape: [2, 3])])
        _ = try load(full)
        for cut in 0..<full.count {
            expectCheckpointError(containing: ["offset"]) { try load(Array(full.prefix(cut))) }
        }
    }

    @Test func lengthsBeyondTheDataThrowBeforeAllocating() {
        expectCheckpointError(containing: ["needs 4294967295 more bytes at offset 7"]) {
            try load(P.proto2 + [0x58, 0xFF, 0xFF, 0xFF, 0xFF] + P.stop)
        }
        expectCheckpointError(containing: ["GLOBAL name longer than"]) {
            try load(P.proto2 + [0x63] + [UInt8](repeating: 0x61, count: 10_000) + [0x0A])
        }
        expectCheckpointError(containing: ["not valid UTF-8", "at offset 2"]) {
            try load(P.proto2 + [0x58, 2, 0, 0, 0, 0xC3, 0x28] + P.stop)
        }
    }

    @Test func stackDisciplineIsEnforced() {
        expectCheckpointError(containing: ["stack underflow", "at offset 2"]) { try load(P.proto2 + [0x85] + P.stop) }
        expectCheckpointError(containing: ["no MARK", "at offset 2"]) { try load(P.proto2 + P.tuple + P.stop) }
        // Values below a MARK are out of reach of TUPLE1.
        expectCheckpointError(containing: ["stack underflow", "at offset 4"]) { try load(P.proto2 + P.none + P.mark + [0x85] + P.stop) }
        expectCheckpointError(containing: ["STOP with 2 values", "at offset 4"]) { try load(P.proto2 + P.none + P.none + P.stop) }
        expectCheckpointError(containing: ["unclosed MARK", "at offset 4"]) { try load(P.proto2 + P.none + P.mark + P.stop) }
        expectCheckpointError(containing: ["BINGET of empty memo slot 7", "at offset 2"]) { try load(P.proto2 + [0x68, 7] + P.stop) }
        expectCheckpointError(containing: ["APPEND(S) to a None", "at offset 4"]) { try load(P.proto2 + P.none + P.none + [0x61] + P.stop) }
        expectCheckpointError(containing: ["only string keys", "at offset"]) {
            try load(P.proto2 + P.emptyDict + P.int(1) + P.int(2) + [0x73] + P.stop)
        }
        expectCheckpointError(containing: ["pickle truncated", "offset 3"]) { try load(P.proto2 + P.none) }
    }

    /// Nesting is bounded, so destroying a value can never overflow the call stack.
    @Test func deepNestingIsRefused() {
        let bytes = P.proto2 + P.emptyTuple + [UInt8](repeating: 0x85, count: 100_000) + P.stop
        expectCheckpointError(containing: ["nested deeper than 64", "at offset 66"]) { try load(bytes) }
    }

    /// Doubling a shared value through the memo (x = (x, x)) builds a tree with 2^n leaves in
    /// linear memory; the interpreter must never expand it, and the depth limit stops it.
    @Test func exponentialSharingStaysCheap() throws {
        func doubling(_ times: Int) -> [UInt8] {
            P.proto2 + P.none + [0x71, 0] + (0..<times).flatMap { _ in [0x68, 0, 0x86, 0x71, 0] as [UInt8] } + P.stop
        }
        let value = try load(doubling(60))
        #expect(value.depth == 60)
        #expect(value.summary == "tuple of 2")
        expectCheckpointError(containing: ["nested deeper than 64", "at offset"]) { try load(doubling(100)) }
    }

    /// Hostile sequences that repeatedly copy a large shared list hit the work budget.
    @Test func repeatedCopiesHitTheWorkBudget() {
        var bytes = P.proto2 + P.emptyList + P.mark + [UInt8]((0..<5_000).flatMap { _ in P.none }) + [0x65, 0x71, 0]
        for _ in 0..<5_000 { bytes += [0x68, 0, 0x4E, 0x61, 0x71, 0] }  // x = x + [None], copying x each time
        bytes += P.stop
        var limits = Pickle.Limits()
        limits.workBudget = 1_000_000
        expectCheckpointError(containing: ["work budget", "at offset"]) { try load(bytes, limits: limits) }
    }

    @Test func markAndStackLimits() {
        var limits = Pickle.Limits()
        limits.maxMarks = 10
        limits.maxStack = 10
        expectCheckpointError(containing: ["more than 10 open MARKs", "at offset 12"]) {
            try load(P.proto2 + P.mark + [UInt8](repeating: 0x28, count: 20), limits: limits)
        }
        expectCheckpointError(containing: ["stack deeper than 10", "at offset 12"]) {
            try load(P.proto2 + [UInt8](repeating: 0x4E, count: 20), limits: limits)
        }
    }

    @Test func pickleAtAnOffsetReportsAbsoluteOffsets() throws {
        let bytes = [UInt8](repeating: 0, count: 10) + P.proto2 + P.int(7) + P.stop + P.proto2 + [0xFF]
        let (value, end) = try Pickle.load(Data(bytes), from: 10)
        #expect(value == .int(7))
        #expect(end == 15)
        expectCheckpointError(containing: ["opcode 0xFF at offset 17"]) { try Pickle.load(Data(bytes), from: end) }
        expectCheckpointError(containing: ["start offset 99"]) { try Pickle.load(Data(bytes), from: 99) }
    }
}
