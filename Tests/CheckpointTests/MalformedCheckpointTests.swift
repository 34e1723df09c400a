import Foundation
import TestSupport
import Testing
import TensorCore
import Checkpoint

/// Synthetic torch checkpoints, well-formed and broken: every failure must be a
/// `CheckpointError` naming the tensor or the offset at fault.
struct SyntheticCheckpointTests {
    typealias P = PickleBytes

    static let weights: [Float] = [1, -2, 3.5, 0, 1e-3, -7]
    static let bias: [Float] = [0.25, -0.5]

    static func goodPickle() -> [UInt8] {
        P.stateDict([
            P.tensorEntry(name: "conv.weight", key: "0", shape: [2, 3, 1, 1]),
            P.tensorEntry(name: "conv.bias", key: "1", shape: [2]),
        ])
    }

    static func goodStorages() -> [(key: String, bytes: [UInt8])] {
        [("0", CheckpointFixtures.bytes(of: weights)), ("1", CheckpointFixtures.bytes(of: bias))]
    }

    @Test(arguments: [false, true])
    func smallZipCheckpointParses(zip64: Bool) throws {
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: Self.goodStorages(), zip64: zip64)
        let tensors = try TorchCheckpoint.parse(data)
        #expect(tensors.map(\.name) == ["conv.weight", "conv.bias"])
        #expect(tensors[0].tensor == Tensor(shape: [2, 3, 1, 1], scalars: Self.weights))
        #expect(tensors[1].tensor == Tensor(shape: [2], scalars: Self.bias))
    }

    /// A `Data` slice whose indices do not start at zero parses the same.
    @Test func parsesDataSlices() throws {
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: Self.goodStorages())
        let padded = Data([1, 2, 3]) + data
        let tensors = try TorchCheckpoint.parse(padded.dropFirst(3))
        #expect(tensors.count == 2)
        #expect(tensors[1].tensor.scalars == Self.bias)
    }

    /// A flipped bit in a tensor's bytes used to load as a different network; Python's zipfile refuses it.
    @Test func flippedBitFailsTheCRC() throws {
        let good = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: Self.goodStorages())
        let member = try #require(try ZipArchive(good).entry(named: "archive/data/0"))
        var bad = good
        bad[member.dataOffset + 5] ^= 0x10
        expectCheckpointError(containing: ["archive/data/0", "CRC-32", "corrupt"]) { try TorchCheckpoint.parse(bad) }
        #expect(throws: Never.self) { try TorchCheckpoint.parse(good) }
    }

    @Test func storageWithWrongByteCount() {
        var storages = Self.goodStorages()
        storages[0].bytes.removeLast(4)
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: storages)
        expectCheckpointError(containing: ["tensor 'conv.weight'", "archive/data/0", "offset", "20 bytes, expected 24"]) {
            try TorchCheckpoint.parse(data)
        }
    }

    @Test func missingStorageEntry() {
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: [Self.goodStorages()[0]])
        expectCheckpointError(containing: ["tensor 'conv.bias'", "storage '1'", "archive/data/1"]) {
            try TorchCheckpoint.parse(data)
        }
    }

    @Test func bigEndianByteOrderIsRejected() {
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: Self.goodStorages(), byteOrder: "big")
        expectCheckpointError(containing: ["archive/byteorder", "offset", "'big'"]) { try TorchCheckpoint.parse(data) }
    }

    @Test func compressedEntryIsRejected() {
        var members = [ZipBytes.Member(name: "archive/data.pkl", bytes: Self.goodPickle())]
        members.append(ZipBytes.Member(name: "archive/data/0", bytes: CheckpointFixtures.bytes(of: Self.weights), method: 8))
        expectCheckpointError(containing: ["'archive/data/0'", "offset", "compression method 8"]) {
            try TorchCheckpoint.parse(ZipBytes.make(members))
        }
    }

    @Test func missingDataPickle() {
        let data = ZipBytes.make([ZipBytes.Member(name: "archive/other.pkl", bytes: Self.goodPickle())])
        expectCheckpointError(containing: ["0 '<folder>/data.pkl' entries"]) { try TorchCheckpoint.parse(data) }
    }

    @Test func tensorShapeDisagreeingWithStorageNumel() {
        let pickle = P.stateDict([P.tensorEntry(name: "w", key: "0", shape: [2, 3], numel: 7)])
        let data = ZipBytes.checkpoint(pickle: pickle, storages: [("0", CheckpointFixtures.bytes(of: Self.weights + [0]))])
        expectCheckpointError(containing: ["storage '0'", "[2, 3]", "holds 7", "at offset"]) { try TorchCheckpoint.parse(data) }
    }

    @Test func nonContiguousStrideIsRejected() {
        let pickle = P.stateDict([P.tensorEntry(name: "w", key: "0", shape: [2, 3], stride: [1, 2])])
        let data = ZipBytes.checkpoint(pickle: pickle, storages: [("0", CheckpointFixtures.bytes(of: Self.weights))])
        expectCheckpointError(containing: ["storage '0'", "non-contiguous stride [1, 2]", "at offset"]) {
            try TorchCheckpoint.parse(data)
        }
    }

    @Test func nonzeroStorageOffsetIsRejected() {
        let pickle = P.stateDict([P.tensorEntry(name: "w", key: "0", shape: [2], storageOffset: 4)])
        let data = ZipBytes.checkpoint(pickle: pickle, storages: [("0", CheckpointFixtures.bytes(of: Self.weights))])
        expectCheckpointError(containing: ["storage '0'", "storage offset int 4", "at offset"]) { try TorchCheckpoint.parse(data) }
    }

    /// Extent-1 dimensions may carry any stride (torch's `[1, C, 1, 1]` betas), as contiguity ignores them.
    @Test func strideOfExtentOneDimensionsIsIgnored() throws {
        let pickle = P.stateDict([P.tensorEntry(name: "beta", key: "0", shape: [1, 6, 1, 1], stride: [99, 1, 7, 3])])
        let data = ZipBytes.checkpoint(pickle: pickle, storages: [("0", CheckpointFixtures.bytes(of: Self.weights))])
        #expect(try TorchCheckpoint.parse(data)[0].tensor.shape == [1, 6, 1, 1])
    }

    @Test func foreignGlobalInsideZipCheckpoint() {
        let evil = P.proto2 + P.global("os", "system") + P.string("echo pwned") + [0x85] + P.reduce + P.stop
        let data = ZipBytes.checkpoint(pickle: evil, storages: [])
        expectCheckpointError(containing: ["archive/data.pkl", "foreign pickle global 'os.system' at offset 2"]) {
            try TorchCheckpoint.parse(data)
        }
    }

    @Test func stateDictValueThatIsNotATensor() {
        let pickle = P.proto2 + P.emptyDict + P.mark + P.string("step") + P.int(7) + P.setItems + P.stop
        let data = ZipBytes.checkpoint(pickle: pickle, storages: [])
        expectCheckpointError(containing: ["'step'", "int 7", "not a tensor"]) { try TorchCheckpoint.parse(data) }
    }

    @Test func bytesAfterStopInDataPickle() {
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle() + [0x00], storages: Self.goodStorages())
        expectCheckpointError(containing: ["1 unexpected bytes after STOP at offset"]) { try TorchCheckpoint.parse(data) }
    }

    @Test func unrecognizedFormat() {
        expectCheckpointError(containing: ["not a PyTorch checkpoint", "47 49 46 38"]) { try TorchCheckpoint.parse(Data("GIF89a".utf8)) }
        expectCheckpointError(containing: ["not a PyTorch checkpoint"]) { try TorchCheckpoint.parse(Data()) }
    }

    /// Errors from `load(contentsOf:)` start with the file path.
    @Test func loadErrorsArePrefixedWithThePath() throws {
        let directory = Scratch.directory("checkpoint")
        let url = directory.appendingPathComponent("broken.pkl")
        var storages = Self.goodStorages()
        storages[1].bytes = []
        try ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: storages).write(to: url)
        let error = expectCheckpointError(containing: ["tensor 'conv.bias'"]) { try TorchCheckpoint.load(contentsOf: url) }
        #expect(error?.message.hasPrefix(url.path + ": ") == true)
        expectCheckpointError(containing: [directory.appendingPathComponent("absent.pkl").path, "cannot read"]) {
            try TorchCheckpoint.load(contentsOf: directory.appendingPathComponent("absent.pkl"))
        }
    }

    /// Every truncation of a small archive fails cleanly.
    @Test func everyTruncationOfASmallArchiveThrows() {
        let data = ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: Self.goodStorages(), zip64: true)
        for cut in 0..<data.count {
            expectCheckpointError(containing: ["offset"]) { try TorchCheckpoint.parse(data.prefix(cut)) }
        }
    }

    /// Random mutations of a small archive (directory and local headers included) may fail, but never crash.
    @Test func fuzzedSmallArchivesNeverCrash() {
        let original = [UInt8](ZipBytes.checkpoint(pickle: Self.goodPickle(), storages: Self.goodStorages(), zip64: true))
        var random = SplitMix64(seed: 0x5EED_0001)
        var failures = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                bytes[position] = Bool.random(using: &random) ? UInt8.random(in: 0...255, using: &random) : 0xFF
            }
            do { _ = try TorchCheckpoint.parse(Data(bytes)) } catch is CheckpointError { failures += 1 } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        #expect(failures > 0)
    }
}

/// Damaged copies of the official checkpoints.
@Suite(.enabled(if: CheckpointFixtures.weightsPresentOrCI, CheckpointFixtures.skipComment))
struct DamagedOfficialCheckpointTests {
    typealias Fixtures = CheckpointFixtures

    static func v425Data() throws -> Data { try Data(contentsOf: try Fixtures.require(Fixtures.v425URL), options: .mappedIfSafe) }
    static func hdv3Data() throws -> Data { try Data(contentsOf: try Fixtures.require(Fixtures.hdv3URL), options: .mappedIfSafe) }

    /// Cut points: inside data.pkl's header and body, inside a storage, inside the central
    /// directory (which starts at 24,608,440) and inside the ZIP64 end records.
    @Test func truncatedZipCheckpointThrows() throws {
        let data = try Self.v425Data()
        #expect(data.count == 24_623_147)
        for cut in [0, 3, 40, 100, 12_000, 25_233, 1_000_000, 24_608_440, 24_608_500, 24_615_000, 24_623_060, 24_623_146] {
            expectCheckpointError(containing: ["offset"]) { try TorchCheckpoint.parse(data.prefix(cut)) }
        }
    }

    /// The central directory survives but the data before it is cut short: the end record now
    /// points past the real directory.
    @Test func zipCheckpointMissingItsDataRegion() throws {
        let data = try Self.v425Data()
        let directoryStart = 24_608_440
        let spliced = data.prefix(5_000_000) + data.suffix(from: data.startIndex + directoryStart)
        expectCheckpointError(containing: ["offset"]) { try TorchCheckpoint.parse(spliced) }
    }

    /// data.pkl itself cut short (re-wrapped in a valid archive with all the real storages).
    @Test func truncatedDataPickleThrows() throws {
        let archive = try ZipArchive(try Self.v425Data())
        let pickle = try #require(archive.entry(named: "flownet_converted/data.pkl"))
        let bytes = [UInt8](archive.contents(of: pickle))
        for cut in [0, 1, 2, 5, 36, 137, 199, 12_345, bytes.count - 2, bytes.count - 1] {
            let data = ZipBytes.checkpoint(pickle: Array(bytes.prefix(cut)), storages: [])
            expectCheckpointError(containing: ["archive/data.pkl", "offset"]) { try TorchCheckpoint.parse(data) }
        }
    }

    /// Cut points: inside each of the five pickles, inside a storage header, inside storage data.
    @Test func truncatedLegacyCheckpointThrows() throws {
        let data = try Self.hdv3Data()
        #expect(data.count == 12_186_817)
        for cut in [1, 4, 10, 18, 100, 5_000, 30_908, 31_000, 33_476, 33_480, 40_000, 12_186_816] {
            expectCheckpointError(containing: ["offset"]) { try TorchCheckpoint.parse(data.prefix(cut)) }
        }
    }

    @Test func legacyCheckpointWithTrailingBytes() throws {
        let data = try Self.hdv3Data() + Data([0])
        expectCheckpointError(containing: ["1 unexpected bytes after the last storage at offset 12186817"]) {
            try TorchCheckpoint.parse(data)
        }
    }

    /// A legacy file rebuilt from the real pickles with one storage a float short.
    @Test func legacyStorageWithWrongByteCount() throws {
        let data = try Self.hdv3Data()
        // Skip the first four pickles to reach the storage key list (offset 30,909).
        var offset = 0
        for _ in 0..<4 { offset = try Pickle.load(data, from: offset).end }
        #expect(offset == 30_909)
        let (keyList, storagesStart) = try Pickle.load(data, from: offset)
        let keys = try TorchCheckpoint.storageKeys(keyList, at: offset)
        var rebuilt = Data(data.prefix(storagesStart))
        var cursor = storagesStart
        let reader = LittleEndianReader(data)
        for key in keys {
            let count = Int(try #require(reader.uint64(at: cursor)))
            let floats = data.subdata(in: (cursor + 8)..<(cursor + 8 + 4 * count))
            cursor += 8 + 4 * count
            // Storage '170430976' backs module.block0.conv0.0.0.weight (4455 floats).
            let kept = key == "170430976" ? count - 1 : count
            rebuilt.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: kept >> (8 * $0)) })
            rebuilt.append(floats.prefix(4 * kept))
        }
        expectCheckpointError(containing: ["tensor 'module.block0.conv0.0.0.weight'", "storage '170430976'", "offset",
                                           "holds 4454 floats, expected 4455"]) {
            try TorchCheckpoint.parse(rebuilt)
        }
    }

    /// A wrong magic number or protocol version is reported with its offset.
    @Test func legacyHeaderChecks() throws {
        var data = try Self.hdv3Data().prefix(40_000)
        data[data.startIndex + 4] ^= 0xFF  // inside the magic number
        expectCheckpointError(containing: ["magic number", "offset 0"]) { try TorchCheckpoint.parse(data) }
        data[data.startIndex + 4] ^= 0xFF
        data[data.startIndex + 18] = 0xEA  // BININT2 protocol version 1001 (E9 03) → 1002
        expectCheckpointError(containing: ["protocol version at offset 15", "int 1002"]) { try TorchCheckpoint.parse(data) }
    }

    /// A few hundred random mutations of the real data.pkl: the interpreter and the state-dict
    /// walk must throw or return, never crash or hang.
    @Test func fuzzedDataPickleNeverCrashes() throws {
        let archive = try ZipArchive(try Self.v425Data())
        let entry = try #require(archive.entry(named: "flownet_converted/data.pkl"))
        let original = [UInt8](archive.contents(of: entry))
        var random = SplitMix64(seed: 0xF022_0425)
        var outcomes = (ok: 0, failed: 0)
        for _ in 0..<300 {
            let bytes = Self.mutate(original, using: &random)
            do {
                let (value, _) = try Pickle.load(Data(bytes))
                _ = try TorchCheckpoint.tensorReferences(in: value)
                outcomes.ok += 1
            } catch is CheckpointError {
                outcomes.failed += 1
            } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        #expect(outcomes.failed > 0)
    }

    /// Random mutations of the legacy header (the five pickles) followed by the first 64 KiB of
    /// storages, through the full parser.
    @Test func fuzzedLegacyHeaderNeverCrashes() throws {
        let data = try Self.hdv3Data()
        let header = [UInt8](data.prefix(33_477))
        let storages = data.subdata(in: 33_477..<(33_477 + 65_536))
        var random = SplitMix64(seed: 0x1E6A_C4D3)
        var failures = 0
        for _ in 0..<300 {
            let mutated = Data(Self.mutate(header, using: &random)) + storages
            do { _ = try TorchCheckpoint.parse(mutated) } catch is CheckpointError { failures += 1 } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        #expect(failures > 0)
    }

    /// Flips, random bytes, pickle-significant bytes, deletions, insertions and truncation.
    static func mutate(_ original: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = original
        let interesting: [UInt8] = [0x00, 0x28, 0x2E, 0x4E, 0x52, 0x62, 0x63, 0x68, 0x71, 0x74, 0x75, 0x7F, 0x80, 0x85, 0xFF]
        for _ in 0..<Int.random(in: 1...6, using: &random) where !bytes.isEmpty {
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
            case 1: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 2: bytes[position] = interesting[Int.random(in: 0..<interesting.count, using: &random)]
            case 3: bytes.remove(at: position)
            case 4: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            default: bytes.removeSubrange(position...)
            }
        }
        return bytes
    }
}

@Suite("CRC-32 and non-finite weights")
struct IntegrityTests {
    @Test("CRC-32: the standard check value, the empty input, and every length around the 8-byte steps")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        // The sliced loop against the plain bitwise definition, for lengths 0…40.
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return c ^ 0xFFFF_FFFF
        }
        var g = SeededGenerator(seed: 7)
        for n in 0...40 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            #expect(CRC32.checksum(bytes) == bitwise(bytes), "length \(n)")
        }
    }

    @Test("a NaN or infinite weight is refused at load, naming the tensor")
    func nonFiniteWeights() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            var store = try WeightStore([("w", Tensor(shape: [2, 2], scalars: [1, 2, bad, 4]))])
            expectCheckpointError(containing: ["tensor 'w'", "1 non-finite value", "element 2", "corrupt"]) {
                try store.take("w", shape: [2, 2])
            }
        }
    }
}
