import Testing
import TensorCore
import TestSupport

let resizeCases: [(Int, Int, Double)] = [
    (17, 33, 1 / 16), (256, 512, 1 / 16), (13, 7, 0.5), (31, 9, 0.25), (5, 3, 2),
    (4, 8, 16), (3, 5, 4), (7, 11, 1), (1, 1, 8), (65, 129, 1 / 32),
]

@Test("resize: fast matches reference", arguments: resizeCases)
func resizeFastMatchesReference(h: Int, w: Int, factor: Double) {
    let x = Tensor.random([1, 3, h, w], seed: 7)
    let expected = Reference.resizeBilinear(x, factor: factor)
    let got = resizedBilinear(x, factor: factor)
    #expect(got.shape == expected.shape)
    let d = difference(got, expected)
    #expect(d.maxAbs == 0, "\(h)x\(w) ×\(factor): \(d)")
}

@Test("resize reference: hand-computed up- and downsampling")
func resizeReferenceByHand() {
    // 1-D [0, 4] upsampled ×2: source coordinates -0.25→0, 0.25, 0.75, 1.25→clamped to the last pixel.
    let up = Reference.resizeBilinear(Tensor(shape: [1, 1, 1, 2], scalars: [0, 4]), factor: 2)
    #expect(up.shape == [1, 1, 2, 4])
    #expect(Array(up.scalars[0..<4]) == [0, 1, 3, 4])
    // Odd width 5 halved → ⌊2.5⌋ = 2 samples at source 0.5 and 2.5 (averages of neighbours).
    let down2 = Reference.resizeBilinear(Tensor(shape: [1, 1, 2, 5], scalars: [1, 3, 5, 7, 100, 1, 3, 5, 7, 100]), factor: 0.5)
    #expect(down2.scalars == [2, 6])
    // ×1/16 without antialiasing: each output is the mean of the 2x2 pixels at 16·i+7 and 16·i+8.
    var big = Tensor(shape: [1, 1, 16, 16])
    big[0, 0, 7, 7] = 4; big[0, 0, 8, 8] = 8; big[0, 0, 0, 0] = 1000
    #expect(Reference.resizeBilinear(big, factor: 1.0 / 16).scalars == [3])
}

@Test("warp: fast matches reference, flows pointing far outside the image included", arguments: [
    (1, 1, 1), (3, 7, 13), (4, 13, 7), (8, 32, 64), (2, 2, 1),
])
func warpFastMatchesReference(c: Int, h: Int, w: Int) {
    let x = Tensor.random([1, c, h, w], seed: 9)
    let flow = Tensor.random([1, 2, h, w], in: -20...20, seed: 10)
    let d = difference(warped(x, flow: flow), Reference.warp(x, flow: flow))
    #expect(d.maxAbs == 0, "\(c)x\(h)x\(w): \(d)")
    // The flow may be a channel pair inside a larger tensor (RIFE's 4-channel flow).
    let flow4 = concatenatedChannels([Tensor.random([1, 2, h, w], seed: 11), flow])
    #expect(difference(warped(x, flow: flow4, flowChannel: 2), Reference.warp(x, flow: flow)).maxAbs == 0)
}

@Test("warp reference: identity, shifts, half pixels and the border")
func warpReferenceByHand() {
    let x = Tensor(shape: [1, 1, 2, 4], scalars: [0, 1, 2, 3, 10, 11, 12, 13])
    let zero = Tensor(shape: [1, 2, 2, 4])
    let eps: Float = 1e-5  // the normalised-grid round trip costs a few ulps of a pixel
    #expect(difference(Reference.warp(x, flow: zero), x).maxAbs <= eps)
    // dx = +1 everywhere: each pixel takes its right neighbour; the last column clamps to itself.
    var right = Tensor(shape: [1, 2, 2, 4])
    for y in 0..<2 { for xx in 0..<4 { right[0, 0, y, xx] = 1 } }
    #expect(difference(Reference.warp(x, flow: right),
                       Tensor(shape: [1, 1, 2, 4], scalars: [1, 2, 3, 3, 11, 12, 13, 13])).maxAbs <= eps)
    // dx = +0.5, dy = +0.5 at (0, 0): mean of the 2x2 corner = (0 + 1 + 10 + 11) / 4.
    var half = Tensor(shape: [1, 2, 2, 4])
    half[0, 0, 0, 0] = 0.5; half[0, 1, 0, 0] = 0.5
    #expect(abs(Reference.warp(x, flow: half)[0, 0, 0, 0] - 5.5) <= eps)
    // Far outside (dx = -100, dy = +100): the bottom-left pixel, by border clamping.
    var far = Tensor(shape: [1, 2, 2, 4])
    far[0, 0, 0, 3] = -100; far[0, 1, 0, 3] = 100
    #expect(abs(Reference.warp(x, flow: far)[0, 0, 0, 3] - 10) <= eps)
}

let warpResizeCases: [(Int, Int, Int, Double)] = [
    (3, 32, 64, 1.0 / 8), (4, 17, 33, 0.25), (8, 64, 128, 1.0 / 16), (3, 13, 7, 0.5), (2, 9, 11, 1), (1, 5, 5, 2),
]

@Test("warp fused with the downscale equals warp then resize, bit for bit", arguments: warpResizeCases)
func warpResizeFused(c: Int, h: Int, w: Int, factor: Double) {
    let x = Tensor.random([1, c, h, w], seed: 30)
    let flow = Tensor.random([1, 4, h, w], in: -12...12, seed: 31)
    let fused = warpedResized(x, flow: flow, flowChannel: 2, factor: factor)
    let twoStep = Reference.resizeBilinear(Reference.warp(x, flow: slicedChannels(flow, 2..<4)), factor: factor)
    let d = difference(fused, twoStep)
    #expect(d.maxAbs == 0, "\(c)x\(h)x\(w) ×\(factor): \(d)")
}

@Test("final warp, sigmoid and blend in one pass equal the four steps, bit for bit", arguments: [
    (1, 3, 13, 7), (2, 3, 8, 32), (1, 1, 1, 1), (1, 4, 5, 9),
])
func finalBlendFused(n: Int, c: Int, h: Int, w: Int) {
    let i0 = Tensor.random([n, c, h, w], seed: 60), i1 = Tensor.random([n, c, h, w], seed: 61)
    let flow = Tensor.random([n, 4, h, w], in: -15...15, seed: 62)
    let logit = Tensor.random([n, 1, h, w], in: -9...9, seed: 63)
    let fused = warpedAndBlended(i0, i1, flow: flow, maskLogit: logit)
    let w0 = warped(i0, flow: flow, flowChannel: 0), w1 = warped(i1, flow: flow, flowChannel: 2), m = sigmoid(logit)
    let same = (fused.warped0 == w0, fused.warped1 == w1, fused.mask == m, fused.frame == blended(w0, w1, mask: m))
    #expect(same == (true, true, true, true), "n \(n) c \(c) \(h)x\(w): \(same)")
}
