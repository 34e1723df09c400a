import Foundation
import TestSupport
import Testing
import TensorCore
import Checkpoint

/// Strict binding: missing, unexpected, duplicate and mis-shaped tensors are all errors.
struct WeightStoreTests {
    static func tensor(_ shape: [Int], _ value: Float = 1) -> Tensor { Tensor(shape: shape, repeating: value) }

    static let named: [(name: String, tensor: Tensor)] = [
        ("module.conv.weight", tensor([4, 3, 3, 3])),
        ("module.conv.bias", tensor([4], 2)),
        ("module.teacher.conv.weight", tensor([4, 3, 3, 3])),
        ("head.bias", tensor([2], 3)),
    ]

    @Test func stripsPrefixAndIgnoresPrefixesAfterStripping() throws {
        let store = try WeightStore(Self.named, ignoringPrefixes: ["teacher."])
        #expect(store.remainingNames == ["conv.weight", "conv.bias", "head.bias"])
        #expect(store.remainingScalarCount == 108 + 4 + 2)
    }

    @Test func strippingCanBeDisabled() throws {
        let store = try WeightStore(Self.named, strippingPrefix: nil)
        #expect(store.remainingNames == Self.named.map(\.name))
    }

    @Test func takeAndFinish() throws {
        var store = try WeightStore(Self.named, ignoringPrefixes: ["teacher."])
        #expect(try store.take("conv.bias", shape: [4]) == Self.tensor([4], 2))
        _ = try store.take("conv.weight", shape: [4, 3, 3, 3])
        _ = try store.take("head.bias", shape: [2])
        #expect(store.remainingNames.isEmpty)
        try store.finish()
    }

    @Test func missingTensor() throws {
        var store = try WeightStore(Self.named)
        expectCheckpointError(containing: ["missing tensor 'conv.gamma'"]) { try store.take("conv.gamma", shape: [4]) }
        _ = try store.take("conv.bias", shape: [4])
        // Taking twice is "missing" the second time.
        expectCheckpointError(containing: ["missing tensor 'conv.bias'"]) { try store.take("conv.bias", shape: [4]) }
    }

    @Test func wrongShapeNamesBothShapesAndKeepsTheTensor() throws {
        var store = try WeightStore(Self.named)
        let error = expectCheckpointError(containing: []) { try store.take("conv.weight", shape: [3, 4, 3, 3]) }
        #expect(error?.message == "tensor 'conv.weight' has shape [4, 3, 3, 3], expected [3, 4, 3, 3]")
        #expect(store.remainingNames.contains("conv.weight"))
    }

    @Test func unexpectedTensorsAreListedInFileOrder() throws {
        var store = try WeightStore(Self.named)
        _ = try store.take("conv.weight", shape: [4, 3, 3, 3])
        let error = expectCheckpointError(containing: []) { try store.finish() }
        #expect(error?.message == "unexpected tensors: conv.bias, teacher.conv.weight, head.bias")
    }

    @Test func duplicateNamesAfterStripping() {
        let tensors: [(name: String, tensor: Tensor)] = [("module.a", Self.tensor([1])), ("a", Self.tensor([1]))]
        expectCheckpointError(containing: ["duplicate tensor 'a'", "'module.a'"]) { try WeightStore(tensors) }
    }

    /// `load` sniffs content: a safetensors file named `.pkl` still loads; garbage is refused
    /// with the path in the message.
    @Test func loadSniffsSafeTensorsAndRefusesGarbage() throws {
        let directory = Scratch.directory("checkpoint")
        let url = directory.appendingPathComponent("weights.pkl")
        let contents = SafeTensors.Contents(tensors: ["module.b": Self.tensor([2], 5), "module.a": Self.tensor([1, 2])])
        try SafeTensors.write(contents, to: url)
        var store = try WeightStore.load(contentsOf: url)
        #expect(store.remainingNames == ["a", "b"])
        #expect(try store.take("b", shape: [2]) == Self.tensor([2], 5))

        let garbage = directory.appendingPathComponent("garbage.bin")
        try Data("definitely not weights".utf8).write(to: garbage)
        let error = expectCheckpointError(containing: ["unrecognized weights format", "offset 0"]) {
            try WeightStore.load(contentsOf: garbage)
        }
        #expect(error?.message.hasPrefix(garbage.path + ": ") == true)

        let missing = directory.appendingPathComponent("absent.safetensors")
        expectCheckpointError(containing: [missing.path, "cannot read"]) { try WeightStore.load(contentsOf: missing) }
    }

    /// A torch checkpoint (here a small synthetic zip) also loads through `WeightStore.load`.
    @Test func loadReadsTorchZip() throws {
        let directory = Scratch.directory("checkpoint")
        let url = directory.appendingPathComponent("model.pth")
        try ZipBytes.checkpoint(pickle: SyntheticCheckpointTests.goodPickle(), storages: SyntheticCheckpointTests.goodStorages())
            .write(to: url)
        var store = try WeightStore.load(contentsOf: url, ignoringPrefixes: ["conv.bias"])
        #expect(store.remainingNames == ["conv.weight"])
        _ = try store.take("conv.weight", shape: [2, 3, 1, 1])
        try store.finish()
    }
}
