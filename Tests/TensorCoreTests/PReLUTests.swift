import Testing
import TensorCore
import TestSupport

@Test("PReLU (NCHW, channels-last, fused residual) matches the reference", arguments: [(1, 1, 1), (3, 5, 7), (45, 9, 17), (90, 4, 3)])
func preLUFastMatchesReference(c: Int, h: Int, w: Int) {
    let x = Tensor.random([2, c, h, w], in: -8...8, seed: 21)
    let slope = Tensor.random([c], in: -1...1, seed: 22)
    let expected = Reference.preLU(x, slope: slope)
    #expect(preLU(x, slope: slope) == expected)
    #expect(Tensor(preLU(x.channelsLast(), slope: slope)) == expected)
    let residual = Tensor.random([2, c, h, w], seed: 23)
    let fused = Tensor(preLU(x.channelsLast(), slope: slope, adding: residual.channelsLast()))
    #expect(fused == added(expected, residual))
}

@Test("PReLU reference: hand-computed values, slope per channel")
func preLUReferenceByHand() {
    let x = Tensor(shape: [1, 2, 1, 2], scalars: [-2, 3, -4, 0])
    let slope = Tensor(shape: [2], scalars: [0.5, -1])
    #expect(Reference.preLU(x, slope: slope).scalars == [-1, 3, 4, 0])
}
