import Testing
import TensorCore
import TestSupport

@Test("maxPool2d matches its reference on awkward sizes",
      arguments: [(1, 3, 3, 3, 2), (3, 7, 9, 3, 2), (5, 14, 11, 3, 2), (2, 8, 5, 2, 2), (1, 6, 6, 1, 1), (4, 31, 17, 3, 3)])
func maxPoolFastMatchesReference(c: Int, h: Int, w: Int, kernel: Int, stride: Int) {
    let x = Tensor.random([2, c, h, w], in: -5...5, seed: 31)
    let fast = maxPool2d(x, kernel: kernel, stride: stride)
    let reference = Reference.maxPool2d(x, kernel: kernel, stride: stride)
    #expect(fast.shape == [2, c, (h - kernel) / stride + 1, (w - kernel) / stride + 1])
    let d = difference(fast, reference)
    #expect(d.maxAbs == 0, "\(d)")
}

@Test("maxPool2d reference: hand-computed windows, floor mode, NaN propagates")
func maxPoolByHand() {
    // 4x5 plane, 3x3 windows 2 apart: rows 0-2 and columns 0-2 / 2-4 (the last row and column
    // start no window in floor mode).
    let x = Tensor(shape: [1, 1, 4, 5], scalars: [
        1, 2, 3, 4, 5,
        6, 7, 8, 9, 0,
        -1, -2, -3, -4, 20,
        100, 100, 100, 100, 100])
    #expect(Reference.maxPool2d(x, kernel: 3, stride: 2).scalars == [8, 20])
    #expect(maxPool2d(x, kernel: 3, stride: 2).scalars == [8, 20])
    var y = x
    y[0, 0, 1, 1] = .nan
    let pooled = maxPool2d(y, kernel: 3, stride: 2)
    #expect(pooled.scalars[0].isNaN && pooled.scalars[1] == 20)
    #expect(Reference.maxPool2d(y, kernel: 3, stride: 2).scalars[0].isNaN)
}
