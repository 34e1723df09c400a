import Foundation
import Checkpoint
import Models
import TensorCore
import TestSupport
import Testing

/// The HDv3 model and its fixture, loaded once.
enum GoldenHDv3 {
    static let ready = Fixtures.available(Fixtures.rifeHDv3Weights, Fixtures.rife("hdv3_demo.safetensors"))

    static let model: RIFEHDv3 = {
        do { return try RIFEHDv3(contentsOf: Fixtures.rifeHDv3Weights) } catch {
            fatalError("cannot load \(Fixtures.rifeHDv3Weights.path): \(error) — run Scripts/setup.sh")
        }
    }()

    static let demo = Golden.tensors("hdv3_demo.safetensors")

    /// The demo pair is 448x256, already a multiple of 32: no padding.
    static let run: RIFEHDv3.Output = {
        do { return try model(demo["img0"]!, demo["img1"]!) } catch { fatalError("the demo pass failed: \(error)") }
    }()
}

@Suite("RIFE HDv3 against the PyTorch reference", .enabled(if: GoldenHDv3.ready, "run Scripts/setup.sh and put shared/ beside the checkout"))
struct HDv3GoldenTests {
    @Test("each level's cumulative flow, mask logit and mask", arguments: 0..<3)
    func levels(level i: Int) {
        let state = GoldenHDv3.run.levels[i]
        expectClose("hdv3 level\(i)_flow", state.flow, GoldenHDv3.demo["level\(i)_flow"], within: Gate.flow)
        expectClose("hdv3 level\(i)_mask_logit", state.maskLogit, GoldenHDv3.demo["level\(i)_mask_logit"], within: Gate.maskLogit)
        expectClose("hdv3 level\(i)_mask_sigmoid", state.mask, GoldenHDv3.demo["level\(i)_mask_sigmoid"], within: Gate.mask)
    }

    @Test("the midpoint frame")
    func finalFrame() {
        expectClose("hdv3 out_t0.5", GoldenHDv3.run.frame, GoldenHDv3.demo["out_t0.5"], within: Gate.frame)
    }

    @Test("padding: a multiple of max(32, 32/scale)")
    func padding() {
        #expect(RIFEHDv3.paddedSize(height: 256, width: 448, scale: 1) == (256, 448))
        #expect(RIFEHDv3.paddedSize(height: 173, width: 301, scale: 1) == (192, 320))
        #expect(RIFEHDv3.paddedSize(height: 173, width: 301, scale: 0.5) == (192, 320))
        #expect(RIFEHDv3.paddedSize(height: 173, width: 301, scale: 0.25) == (256, 384))
    }

    @Test("weights bind strictly: a missing, mis-shaped or unexpected tensor is named")
    func strictBinding() throws {
        let tensors = try TorchCheckpoint.parse(Data(contentsOf: Fixtures.rifeHDv3Weights))
        func load(_ list: [(name: String, tensor: Tensor)]) throws {
            var store = try WeightStore(list, ignoringPrefixes: RIFEHDv3.trainingOnlyPrefixes)
            _ = try RIFEHDv3(weights: &store)
            try store.finish()
        }
        try load(tensors)
        let cases: [(String, [(name: String, tensor: Tensor)])] = [
            ("block1.conv2.1.weight", tensors.filter { $0.name != "module.block1.conv2.1.weight" }),
            ("block2.conv0.0.0.weight", tensors.map { $0.name == "module.block2.conv0.0.0.weight" ? ($0.name, Tensor(shape: [45, 10, 3, 3])) : $0 }),
            ("block3.conv0.0.0.weight", tensors + [("module.block3.conv0.0.0.weight", Tensor(shape: [1]))]),
        ]
        for (name, list) in cases {
            #expect { try load(list) } throws: { "\($0)".contains(name) }
        }
    }
}
