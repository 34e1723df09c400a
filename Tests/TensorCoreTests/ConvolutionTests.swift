import Testing
import TensorCore
import TestSupport

/// Fast (oneDNN) against reference kernels; both fp32 sums of the same products,
/// so they differ only by summation order: ~1e-6 relative to the operand scale.
let kernelTolerance: Float = 2e-5

struct ConvCase: CustomStringConvertible, Sendable {
    var c: Int, o: Int, h: Int, w: Int, k: Int, stride: Int, padding: Int, dilation: Int, bias: Bool, leaky: Bool
    var description: String {
        "C\(c)→O\(o) \(h)x\(w) k\(k) s\(stride) p\(padding) d\(dilation)\(bias ? " bias" : "")\(leaky ? " lrelu" : "")"
    }
}

let convCases: [ConvCase] = [
    ConvCase(c: 1, o: 1, h: 1, w: 1, k: 1, stride: 1, padding: 0, dilation: 1, bias: false, leaky: false),
    ConvCase(c: 3, o: 16, h: 7, w: 13, k: 3, stride: 2, padding: 1, dilation: 1, bias: true, leaky: true),
    ConvCase(c: 5, o: 3, h: 13, w: 7, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, leaky: false),
    ConvCase(c: 13, o: 7, h: 9, w: 11, k: 3, stride: 1, padding: 2, dilation: 2, bias: true, leaky: true),
    ConvCase(c: 15, o: 96, h: 16, w: 32, k: 3, stride: 2, padding: 1, dilation: 1, bias: true, leaky: true),
    ConvCase(c: 28, o: 17, h: 5, w: 3, k: 3, stride: 2, padding: 1, dilation: 1, bias: false, leaky: false),
    ConvCase(c: 32, o: 32, h: 3, w: 3, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, leaky: false),
    ConvCase(c: 2, o: 1, h: 1, w: 5, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, leaky: false),
]

@Test("conv2d: oneDNN matches the reference kernel", arguments: convCases)
func conv2dFastMatchesReference(_ cc: ConvCase) throws {
    let x = Tensor.random([1, cc.c, cc.h, cc.w], seed: 1)
    let wgt = Tensor.random([cc.o, cc.c, cc.k, cc.k], seed: 2)
    let b = cc.bias ? Tensor.random([cc.o], seed: 3) : nil
    var expected = Reference.conv2d(x, weight: wgt, bias: b, stride: cc.stride, padding: cc.padding, dilation: cc.dilation)
    if cc.leaky { expected = Reference.leakyReLU(expected, slope: 0.2) }
    let got = try conv2d(x, weight: wgt, bias: b, stride: cc.stride, padding: cc.padding, dilation: cc.dilation,
                         leakySlope: cc.leaky ? 0.2 : nil)
    #expect(got.shape == expected.shape)
    let d = difference(got, expected)
    #expect(d.maxAbs <= kernelTolerance, "\(cc): \(d)")
}

@Test("conv2d reference: hand-computed 3x3 case")
func conv2dReferenceByHand() {
    // Input 1..9 in a 3x3 plane, kernel of ones with the centre 2, bias 0.5, padding 1.
    let x = Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
    var k = Tensor(shape: [1, 1, 3, 3], repeating: 1)
    k[0, 0, 1, 1] = 2
    let y = Reference.conv2d(x, weight: k, bias: Tensor(shape: [1], scalars: [0.5]), stride: 1, padding: 1)
    // Top-left: 1+2+4+5 plus the centre once more (1) = 13, + 0.5. Centre: 45 + 5 + 0.5.
    #expect(y[0, 0, 0, 0] == 13.5)
    #expect(y[0, 0, 1, 1] == 50.5)
    // Stride 2 keeps the corners only: bottom-right 5+6+8+9 + 9 + 0.5.
    let s = Reference.conv2d(x, weight: k, bias: Tensor(shape: [1], scalars: [0.5]), stride: 2, padding: 1)
    #expect(s.shape == [1, 1, 2, 2])
    #expect(s[0, 0, 1, 1] == 37.5)
}

struct DeconvCase: CustomStringConvertible, Sendable {
    var c: Int, o: Int, h: Int, w: Int, bias: Bool
    var description: String { "C\(c)→O\(o) \(h)x\(w)\(bias ? " bias" : "")" }
}

@Test("convTranspose2d 4x4 s2 p1: oneDNN matches the reference kernel", arguments: [
    DeconvCase(c: 1, o: 1, h: 1, w: 1, bias: false),
    DeconvCase(c: 16, o: 4, h: 7, w: 13, bias: true),
    DeconvCase(c: 3, o: 8, h: 5, w: 1, bias: true),    // the largest merged one
    DeconvCase(c: 16, o: 9, h: 2, w: 3, bias: true),   // the smallest with four phase convolutions
    DeconvCase(c: 5, o: 52, h: 3, w: 5, bias: true),
    DeconvCase(c: 32, o: 52, h: 4, w: 8, bias: true),
    DeconvCase(c: 3, o: 7, h: 1, w: 6, bias: false),
])
func convTransposeFastMatchesReference(_ dc: DeconvCase) throws {
    let x = Tensor.random([1, dc.c, dc.h, dc.w], seed: 4)
    let wgt = Tensor.random([dc.c, dc.o, 4, 4], seed: 5)
    let b = dc.bias ? Tensor.random([dc.o], seed: 6) : nil
    let expected = Reference.convTranspose2d(x, weight: wgt, bias: b, stride: 2, padding: 1)
    let got = try convTranspose2d(x, weight: wgt, bias: b, stride: 2, padding: 1)
    #expect(got.shape == [1, dc.o, 2 * dc.h, 2 * dc.w])
    let d = difference(got, expected)
    #expect(d.maxAbs <= kernelTolerance, "\(dc): \(d)")
}

@Test("convTranspose2d reference: one input pixel stamps the kernel's centre")
func convTransposeReferenceByHand() {
    // A 1x1 input of value 2 with stride 2, padding 1 gives a 2x2 output: kernel taps (1...2, 1...2) · 2 + bias.
    let k = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
    let y = Reference.convTranspose2d(Tensor(shape: [1, 1, 1, 1], scalars: [2]), weight: k,
                                      bias: Tensor(shape: [1], scalars: [1]), stride: 2, padding: 1)
    #expect(y.shape == [1, 1, 2, 2])
    let expected: [Float] = [11, 13, 19, 21]  // taps 5, 6, 9, 10 times 2, plus 1
    #expect(y.scalars == expected)
}

@Test("4x4 s2 p1 transposed conv rewritten as a sub-pixel 3x3 conv matches the reference", arguments: [
    DeconvCase(c: 1, o: 1, h: 1, w: 1, bias: true),
    DeconvCase(c: 16, o: 4, h: 7, w: 13, bias: true),
    DeconvCase(c: 3, o: 8, h: 5, w: 1, bias: true),    // the largest merged one
    DeconvCase(c: 16, o: 9, h: 2, w: 3, bias: true),   // the smallest with four phase convolutions
    DeconvCase(c: 5, o: 52, h: 3, w: 5, bias: true),
    DeconvCase(c: 32, o: 52, h: 4, w: 8, bias: true),
])
func subPixelMatchesReference(_ dc: DeconvCase) throws {
    let x = Tensor.random([1, dc.c, dc.h, dc.w], seed: 17)
    let wgt = Tensor.random([dc.c, dc.o, 4, 4], seed: 18), b = Tensor.random([dc.o], seed: 19)
    let layer = SubPixelConvTranspose(transposedWeight: wgt, bias: b)
    #expect((layer.merged != nil) == (dc.o <= SubPixelConvTranspose.mergedMaximumOutputs))
    let d = try difference(layer(x), Reference.convTranspose2d(x, weight: wgt, bias: b, stride: 2, padding: 1))
    #expect(d.maxAbs <= kernelTolerance, "\(dc): \(d)")
}

@Test("channels-last conv2d and ResConv epilogue match the NCHW references", arguments: [
    ConvCase(c: 28, o: 16, h: 9, w: 13, k: 3, stride: 2, padding: 1, dilation: 1, bias: true, leaky: true),
    ConvCase(c: 3, o: 5, h: 1, w: 1, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, leaky: false),
    ConvCase(c: 13, o: 13, h: 7, w: 5, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, leaky: false),
])
func channelsLastMatchesReference(_ cc: ConvCase) throws {
    let x = Tensor.random([1, cc.c, cc.h, cc.w], seed: 20)
    let wgt = Tensor.random([cc.o, cc.c, cc.k, cc.k], seed: 21), b = Tensor.random([cc.o], seed: 22)
    #expect(Tensor(x.channelsLast()) == x)
    var expected = Reference.conv2d(x, weight: wgt, bias: b, stride: cc.stride, padding: cc.padding)
    if cc.leaky { expected = Reference.leakyReLU(expected) }
    let got = try conv2d(x.channelsLast(), weight: wgt, bias: b, stride: cc.stride, padding: cc.padding, leakySlope: cc.leaky ? 0.2 : nil)
    #expect(difference(Tensor(got), expected).maxAbs <= kernelTolerance, "\(cc)")
    if cc.c == cc.o && cc.stride == 1 {
        let beta = Tensor.random([1, cc.o, 1, 1], seed: 23)
        let fused = scaleResidualLeakyReLU(got, beta: beta, residual: x.channelsLast())
        let ref = Reference.scaleResidualLeakyReLU(expected, beta: beta, residual: x)
        #expect(difference(Tensor(fused), ref).maxAbs <= kernelTolerance)
    }
}

@Test("sub-pixel interleave with a pixel shuffle folded in equals the two steps; concat straight to channels-last")
func fusedLayoutKernels() throws {
    let x = Tensor.random([1, 5, 3, 7], seed: 24)
    let layer = SubPixelConvTranspose(transposedWeight: Tensor.random([5, 52, 4, 4], seed: 25), bias: Tensor.random([52], seed: 26))
    #expect(try layer(x.channelsLast(), shuffle: 2) == pixelShuffled(layer(x), factor: 2))
    let parts = [Tensor.random([1, 3, 5, 9], seed: 27), Tensor.random([1, 1, 5, 9], seed: 28), Tensor.random([1, 8, 5, 9], seed: 29)]
    #expect(channelsLastConcatenation(parts) == concatenatedChannels(parts).channelsLast())
}

@Test("block output split: flow · k plus the previous flow, mask and features in one pass")
func blockOutputSplit() {
    let out = Tensor.random([1, 13, 4, 6], seed: 32), previous = Tensor.random([1, 4, 4, 6], seed: 33)
    let split = splitBlockOutput(out, scale: 8, previousFlow: previous)
    #expect(split.flow == added(previous, multiplied(slicedChannels(out, 0..<4), by: 8)))
    #expect(split.maskLogit == slicedChannels(out, 4..<5) && split.features == slicedChannels(out, 5..<13))
    #expect(splitBlockOutput(out, scale: 2, previousFlow: nil).flow == multiplied(slicedChannels(out, 0..<4), by: 2))
}
