import Foundation
import Interpolation
import Models
import TensorCore
import TestSupport
import Testing

@Test("dyadic times: numerator and exponent in lowest terms; others refused")
func dyadicTimes() {
    #expect(MidpointInterpolator.dyadic(0.5)! == (1, 1))
    #expect(MidpointInterpolator.dyadic(0.75)! == (3, 2))
    #expect(MidpointInterpolator.dyadic(0)! == (0, 0))
    #expect(MidpointInterpolator.dyadic(1)! == (1, 0))
    #expect(MidpointInterpolator.dyadic(5.0 / 16)! == (5, 4))
    #expect(MidpointInterpolator.dyadic(0.3) == nil)
    #expect(MidpointInterpolator.dyadic(1.0 / 3) == nil)
    #expect(MidpointInterpolator.dyadic(1.5) == nil)
}

@Suite("HDv3 recursive bisection", .enabled(if: Fixtures.available(Fixtures.rifeHDv3Weights), "run Scripts/setup.sh"))
struct MidpointInterpolatorTests {
    static let engine: MidpointInterpolator = {
        do { return try MidpointInterpolator(contentsOf: Fixtures.rifeHDv3Weights) } catch { fatalError("\(error)") }
    }()

    @Test("0.25 = mid(I0, mid(I0, I1)), 0.75 = mid(mid, I1); endpoints are the inputs; odd size is cropped back")
    func bisection() throws {
        let a = Tensor.random([1, 3, 37, 53], in: 0...1, seed: 31), b = Tensor.random([1, 3, 37, 53], in: 0...1, seed: 32)
        let e = Self.engine
        let frames = try e.interpolate(a, b, times: [0.25, 0.5, 0.75, 0, 1])
        let mid = try e.midpoint(a, b)
        #expect(mid.shape == [1, 3, 37, 53])
        #expect(frames[1] == mid)
        #expect(try frames[0] == e.midpoint(a, mid))
        #expect(try frames[2] == e.midpoint(mid, b))
        #expect(frames[3] == a && frames[4] == b)
    }

    @Test("non-dyadic t is refused with a message naming it")
    func refusesNonDyadic() {
        let a = Tensor(shape: [1, 3, 32, 32])
        #expect { try Self.engine.interpolate(a, a, times: [0.5, 0.3]) } throws: { "\($0)".contains("t = 0.3") }
    }
}
