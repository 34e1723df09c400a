import Testing
import TensorCore
import TestSupport

/// Sources of a block input with random contents; flows up to ±`reach` px so that samples clamp at the border.
private func randomSources(n: Int, h: Int, w: Int, reach: Float, sharedTime: Bool, seed: UInt64) -> BlockInputSources {
    BlockInputSources(image0: .random([n, 3, h, w], seed: seed), image1: .random([n, 3, h, w], seed: seed + 1),
                      features0: .random([n, 4, h, w], in: -3...3, seed: seed + 2),
                      features1: .random([n, 4, h, w], in: -3...3, seed: seed + 3),
                      time: .random([sharedTime ? 1 : n, 1, h, w], seed: seed + 4),
                      maskLogit: .random([n, 1, h, w], in: -5...5, seed: seed + 5),
                      features: .random([n, 8, h, w], in: -2...2, seed: seed + 6),
                      flow: .random([n, 4, h, w], in: -reach...reach, seed: seed + 7))
}

/// The unfused form written out: each part as the reference computes it, concatenated.
private func referenceParts(_ s: BlockInputSources, downscale k: Double) -> [Tensor] {
    let flowPart = Reference.resizeBilinear(s.flow, factor: 1 / k)
    var time = s.time
    if time.n != s.image0.n { time = concatenatedBatch(Array(repeating: time, count: s.image0.n)) }
    return [Reference.resizeBilinear(Reference.warp(s.image0, flow: slicedChannels(s.flow, 0..<2)), factor: 1 / k),
            Reference.resizeBilinear(Reference.warp(s.image1, flow: slicedChannels(s.flow, 2..<4)), factor: 1 / k),
            Reference.resizeBilinear(Reference.warp(s.features0, flow: slicedChannels(s.flow, 0..<2)), factor: 1 / k),
            Reference.resizeBilinear(Reference.warp(s.features1, flow: slicedChannels(s.flow, 2..<4)), factor: 1 / k),
            Reference.resizeBilinear(time, factor: 1 / k),
            Reference.resizeBilinear(s.maskLogit, factor: 1 / k),
            Reference.resizeBilinear(s.features, factor: 1 / k),
            k == 1 ? flowPart : divided(flowPart, by: Float(k))]
}

/// Stacks [1, C, H, W] tensors along the batch axis.
private func concatenatedBatch(_ xs: [Tensor]) -> Tensor {
    Tensor(shape: [xs.count, xs[0].c, xs[0].h, xs[0].w], scalars: xs.flatMap(\.scalars))
}

let blockInputCases: [(n: Int, h: Int, w: Int, k: Double)] = [
    (1, 16, 32, 1), (1, 13, 7, 1), (1, 32, 64, 2), (1, 17, 33, 2), (2, 32, 48, 4), (1, 31, 9, 4),
    (1, 64, 128, 8), (2, 48, 16, 16), (1, 5, 3, 1),
]

@Test("block input assembled in one pass equals warp, resize and concatenation, bit for bit", arguments: blockInputCases)
func blockInputFusedEqualsParts(n: Int, h: Int, w: Int, k: Double) {
    for sharedTime in [true, false] {
        let sources = randomSources(n: n, h: h, w: w, reach: 3 * Float(max(h, w)) / 4, sharedTime: sharedTime, seed: 40)
        let expected = channelsLastConcatenation(referenceParts(sources, downscale: k))
        let fused = assembledBlockInput(sources, downscale: k, as: Float.self)
        #expect(fused.shape == expected.shape)
        let worst = zip(fused.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        let identical = fused == expected  // (compared outside #expect, which would print every element)
        #expect(identical, "n \(n) \(h)x\(w) ÷\(k) shared time \(sharedTime): worst element off by \(worst)")
        // bf16: the same values, rounded once on the way out.
        let identicalBF16 = assembledBlockInput(sources, downscale: k, as: BFloat16.self)
            == channelsLastConcatenation(referenceParts(sources, downscale: k), as: BFloat16.self)
        #expect(identicalBF16, "bf16, n \(n) \(h)x\(w) ÷\(k)")
    }
}

@Test("a band of the assembled block input is exactly those rows of the whole")
func blockInputBands() {
    let sources = randomSources(n: 1, h: 40, w: 24, reach: 30, sharedTime: true, seed: 50)
    for k in [1.0, 2, 4] {
        let whole = assembledBlockInput(sources, downscale: k, as: Float.self)
        let rows = whole.h
        for band in [0..<1, 1..<4, (rows - 3)..<rows, 0..<rows] {
            let part = assembledBlockInput(sources, downscale: k, rows: band, as: Float.self)
            let identical = part == whole.slicedRows(band)
            #expect(identical, "÷\(k) rows \(band)")
        }
    }
}
