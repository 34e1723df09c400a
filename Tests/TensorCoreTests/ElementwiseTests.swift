import Testing
import TensorCore
import TestSupport

@Test("leakyReLU, sigmoid and the ResConv epilogue match their references", arguments: [(1, 1, 1), (3, 5, 7), (13, 9, 17)])
func elementwiseFastMatchesReference(c: Int, h: Int, w: Int) {
    let x = Tensor.random([1, c, h, w], in: -8...8, seed: 12)
    #expect(difference(leakyReLU(x), Reference.leakyReLU(x)).maxAbs == 0)
    #expect(difference(sigmoid(x), Reference.sigmoid(x)).maxAbs <= 1e-7)
    let beta = Tensor.random([1, c, 1, 1], seed: 13), residual = Tensor.random([1, c, h, w], seed: 14)
    #expect(difference(scaleResidualLeakyReLU(x, beta: beta, residual: residual),
                       Reference.scaleResidualLeakyReLU(x, beta: beta, residual: residual)).maxAbs == 0)
}

@Test("element references: hand-computed values")
func elementwiseReferenceByHand() {
    let x = Tensor(shape: [1, 1, 1, 3], scalars: [-5, 0, 2])
    #expect(Reference.leakyReLU(x).scalars == [-1, 0, 2])
    #expect(Reference.sigmoid(x).scalars[1] == 0.5)
    let r = Reference.scaleResidualLeakyReLU(x, beta: Tensor(shape: [1], scalars: [2]),
                                             residual: Tensor(shape: [1, 1, 1, 3], scalars: [1, 1, 1]))
    #expect(r.scalars == [Float(-9) * 0.2, 1, 5])  // -5·2 + 1 = -9, then the slope
}

@Test("pixel shuffle, concat, slice, pad and crop match references", arguments: [(1, 1, 1), (2, 3, 5), (13, 7, 3)])
func layoutFastMatchesReference(c: Int, h: Int, w: Int) {
    let x = Tensor.random([1, 4 * c, h, w], seed: 15)
    #expect(pixelShuffled(x, factor: 2) == Reference.pixelShuffle(x, factor: 2))
    let y = Tensor.random([1, 3, h, w], seed: 16)
    #expect(concatenatedChannels([x, y]) == Reference.concatChannels([x, y]))
    #expect(slicedChannels(x, 1..<(1 + c)) == Reference.sliceChannels(x, 1..<(1 + c)))
    let padded = paddedBottomRight(y, height: h + 3, width: w + 5)
    #expect(padded[0, 2, h + 2, w + 4] == 0)
    #expect(cropped(padded, height: h, width: w) == y)
}

@Test("pixel shuffle reference: the channel order of PyTorch")
func pixelShuffleByHand() {
    // Four 1x1 channels (a, b, c, d) become one 2x2 plane [[a, b], [c, d]].
    let x = Tensor(shape: [1, 4, 1, 1], scalars: [1, 2, 3, 4])
    #expect(Reference.pixelShuffle(x, factor: 2).scalars == [1, 2, 3, 4])
    let y = Tensor(shape: [1, 4, 1, 2], scalars: [1, 5, 2, 6, 3, 7, 4, 8])
    #expect(Reference.pixelShuffle(y, factor: 2).scalars == [1, 2, 5, 6, 3, 4, 7, 8])
}
