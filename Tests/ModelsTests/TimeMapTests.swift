import Interpolation
import TensorCore
import TestSupport
import Testing

/// A 256×192 pair: a static textured background, square A (40×40) moving 12 px right, square B moving 12 px left.
enum TimeMapScene {
    static let (width, height) = (256, 192)

    static func frame(shiftA: Int, shiftB: Int) -> Tensor {
        var f = Tensor(shape: [1, 3, height, width])
        for c in 0..<3 { for y in 0..<height { for x in 0..<width {
            // Texture: smooth stripes, different per channel, so the flow has something to lock on to.
            f[0, c, y, x] = 0.5 + 0.25 * Float(((x * (3 + c) + y * (5 - c)) % 37)) / 37
        } } }
        for (x0, y0, colour) in [(60 + shiftA, 40, Float(0.95)), (150 + shiftB, 110, Float(0.05))] {
            for c in 0..<3 { for y in y0..<(y0 + 40) { for x in x0..<(x0 + 40) {
                f[0, c, y, x] = c == 1 ? colour : 0.4 + Float((x + y) % 7) / 40
            } } }
        }
        return f
    }

    /// 1 inside the rectangle, 0 outside, optionally with a linear feather of `soft` px.
    static func mask(x0: Int, y0: Int, x1: Int, y1: Int, soft: Int = 0) -> Tensor {
        var m = Tensor(shape: [1, 1, height, width])
        for y in 0..<height { for x in 0..<width {
            let d = max(max(x0 - x, x - x1), max(y0 - y, y - y1))  // ≤ 0 inside
            m[0, 0, y, x] = d <= 0 ? 1 : (soft > 0 ? max(0, 1 - Float(d) / Float(soft)) : 0)
        } }
        return m
    }
}

/// Worst difference between `a` and `b` over the pixels where `select(weight)` holds.
func worstDifference(_ a: Tensor, _ b: Tensor, where weight: Tensor, _ select: (Float) -> Bool) -> (max: Float, pixels: Int) {
    let plane = a.h * a.w
    var worst: Float = 0, pixels = 0
    for i in 0..<plane where select(weight.scalars[i]) {
        pixels += 1
        for c in 0..<a.c { worst = max(worst, abs(a.scalars[c * plane + i] - b.scalars[c * plane + i])) }
    }
    return (worst, pixels)
}

@Suite("Per-region time maps", .enabled(if: Golden.ready, "run Scripts/setup.sh and put shared/ beside the checkout"))
struct TimeMapTests {
    let engine = Golden.interpolator
    let a: Interpolator.PreparedFrame, b: Interpolator.PreparedFrame

    init() throws {
        a = try engine.prepare(TimeMapScene.frame(shiftA: 0, shiftB: 0))
        b = try engine.prepare(TimeMapScene.frame(shiftA: 12, shiftB: -12))
    }

    @Test("flow-blend: inside a region the frame is that region's uniform-t frame, outside the background's, bit for bit")
    func flowBlendIsExactAwayFromEdges() throws {
        // Region A covers square A's path with a 12 px feather; region B square B's path, hard-edged, on top.
        let maskA = TimeMapScene.mask(x0: 50, y0: 30, x1: 122, y1: 90, soft: 12)
        let maskB = TimeMapScene.mask(x0: 120, y0: 100, x1: 200, y1: 160)
        let frame = try engine.interpolate(a, b, background: 0.5,
                                           regions: [TimeRegion(mask: maskA, t: 0.25), TimeRegion(mask: maskB, t: 0.75)])
        let uniform = try [Float(0.25), 0.5, 0.75].map { try engine.interpolate(a, b, t: $0) }
        // The test can only pass for the right reason if the three uniform frames differ where the squares move.
        let moved = worstDifference(uniform[0], uniform[1], where: maskA) { $0 == 1 }
        #expect(moved.max > 0.2, "t = 0.25 and 0.5 should differ on square A: \(moved)")

        let insideA = worstDifference(frame, uniform[0], where: maskA) { $0 == 1 }
        let insideB = worstDifference(frame, uniform[2], where: maskB) { $0 == 1 }
        var outside = Tensor(shape: maskA.shape)
        for i in 0..<outside.count { outside.scalars[i] = maskA.scalars[i] == 0 && maskB.scalars[i] == 0 ? 1 : 0 }
        let background = worstDifference(frame, uniform[1], where: outside) { $0 == 1 }
        print("time map flow-blend: inside A \(insideA), inside B \(insideB), background \(background)")
        #expect(insideA.pixels > 3000 && insideA.max == 0, "region A: \(insideA)")
        #expect(insideB.pixels > 4000 && insideB.max == 0, "region B: \(insideB)")
        #expect(background.pixels > 30000 && background.max == 0, "background: \(background)")
    }

    @Test("single pass: close to the region's uniform frame far from edges (reported), and a valid frame")
    func singlePassApproximates() throws {
        let maskA = TimeMapScene.mask(x0: 30, y0: 10, x1: 150, y1: 120)
        let single = try engine.interpolate(a, b, background: 0.5, regions: [TimeRegion(mask: maskA, t: 0.25)], mode: .single)
        let interior = TimeMapScene.mask(x0: 62, y0: 42, x1: 118, y1: 88)  // 32 px inside the region's edge
        let d = try worstDifference(single, engine.interpolate(a, b, t: 0.25), where: interior) { $0 == 1 }
        print("time map single pass vs uniform t = 0.25, ≥ 32 px inside the edge: \(d)")
        #expect(single.shape == [1, 3, TimeMapScene.height, TimeMapScene.width])
        #expect(single.scalars.allSatisfy { $0.isFinite && $0 >= -0.01 && $0 <= 1.01 })
    }

    @Test("weights: later regions on top, everything sums to one")
    func weightsCompose() throws {
        let top = TimeMapScene.mask(x0: 0, y0: 0, x1: 100, y1: 100, soft: 20)
        let under = TimeMapScene.mask(x0: 50, y0: 50, x1: 200, y1: 150, soft: 20)
        let frame = try engine.interpolate(a, b, background: 0.5, regions: [TimeRegion(mask: under, t: 0.5), TimeRegion(mask: top, t: 0.5)])
        // Every region at the background's time: exactly the uniform frame (weights summing to 1 · the same flow).
        let d = try difference(frame, engine.interpolate(a, b, t: 0.5))
        #expect(d.maxAbs <= 1e-6, "\(d)")
    }
}

@Suite("Iterative estimation", .enabled(if: Golden.ready, "run Scripts/setup.sh and put shared/ beside the checkout"))
struct IterativeTests {
    let engine = Golden.interpolator
    let a = TimeMapScene.frame(shiftA: 0, shiftB: 0), b = TimeMapScene.frame(shiftA: 12, shiftB: -12)

    @Test("one step is the direct interpolation; two steps chain through the first result, from the nearer frame")
    func stepsChain() throws {
        let (pa, pb) = try (engine.prepare(a), engine.prepare(b))
        let one = try IterativeInterpolator(base: engine, steps: 1).interpolate(a, b, times: [0.3, 0.8])
        #expect(try one[0] == engine.interpolate(pa, pb, t: 0.3) && one[1] == engine.interpolate(pa, pb, t: 0.8))
        let two = try IterativeInterpolator(base: engine, steps: 2).interpolate(a, b, times: [0.5, 0.75, 0, 1])
        // t = 0.5: 0 → 0.25 from I0, then from that result 1/3 of the way on to I1.
        let quarter = try engine.interpolate(pa, pb, t: 0.25)
        #expect(try two[0] == engine.interpolate(engine.prepare(quarter), pb, t: Float(0.25) / Float(0.75)))
        // t = 0.75 starts from I1: 1 → 0.875 (local 0.125), then on to 0.75 (local 0.125 / 0.875), towards I0.
        let first = try engine.interpolate(pb, pa, t: 0.125)
        #expect(try two[1] == engine.interpolate(engine.prepare(first), pa, t: Float(0.125) / Float(0.875)))
        #expect(two[2] == a && two[3] == b)
    }
}
