import Foundation
import Interpolation
import Models
import TensorCore
import TestSupport
import Testing

/// The memory savings for big frames (issue #7) must not change a single output value: the
/// full-resolution block's input is built and convolved band by band, block outputs are resized and
/// split in one pass, and only the final block's state is kept unless asked for.
@Suite(.enabled(if: Golden.ready, "RIFE v4.25 weights or fixtures missing"))
struct MemoryTests {
    /// Largest |a − b| over two tensors of the same shape.
    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func bandedFullResolutionBlockMatchesTheWholeInput() {
        let (a, b) = Golden.demoRun.prepared
        var whole = Golden.interpolator.model, banded = whole
        whole.bandBytes = .max    // one band: the block input assembled at once
        banded.bandBytes = 1      // one output row (three input rows) per band
        let reference = Interpolator(model: whole).run(a, b, time: .uniform(0.3))
        let out = Interpolator(model: banded).run(a, b, time: .uniform(0.3))
        let (frame, flow) = (maxDifference(out.frame, reference.frame),
                             maxDifference(out.network.blocks.last!.flow, reference.network.blocks.last!.flow))
        print("banded vs whole block-4 input: frame max |Δ| \(frame), flow max |Δ| \(flow)")
        #expect(frame == 0 && flow == 0)
        #expect(out.network.mask == reference.network.mask && out.network.blocks.last!.features == reference.network.blocks.last!.features)
    }

    @Test func onlyTheFinalBlockStateIsKeptByDefault() {
        let (a, b) = Golden.demoRun.prepared
        let all = Golden.demoRun.result, lean = Golden.interpolator.run(a, b, time: .uniform(0.5))
        #expect(all.network.blocks.count == 5 && lean.network.blocks.count == 1)
        #expect(lean.frame == all.frame && lean.network.warped0 == all.network.warped0 && lean.network.warped1 == all.network.warped1)
        #expect(lean.network.blocks[0].flow == all.network.blocks[4].flow)
        #expect(lean.network.blocks[0].maskLogit == all.network.blocks[4].maskLogit)
    }
}
