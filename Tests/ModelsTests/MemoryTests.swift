import Foundation
import Interpolation
import Models
import TensorCore
import TestSupport
import Testing

/// The memory savings for big frames (issue #7) must not change a single output value: the
/// blocks' inputs are built and convolved band by band, block outputs are resized and
/// split in one pass, and only the final block's state is kept unless asked for.
@Suite(.enabled(if: Golden.ready, "RIFE v4.25 weights or fixtures missing"))
struct MemoryTests {
    /// Largest |a − b| over two tensors of the same shape.
    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Blocks 1–4 build their input band by band (block 4 at full size, block 3 at half size, …) and
    /// block 4 runs its last convolution band by band; one row per band must give every block state
    /// exactly as the whole input does.
    @Test func bandedBlockInputsMatchTheWholeInput() throws {
        let (a, b) = Golden.demoRun.prepared
        var whole = Golden.interpolator.model, banded = whole
        whole.bandBytes = .max    // one band: every block input assembled at once
        banded.bandBytes = 1      // one output row (three input rows) per band, in every block
        let reference = try Interpolator(model: whole).run(a, b, time: .uniform(0.3), keepingBlockStates: true)
        let out = try Interpolator(model: banded).run(a, b, time: .uniform(0.3), keepingBlockStates: true)
        #expect(out.network.blocks.count == 5 && reference.network.blocks.count == 5)
        for (i, (x, y)) in zip(out.network.blocks, reference.network.blocks).enumerated() {
            let (flow, mask, feat) = (maxDifference(x.flow, y.flow), maxDifference(x.maskLogit, y.maskLogit),
                                      maxDifference(x.features, y.features))
            print("banded vs whole block-\(i) input: flow max |Δ| \(flow), mask \(mask), features \(feat)")
            #expect(flow == 0 && mask == 0 && feat == 0, "block \(i)")
        }
        let frame = maxDifference(out.frame, reference.frame)
        print("banded vs whole: frame max |Δ| \(frame)")
        #expect(frame == 0 && out.network.mask == reference.network.mask)
    }

    /// A band of `warpedResized` / `resizedBilinear` is exactly those rows of the whole result.
    @Test func rowBandsOfWarpAndResizeMatchTheWholeResult() {
        let (h, w) = (24, 40)
        let image = Tensor(shape: [1, 3, h, w], scalars: (0..<(3 * h * w)).map { Float(($0 * 7919) % 1000) / 999 })
        let flow = Tensor(shape: [1, 4, h, w], scalars: (0..<(4 * h * w)).map { Float(($0 * 104_729) % 2001) / 100 - 10 })
        for factor in [1.0, 0.5, 0.25] {
            let warpWhole = warpedResized(image, flow: flow, flowChannel: 2, factor: factor)
            let resizeWhole = resizedBilinear(flow, factor: factor)
            let oh = warpWhole.h
            for rows in [0..<1, 1..<(oh / 2 + 1), (oh - 1)..<oh, 0..<oh] {
                #expect(warpedResized(image, flow: flow, flowChannel: 2, factor: factor, rows: rows) == slicedRows(warpWhole, rows),
                        "warp factor \(factor) rows \(rows)")
                #expect(resizedBilinear(flow, factor: factor, rows: rows) == slicedRows(resizeWhole, rows),
                        "resize factor \(factor) rows \(rows)")
            }
        }
    }

    /// A band of the sub-pixel transposed convolution's phases is exactly those rows of the whole phases.
    @Test func rowBandsOfSubPixelPhasesMatchTheWholePhases() throws {
        let (h, w, ci, co) = (9, 12, 8, 52)
        let x = ChannelsLastTensor(n: 1, h: h, w: w, c: ci, scalars: (0..<(h * w * ci)).map { Float(($0 * 7919) % 1000) / 500 - 1 })
        let layer = SubPixelConvTranspose(
            transposedWeight: Tensor(shape: [ci, co, 4, 4], scalars: (0..<(ci * co * 16)).map { Float(($0 * 104_729) % 997) / 997 - 0.5 }),
            bias: Tensor(shape: [co], scalars: (0..<co).map { Float($0) / 10 }))
        let whole = try layer.phases(x)
        for rows in [0..<1, 0..<4, 3..<7, (h - 1)..<h, 0..<h] {
            let band = try layer.phases(x, rows: rows)
            for phase in 0..<4 {
                #expect(band[phase] == whole[phase].slicedRows(rows), "phase \(phase) rows \(rows)")
            }
        }
    }

    @Test func onlyTheFinalBlockStateIsKeptByDefault() throws {
        let (a, b) = Golden.demoRun.prepared
        let all = Golden.demoRun.result, lean = try Golden.interpolator.run(a, b, time: .uniform(0.5))
        #expect(all.network.blocks.count == 5 && lean.network.blocks.count == 1)
        #expect(lean.frame == all.frame && lean.network.warped0 == all.network.warped0 && lean.network.warped1 == all.network.warped1)
        #expect(lean.network.blocks[0].flow == all.network.blocks[4].flow)
        #expect(lean.network.blocks[0].maskLogit == all.network.blocks[4].maskLogit)
    }
}

/// The bench's GFLOP/s divide by this count; it must be the arithmetic issue #7 states for the network.
@Test("convolution FLOPs per stage add up to issue #7's counts", .enabled(if: Golden.ready, "RIFE v4.25 weights or fixtures missing"))
func convolutionFLOPsMatchTheIssue() {
    let model = Golden.interpolator.model
    for (height, width, gflop) in [(256, 512, 5.82), (768, 1280, 43.68), (1152, 1920, 98.29)] {
        let stages = model.convolutionFLOPs(height: height, width: width)
        #expect(Set(stages.keys) == ["head", "block0", "block1", "block2", "block3", "block4"])
        let total = stages.values.reduce(0, +) / 1e9
        #expect(abs(total - gflop) < 0.005, "\(width)x\(height): \(total) GFLOP")
    }
    // Block 4 at 1280×768 by hand: 28→16 s2 to 640×384, 16→32 s2 to 320×192, eight 32→32, then 4 phases 32→52 2×2.
    let (a, b) = (640 * 384, 320 * 192)
    let block4 = 2.0 * Double(a * 16 * 28 * 9 + b * 32 * 16 * 9 + 8 * b * 32 * 32 * 9 + 4 * b * 52 * 32 * 4)
    #expect(model.convolutionFLOPs(height: 768, width: 1280)["block4"] == block4)
    // scale 0.5 halves the resolution of every block: the blocks' arithmetic drops to about a quarter.
    let half = model.convolutionFLOPs(height: 768, width: 1280, scale: 0.5)
    #expect(abs(half["block4"]! / block4 - 0.25) < 0.01)
}

/// Without `keepingBlockStates` the last block computes flow and mask only; they, and so the frame,
/// must be what the full 13-channel last convolution gives.
@Test("the last block without its features gives the same flow, mask and frame",
      .enabled(if: Golden.ready, "RIFE v4.25 weights or fixtures missing"))
func lastBlockWithoutFeatures() throws {
    let (a, b) = Golden.demoRun.prepared
    let lean = try Golden.interpolator.run(a, b, time: .uniform(0.4))
    let full = try Golden.interpolator.run(a, b, time: .uniform(0.4), keepingBlockStates: true)
    let (x, y) = (lean.network.blocks.last!, full.network.blocks.last!)
    #expect(x.features.c == 0 && y.features.c == 8)
    func worst(_ p: Tensor, _ q: Tensor) -> Float { zip(p.scalars, q.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } }
    let (flow, mask, frame) = (worst(x.flow, y.flow), worst(x.maskLogit, y.maskLogit), worst(lean.frame, full.frame))
    print("last block without features vs with: flow max |Δ| \(flow), mask \(mask), frame \(frame)")
    #expect(x.flow.shape == y.flow.shape && flow == 0 && mask == 0 && frame == 0)
}
