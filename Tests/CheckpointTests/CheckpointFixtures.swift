import Foundation
import Testing
import TensorCore
import Checkpoint

/// Locations of the official RIFE checkpoints and of the shared key listings, plus helpers to
/// build small synthetic checkpoints. Self-contained: CheckpointTests does not use TestSupport.
enum CheckpointFixtures {
    /// The repository root: this file is `<root>/Tests/CheckpointTests/CheckpointFixtures.swift`.
    /// Symlinks are resolved so a scratch package that links this folder still finds the checkout.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `shared/fixtures/rife`, which lives beside the repository root.
    static let rifeFixtures: URL = repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/rife", isDirectory: true)

    /// `$TWEEN_MODELS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/tween/models`.
    static let modelsDirectory: URL = {
        let env = ProcessInfo.processInfo.environment
        if let models = env["TWEEN_MODELS"], !models.isEmpty { return URL(fileURLWithPath: models, isDirectory: true) }
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path
        return URL(fileURLWithPath: cache, isDirectory: true).appendingPathComponent("tween/models", isDirectory: true)
    }()

    static let v425URL = modelsDirectory.appendingPathComponent("rife-v4.25/flownet.pkl")
    static let hdv3URL = modelsDirectory.appendingPathComponent("rife-hdv3/flownet.pkl")
    static let v425KeysURL = rifeFixtures.appendingPathComponent("v425_keys.txt")
    static let hdv3KeysURL = rifeFixtures.appendingPathComponent("hdv3_keys.txt")

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// Condition for `.enabled(if:)` on tests that need the downloaded weights: they run when the
    /// files are present, and always under CI, where a missing file then fails the test instead
    /// of silently skipping it.
    static let weightsPresentOrCI = isCI
        || [v425URL, hdv3URL, v425KeysURL, hdv3KeysURL].allSatisfy(exists)

    static let skipComment: Comment = """
        RIFE weights or key listings not found (looked for \(v425URL.path), \(hdv3URL.path) and \
        \(rifeFixtures.path)); set TWEEN_MODELS or download the models. Under CI=true this test fails instead.
        """

    /// Thrown by `require` so a missing file fails the test with a readable message.
    struct MissingFile: Error, CustomStringConvertible {
        let url: URL
        var description: String { "required test file is missing: \(url.path)" }
    }

    /// Returns `url`, or throws (failing the test) if the file does not exist.
    static func require(_ url: URL) throws -> URL {
        guard exists(url) else { throw MissingFile(url: url) }
        return url
    }

    // Each official checkpoint is parsed once and shared by the tests that need it.
    nonisolated(unsafe) private static var cache: [URL: [(name: String, tensor: Tensor)]] = [:]
    private static let cacheLock = NSLock()

    /// The parsed checkpoint at `url` (parsed on first use).
    static func tensors(_ url: URL) throws -> [(name: String, tensor: Tensor)] {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = cache[url] { return cached }
        let tensors = try TorchCheckpoint.load(contentsOf: try require(url))
        cache[url] = tensors
        return tensors
    }

    /// One line of a `*_keys.txt` listing.
    struct KeyLine: Equatable {
        var name: String
        var shape: [Int]
        var count: Int
    }

    /// Parses a `*_keys.txt` listing: `key<TAB>dtype<TAB>[d0, d1, ...]<TAB>numel<TAB>usage`, `#` comments.
    static func keyListing(_ url: URL) throws -> [KeyLine] {
        let text = try String(contentsOf: try require(url), encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
            let fields = line.split(separator: "\t").map(String.init)
            let dims = fields.count > 3 ? fields[2].trimmingCharacters(in: CharacterSet(charactersIn: "[]")) : ""
            let shape = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard fields.count >= 4, fields[1] == "float32", let count = Int(fields[3]) else {
                throw CheckpointError("cannot parse key listing line: \(line)")
            }
            return KeyLine(name: fields[0], shape: shape, count: count)
        }
    }

    /// Little-endian float32 bytes.
    static func bytes(of floats: [Float]) -> [UInt8] {
        floats.flatMap { value -> [UInt8] in
            let bits = value.bitPattern
            return (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
        }
    }
}

/// A deterministic generator (SplitMix64) so fuzz tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Synthetic pickles

/// Builders for hand-made pickle byte sequences (protocol 2), opcode by opcode.
enum PickleBytes {
    static let proto2: [UInt8] = [0x80, 0x02]
    static let stop: [UInt8] = [0x2E]
    static let mark: [UInt8] = [0x28]
    static let tuple: [UInt8] = [0x74]
    static let emptyTuple: [UInt8] = [0x29]
    static let emptyDict: [UInt8] = [0x7D]
    static let emptyList: [UInt8] = [0x5D]
    static let setItems: [UInt8] = [0x75]
    static let reduce: [UInt8] = [0x52]
    static let binPersID: [UInt8] = [0x51]
    static let newFalse: [UInt8] = [0x89]
    static let none: [UInt8] = [0x4E]

    /// BINUNICODE.
    static func string(_ s: String) -> [UInt8] {
        let utf8 = Array(s.utf8)
        return [0x58] + le32(UInt32(utf8.count)) + utf8
    }

    /// GLOBAL `module\nname\n`.
    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    /// BININT1, BININT2 or BININT as the value needs.
    static func int(_ value: Int) -> [UInt8] {
        if (0..<256).contains(value) { return [0x4B, UInt8(value)] }
        if (0..<65536).contains(value) { return [0x4D, UInt8(value & 0xFF), UInt8(value >> 8)] }
        return [0x4A] + le32(UInt32(truncatingIfNeeded: value))
    }

    /// MARK ints TUPLE.
    static func intTuple(_ values: [Int]) -> [UInt8] {
        mark + values.flatMap(int) + tuple
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    /// One state-dict tensor as torch writes it:
    /// `name  _rebuild_tensor_v2((BINPERSID ('storage', FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict()))`.
    static func tensorEntry(
        name: String, key: String, shape: [Int], numel: Int? = nil, stride: [Int]? = nil, storageOffset: Int = 0
    ) -> [UInt8] {
        let count = numel ?? shape.reduce(1, *)
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        let pid = mark + string("storage") + global("torch", "FloatStorage") + string(key) + string("cpu") + int(count) + tuple
        return string(name) + global("torch._utils", "_rebuild_tensor_v2")
            + mark + pid + binPersID + int(storageOffset) + intTuple(shape) + intTuple(stride ?? strides)
            + newFalse + global("collections", "OrderedDict") + emptyTuple + reduce + tuple + reduce
    }

    /// A complete `data.pkl`: a plain dict of the given entries.
    static func stateDict(_ entries: [[UInt8]]) -> [UInt8] {
        proto2 + emptyDict + mark + entries.flatMap { $0 } + setItems + stop
    }
}

// MARK: - Synthetic zip archives

/// Writes small STORED zip archives the way torch does: flag bit 3 with zero sizes in the local
/// headers, an `FB` padding extra field aligning data to 64 bytes, data descriptors after the
/// data, and optionally the redundant ZIP64 end records.
enum ZipBytes {
    struct Member {
        var name: String
        var bytes: [UInt8]
        var method: UInt16 = 0
    }

    static func make(_ members: [Member], zip64: Bool = false) -> Data {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func u64(_ v: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        for member in members {
            let name = Array(member.name.utf8)
            let offset = out.count
            let unpadded = offset + 30 + name.count + 4
            let padding = (64 - unpadded % 64) % 64
            let extra = u16(0x4246) + u16(padding) + [UInt8](repeating: 0x5A, count: padding)
            out += u32(0x0403_4B50) + u16(20) + u16(0x0808) + u16(Int(member.method)) + u16(0) + u16(0)
                + u32(0) + u32(0) + u32(0) + u16(name.count) + u16(extra.count) + name + extra
            out += member.bytes
            let crc = Int(CRC32.checksum(member.bytes))
            out += u32(0x0807_4B50) + u32(crc) + u32(member.bytes.count) + u32(member.bytes.count)
            central += u32(0x0201_4B50) + u16(20) + u16(20) + u16(0x0808) + u16(Int(member.method)) + u16(0) + u16(0)
                + u32(crc) + u32(member.bytes.count) + u32(member.bytes.count) + u16(name.count) + u16(0) + u16(0)
                + u16(0) + u16(0) + u32(0) + u32(offset) + name
        }
        let centralOffset = out.count
        out += central
        if zip64 {
            let recordOffset = out.count
            out += u32(0x0606_4B50) + u64(44) + u16(45) + u16(45) + u32(0) + u32(0)
                + u64(members.count) + u64(members.count) + u64(central.count) + u64(centralOffset)
            out += u32(0x0706_4B50) + u32(0) + u64(recordOffset) + u32(1)
        }
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count)
            + u32(central.count) + u32(centralOffset) + u16(0)
        return Data(out)
    }

    /// A torch-style zip checkpoint in folder `archive/` holding `pickle` as data.pkl and the storages.
    static func checkpoint(
        pickle: [UInt8], storages: [(key: String, bytes: [UInt8])], byteOrder: String? = "little", zip64: Bool = false
    ) -> Data {
        var members = [Member(name: "archive/data.pkl", bytes: pickle)]
        if let byteOrder { members.append(Member(name: "archive/byteorder", bytes: Array(byteOrder.utf8))) }
        members += storages.map { Member(name: "archive/data/\($0.key)", bytes: $0.bytes) }
        members.append(Member(name: "archive/version", bytes: Array("3\n".utf8)))
        return make(members, zip64: zip64)
    }
}

/// Whether evaluating `body` throws a `CheckpointError` whose message contains every one of `needles`.
/// Records an issue (with the actual outcome) otherwise.
@discardableResult
func expectCheckpointError<T>(
    containing needles: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> CheckpointError? {
    do {
        _ = try body()
        Issue.record("expected a CheckpointError containing \(needles), but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as CheckpointError {
        for needle in needles where !error.message.contains(needle) {
            Issue.record("error \"\(error.message)\" does not contain \"\(needle)\"", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
