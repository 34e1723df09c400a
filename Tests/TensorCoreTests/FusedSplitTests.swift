import Testing
import TensorCore
import TestSupport

/// The fused block-output kernels must give exactly (every bit) what the unfused steps give: the
/// golden tests compare the model against PyTorch through them, and the banded paths are asserted
/// bit-identical to the whole ones. Sizes are deliberately awkward (odd, one pixel wide or high,
/// batch 2) so that a wrong index, a lost edge tap or a vector-loop remainder shows up.
struct FusedSplitCase: CustomStringConvertible, Sendable {
    var n: Int, h: Int, w: Int, factor: Int, previous: Bool
    var description: String { "N\(n) \(h)x\(w) ×\(factor)\(previous ? " +previous" : "")" }
}

let fusedSplitCases: [FusedSplitCase] = [(1, 5, 7), (2, 3, 1), (1, 1, 3), (2, 4, 9), (1, 2, 2), (1, 9, 37)].flatMap { n, h, w in
    [1, 2, 4, 8, 16].flatMap { k in [false, true].map { FusedSplitCase(n: n, h: h, w: w, factor: k, previous: $0) } }
}

@Test("resizedSplitBlockOutput equals resize then split, bit for bit", arguments: fusedSplitCases)
func resizedSplitMatchesTwoSteps(_ fc: FusedSplitCase) {
    let out = Tensor.random([fc.n, 13, fc.h, fc.w], in: -3...3, seed: 40)
    let k = fc.factor
    let previous = fc.previous ? Tensor.random([fc.n, 4, fc.h * k, fc.w * k], in: -50...50, seed: 41) : nil
    let expected = splitBlockOutput(resizedBilinear(out, factor: Double(k)), scale: Float(k), previousFlow: previous)
    let got = resizedSplitBlockOutput(out, factor: Double(k), previousFlow: previous)
    #expect(got.flow == expected.flow, "\(fc): flow")
    #expect(got.maskLogit == expected.maskLogit, "\(fc): mask")
    #expect(got.features == expected.features, "\(fc): features")
}

/// `interleavedPhases` written out as its definition, one output element at a time:
/// `out[b, c', (2i + a)·r + a', (2j + p)·r + p'] = phases[a·2 + p][b, i, j, c'·r² + a'·r + p']`.
func referenceInterleave(_ phases: [ChannelsLastTensor], shuffle r: Int) -> Tensor {
    let (n, h, w, c) = (phases[0].n, phases[0].h, phases[0].w, phases[0].c)
    let oc = c / (r * r)
    var out = Tensor(shape: [n, oc, 2 * h * r, 2 * w * r], repeating: .nan)
    for b in 0..<n { for i in 0..<h { for j in 0..<w { for a in 0..<2 { for p in 0..<2 {
        for ch in 0..<oc { for ar in 0..<r { for pr in 0..<r {
            out[b, ch, (2 * i + a) * r + ar, (2 * j + p) * r + pr] =
                phases[a * 2 + p].scalars[((b * h + i) * w + j) * c + ch * r * r + ar * r + pr]
        } } }
    } } } } }
    return out
}

struct InterleaveCase: CustomStringConvertible, Sendable {
    var n: Int, h: Int, w: Int, channels: Int, shuffle: Int
    var description: String { "N\(n) \(h)x\(w) C\(channels) r\(shuffle)" }
}

@Test("interleavedPhases equals its element-by-element definition", arguments: [
    InterleaveCase(n: 1, h: 5, w: 7, channels: 13, shuffle: 2), InterleaveCase(n: 2, h: 3, w: 1, channels: 13, shuffle: 2),
    InterleaveCase(n: 1, h: 1, w: 3, channels: 13, shuffle: 2), InterleaveCase(n: 2, h: 4, w: 9, channels: 3, shuffle: 1),
    InterleaveCase(n: 1, h: 3, w: 5, channels: 2, shuffle: 3), InterleaveCase(n: 1, h: 6, w: 33, channels: 13, shuffle: 2),
])
func interleaveMatchesDefinition(_ ic: InterleaveCase) {
    let phases = (0..<4).map { p in
        Tensor.random([ic.n, ic.channels * ic.shuffle * ic.shuffle, ic.h, ic.w], seed: 50 + UInt64(p)).channelsLast()
    }
    #expect(interleavedPhases(phases, shuffle: ic.shuffle) == referenceInterleave(phases, shuffle: ic.shuffle), "\(ic)")
}

@Test("interleavedSplitBlockOutput (whole and in bands) equals interleave then split, bit for bit", arguments: [
    (1, 5, 7), (2, 3, 1), (1, 1, 3), (2, 4, 9), (1, 7, 33),
])
func interleavedSplitMatchesTwoSteps(n: Int, h: Int, w: Int) {
    let phases = (0..<4).map { p in Tensor.random([n, 52, h, w], in: -3...3, seed: 60 + UInt64(p)).channelsLast() }
    for withPrevious in [false, true] {
        let previous = withPrevious ? Tensor.random([n, 4, 4 * h, 4 * w], in: -50...50, seed: 64) : nil
        let expected = splitBlockOutput(referenceInterleave(phases, shuffle: 2), scale: 1, previousFlow: previous)
        let whole = interleavedSplitBlockOutput(phases, shuffle: 2, previousFlow: previous)
        #expect(whole.flow == expected.flow && whole.maskLogit == expected.maskLogit && whole.features == expected.features,
                "N\(n) \(h)x\(w) previous \(withPrevious)")
        for bandRows in [1, 2, 3] {
            let banded = interleavedSplitBlockOutput(height: h, width: w, batch: n, shuffle: 2, previousFlow: previous,
                                                     bandRows: bandRows) { rows in phases.map { $0.slicedRows(rows) } }
            #expect(banded.flow == expected.flow && banded.maskLogit == expected.maskLogit
                        && banded.features == expected.features, "N\(n) \(h)x\(w) bands of \(bandRows)")
        }
    }
}
