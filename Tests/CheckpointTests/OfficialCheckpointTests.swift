import Foundation
import Testing
import TensorCore
import Checkpoint

/// The two official RIFE checkpoints parse completely and exactly as the shared key listings say.
@Suite(.enabled(if: CheckpointFixtures.weightsPresentOrCI, CheckpointFixtures.skipComment))
struct OfficialCheckpointTests {
    typealias Fixtures = CheckpointFixtures

    /// Asserts names, shapes and order against a key listing and returns the total element count.
    func expectMatches(_ tensors: [(name: String, tensor: Tensor)], listing: [Fixtures.KeyLine]) -> Int {
        #expect(tensors.map(\.name) == listing.map(\.name))
        for (tensor, line) in zip(tensors, listing) {
            #expect(tensor.tensor.shape == line.shape, "\(line.name)")
            #expect(tensor.tensor.count == line.count, "\(line.name)")
        }
        return tensors.reduce(0) { $0 + $1.tensor.count }
    }

    @Test func v425ZipCheckpointMatchesKeyListing() throws {
        let tensors = try Fixtures.tensors(Fixtures.v425URL)
        let listing = try Fixtures.keyListing(Fixtures.v425KeysURL)
        #expect(tensors.count == 198)
        #expect(listing.count == 198)
        #expect(expectMatches(tensors, listing: listing) == 6_139_325)
    }

    @Test func hdv3LegacyCheckpointMatchesKeyListing() throws {
        let tensors = try Fixtures.tensors(Fixtures.hdv3URL)
        let listing = try Fixtures.keyListing(Fixtures.hdv3KeysURL)
        #expect(tensors.count == 160)
        #expect(listing.count == 160)
        #expect(expectMatches(tensors, listing: listing) == 3_038_015)
    }

    /// The archive layout CHECKPOINTS.md describes, and storage `data/0` read raw through the zip
    /// reader equals the first tensor.
    @Test func v425StorageEntriesMatchTensors() throws {
        let data = try Data(contentsOf: try Fixtures.require(Fixtures.v425URL), options: .mappedIfSafe)
        let archive = try ZipArchive(data)
        #expect(archive.entries.count == 204)
        #expect(archive.entries.allSatisfy { $0.dataOffset % 64 == 0 }, "torch pads every entry's data to 64 bytes")
        let pickle = try #require(archive.entry(named: "flownet_converted/data.pkl"))
        #expect(pickle.size == 25_170)
        let byteOrder = try #require(archive.entry(named: "flownet_converted/byteorder"))
        #expect(archive.contents(of: byteOrder) == Data("little".utf8))

        let tensors = try Fixtures.tensors(Fixtures.v425URL)
        for index in [0, 1, 100, 197] {
            let entry = try #require(archive.entry(named: "flownet_converted/data/\(index)"))
            let raw = archive.contents(of: entry)
            #expect(raw.count == tensors[index].tensor.count * 4)
            #expect(raw == Data(Fixtures.bytes(of: tensors[index].tensor.scalars)), "data/\(index)")
        }
    }

    /// Values extracted independently with Python (zipfile + struct only, no torch):
    ///   z = zipfile.ZipFile(path); b = z.read('flownet_converted/data/<k>')
    ///   struct.unpack_from('<f', b, 4 * i)[0]   for i in (0, 1, numel - 1)
    /// (storage key k is the tensor's index in file order).
    @Test func v425SpotValues() throws {
        let tensors = try Fixtures.tensors(Fixtures.v425URL)
        let expected: [(index: Int, name: String, values: [Float])] = [
            (0, "block0.conv0.0.0.weight", [0.0003490847011562437, 0.009711777791380882, 0.0034186094999313354]),
            (1, "block0.conv0.0.0.bias", [-0.019170403480529785, -0.018680749461054802, 0.03570910170674324]),
            (100, "block3.convblock.2.beta", [0.46058592200279236, 0.4207993149757385, 0.27946680784225464]),
        ]
        for (index, name, values) in expected {
            let (actualName, tensor) = tensors[index]
            #expect(actualName == name)
            #expect([tensor.scalars[0], tensor.scalars[1], tensor.scalars[tensor.count - 1]] == values, "\(name)")
        }
        #expect(tensors[197].name == "caltime.8.bias")
        #expect(tensors[197].tensor.scalars == [-0.010681618005037308])
    }

    /// Values extracted independently with Python (struct + pickletools.genops tokenizing, no
    /// unpickling): the storage key of each tensor is read from its persistent-id tuple, the
    /// storages are walked from offset 33,477 in key-list order (int64 numel + floats), then
    ///   struct.unpack_from('<f', data, storage_offset + 4 * i)[0]   for i in (0, 1, numel - 1).
    @Test func hdv3SpotValues() throws {
        let tensors = try Fixtures.tensors(Fixtures.hdv3URL)
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        let expected: [(name: String, values: [Float])] = [
            // storage '170430976', floats at file offset 12,168,809 (≡ 1 mod 4: unaligned)
            ("module.block0.conv0.0.0.weight", [-0.036149077117443085, -0.01692875847220421, -0.016392940655350685]),
            // storage '128638416', floats at file offset 1,070,805
            ("module.block1.conv0.1.0.weight", [-0.054188549518585205, -0.028567945584654808, 0.023381659761071205]),
            // storage '170410112', floats at file offset 12,165,909; a single element
            ("module.block_tea.conv2.2.bias", [0.03901521489024162]),
        ]
        for (name, values) in expected {
            let tensor = try #require(byName[name])
            let actual = tensor.count == 1 ? tensor.scalars : [tensor.scalars[0], tensor.scalars[1], tensor.scalars[tensor.count - 1]]
            #expect(actual == values, "\(name)")
        }
    }

    /// The inference net of v4.25 is what remains after dropping the training-only heads, and
    /// binding it strictly with the listing's shapes leaves nothing behind.
    @Test func v425WeightStoreHoldsInferenceTensors() throws {
        let tensors = try Fixtures.tensors(Fixtures.v425URL)
        var store = try WeightStore(tensors, ignoringPrefixes: ["teacher.", "caltime."])
        #expect(store.remainingNames.count == 158)
        #expect(store.remainingScalarCount == 5_664_776)
        let used = try Fixtures.keyListing(Fixtures.v425KeysURL).filter { !$0.name.hasPrefix("teacher.") && !$0.name.hasPrefix("caltime.") }
        #expect(store.remainingNames == used.map(\.name))
        for line in used { _ = try store.take(line.name, shape: line.shape) }
        try store.finish()
    }

    /// HDv3's `module.` prefix is stripped and all 160 tensors (teacher block included) bind strictly.
    @Test func hdv3WeightStoreStripsDataParallelPrefix() throws {
        var store = try WeightStore.load(contentsOf: try Fixtures.require(Fixtures.hdv3URL))
        #expect(store.remainingNames.count == 160)
        #expect(store.remainingScalarCount == 3_038_015)
        #expect(store.remainingNames.allSatisfy { !$0.hasPrefix("module.") })
        for line in try Fixtures.keyListing(Fixtures.hdv3KeysURL) {
            _ = try store.take(String(line.name.dropFirst("module.".count)), shape: line.shape)
        }
        try store.finish()
    }

    /// `WeightStore.load` sniffs the zip format too and gives the same tensors as `TorchCheckpoint`.
    @Test func weightStoreLoadSniffsZipFormat() throws {
        let store = try WeightStore.load(contentsOf: try Fixtures.require(Fixtures.v425URL), ignoringPrefixes: ["teacher."])
        let expected = try Fixtures.tensors(Fixtures.v425URL).map(\.name).filter { !$0.hasPrefix("teacher.") }
        #expect(store.remainingNames == expected)
    }
}
