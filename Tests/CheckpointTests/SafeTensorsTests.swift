import Foundation
import TestSupport
import Testing
import TensorCore
import Checkpoint

/// The safetensors reader and writer.
struct SafeTensorsTests {
    static let contents = SafeTensors.Contents(
        tensors: [
            "b.weight": Tensor(shape: [2, 3], scalars: [1, 2, 3, -4, 5.5, 1e-20]),
            "a.bias": Tensor(shape: [3], scalars: [.pi, -0.0, 7]),
            "empty": Tensor(shape: [0, 4], scalars: []),
        ],
        metadata: ["source": "unit test", "json": #"{"t": [0.5]}"#])

    @Test func roundTripThroughAFile() throws {
        let directory = Scratch.directory("checkpoint")
        let url = directory.appendingPathComponent("round.safetensors")
        try SafeTensors.write(Self.contents, to: url)
        let read = try SafeTensors.read(contentsOf: url)
        #expect(read.tensors == Self.contents.tensors)
        #expect(read.metadata == Self.contents.metadata)
    }

    @Test func serializedLayout() throws {
        let data = SafeTensors.serialize(Self.contents)
        let headerLength = Int(LittleEndianReader(data).uint64(at: 0) ?? 0)
        #expect((8 + headerLength) % 8 == 0, "body is 8-byte aligned")
        #expect(data.count == 8 + headerLength + (6 + 3) * 4)
        #expect(try SafeTensors.parse(data).tensors == Self.contents.tensors)
    }

    /// A header with a given JSON text and a body of `bodyBytes` zero bytes.
    static func file(header: String, bodyBytes: Int) -> Data {
        let json = Array(header.utf8)
        return Data((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + json
                    + [UInt8](repeating: 0, count: bodyBytes))
    }

    @Test(arguments: [
        (#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 8),
        (#"{"x": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}"#, 4),
    ])
    func minimalFilesParse(header: String, body: Int) throws {
        #expect(try SafeTensors.parse(Self.file(header: header, bodyBytes: body)).tensors["x"] != nil)
    }

    @Test func shortFile() {
        expectCheckpointError(containing: ["truncated", "5 bytes"]) { try SafeTensors.parse(Data([1, 0, 0, 0, 0])) }
    }

    @Test func headerLengthBeyondFile() {
        var data = Self.file(header: "{}", bodyBytes: 0)
        data[0] = 200
        expectCheckpointError(containing: ["header length 200 at offset 0"]) { try SafeTensors.parse(data) }
        expectCheckpointError(containing: ["header length", "offset 0"]) {
            try SafeTensors.parse(Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B]))
        }
    }

    @Test(arguments: [
        (#"not json"#, 0, "not a JSON object"),
        (#"{"x": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, 4, "dtype F16"),
        (#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}"#, 8, "outside the 8-byte body"),
        (#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 4]}}"#, 8, "outside"),
        (#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [-4, 4]}}"#, 8, "outside"),
        (#"{"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, 8, "does not match"),
        (#"{"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 8]}}"#, 8, "does not match"),
        (#"{"x": {"dtype": "F32", "shape": [true, 2], "data_offsets": [0, 8]}}"#, 8, "bad dimension"),
        (#"{"x": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}"#, 8, "bad dimension"),
        (#"{"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"#, 8, "bad dimension"),
        (#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 1e30]}}"#, 8, "outside"),
        (#"{"x": {"dtype": "F32", "shape": [2147483646, 2147483646, 2], "data_offsets": [0, 8]}}"#, 8, "does not match"),
        (#"{"x": {"dtype": "F32", "shape": [2]}}"#, 8, "malformed header entry"),
        (#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 8, "body has 8 bytes"),
        (#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8, "expected 0"),
        (#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
         8, "gaps or overlaps"),
        (#"{"__metadata__": {"k": 1}}"#, 0, "__metadata__[k]"),
    ])
    func malformedHeadersThrow(header: String, body: Int, message: String) {
        expectCheckpointError(containing: [message]) { try SafeTensors.parse(Self.file(header: header, bodyBytes: body)) }
    }

    @Test func readErrorsArePrefixedWithThePath() throws {
        let directory = Scratch.directory("checkpoint")
        let url = directory.appendingPathComponent("bad.safetensors")
        try Data([1, 2, 3]).write(to: url)
        let error = expectCheckpointError(containing: ["truncated"]) { try SafeTensors.read(contentsOf: url) }
        #expect(error?.message.hasPrefix(url.path + ": ") == true)
    }

    /// A real fixture written by Python's safetensors library reads back with its metadata.
    @Test(.enabled(if: CheckpointFixtures.isCI || CheckpointFixtures.exists(CheckpointFixtures.rifeFixtures
        .appendingPathComponent("v425_odd.safetensors")), "shared fixtures not found"))
    func readsPythonWrittenFixture() throws {
        let url = try CheckpointFixtures.require(CheckpointFixtures.rifeFixtures.appendingPathComponent("v425_odd.safetensors"))
        let contents = try SafeTensors.read(contentsOf: url)
        #expect(contents.tensors.count == 9)
        #expect(contents.metadata["scale_list"] != nil)
        #expect(contents.tensors.values.allSatisfy { $0.rank == 4 })
    }
}
