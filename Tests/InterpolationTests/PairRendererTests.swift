import Foundation
import Interpolation
import TensorCore
import TestSupport
import Testing

@Test("HDv3 in video: the first time bisection cannot make, from the rates alone")
func firstUnsupportedTime() {
    func first(_ source: Rational, _ target: Timeline.Target) -> Rational? {
        BisectionRenderer.firstUnsupportedTime(in: Timeline(sourceRate: source, target: target))
    }
    for n in [2, 4, 8, 64] { #expect(first(Rational(30000, 1001), .multiply(n)) == nil, "--multi \(n)") }
    #expect(first(Rational(25), .multiply(3)) == Rational(1, 3))
    #expect(first(Rational(25), .multiply(6)) == Rational(1, 6))
    #expect(first(Rational(30), .rate(Rational(60))) == nil)
    #expect(first(Rational(30), .rate(Rational(120))) == nil)
    #expect(first(Rational(30000, 1001), .rate(Rational(120000, 1001))) == nil)
    #expect(first(Rational(30), .rate(Rational(20))) == nil)  // 30 → 20 fps: t = 0 and 1/2, both dyadic
    #expect(first(Rational(60), .rate(Rational(30))) == nil)  // every output frame is a source frame
    #expect(first(Rational(25), .rate(Rational(60))) == Rational(5, 12))
    #expect(first(Rational(30000, 1001), .rate(Rational(60))) == Rational(500, 1001))
    #expect(first(Rational(1), .rate(Rational(1 << 17))) == Rational(1, 1 << 17))  // dyadic, but deeper than maxDepth
}

@Suite("HDv3 bisection renderer", .enabled(if: Fixtures.available(Fixtures.rifeHDv3Weights), "run Scripts/setup.sh"))
struct BisectionRendererTests {
    @Test("--multi 4 in the pipeline: the inner frames are MidpointInterpolator's, 3 network passes per pair")
    func multiplyFour() throws {
        let engine = try MidpointInterpolator(contentsOf: Fixtures.rifeHDv3Weights)
        let frames = (0..<3).map { ramp(3 * $0) }
        let pipeline = VideoPipeline(renderer: BisectionRenderer(interpolator: engine),
                                     timeline: Timeline(sourceRate: Rational(25), target: .multiply(4)), detector: SceneCutDetector())
        var source = ArraySource(frames: frames), sink = ArraySink()
        let stats = try pipeline.run(source: &source, sink: &sink)
        #expect(sink.frames.count == 12 && stats.interpolated == 6)
        #expect(stats.networkPasses == 2 * 3 && stats.framesEncoded == 0)
        for pair in 0..<2 {
            let expected = try engine.interpolate(frames[pair], frames[pair + 1], times: [0.25, 0.5, 0.75])
            #expect(sink.frames[4 * pair] == frames[pair])
            for j in 0..<3 { #expect(sink.frames[4 * pair + 1 + j] == expected[j], "pair \(pair), t = \(Double(j + 1) / 4)") }
        }
    }

    @Test("a non-dyadic time is refused before any work")
    func refusesNonDyadic() throws {
        var renderer = BisectionRenderer(interpolator: try MidpointInterpolator(contentsOf: Fixtures.rifeHDv3Weights))
        let a = SourceFrame(index: 0, image: ramp(0)), b = SourceFrame(index: 1, image: ramp(1))
        #expect(throws: UnsupportedTimeError.self) { try renderer.render(a, b, times: [0.5, 1.0 / 3]) }
        #expect(renderer.counts.networkPasses == 0)
    }
}

/// A 128×96 scene: a textured static background, square A (20×20) moving 6 px right per frame,
/// square B moving 6 px left.
private func scene(_ frame: Int) -> Tensor {
    var f = Tensor(shape: [1, 3, 96, 128])
    for c in 0..<3 { for y in 0..<96 { for x in 0..<128 {
        f[0, c, y, x] = 0.5 + 0.25 * Float((x * (3 + c) + y * (5 - c)) % 37) / 37
    } } }
    for (x0, y0, green) in [(20 + 6 * frame, 20, Float(0.95)), (90 - 6 * frame, 60, Float(0.05))] {
        for c in 0..<3 { for y in y0..<(y0 + 20) { for x in x0..<(x0 + 20) {
            f[0, c, y, x] = c == 1 ? green : 0.4 + Float((x + y) % 7) / 40
        } } }
    }
    return f
}

/// 1 inside [x0, x1) × [y0, y1), 0 outside.
private func box(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Tensor {
    var m = Tensor(shape: [1, 1, 96, 128])
    for y in y0..<y1 { for x in x0..<x1 { m[0, 0, y, x] = 1 } }
    return m
}

@Suite("Time-curve renderer", .enabled(if: Fixtures.available(Fixtures.rifeV425Weights), "run Scripts/setup.sh first"))
struct TimeCurveRendererTests {
    static let interpolator: Interpolator? = try? Interpolator(contentsOf: Fixtures.rifeV425Weights)
    let frames = (0..<3).map(scene)

    func run(_ regions: [TimeCurveRenderer.Region], mode: TimeMapMode = .flowBlend) throws -> (frames: [Tensor], stats: PipelineStatistics) {
        let interpolator = try #require(Self.interpolator)
        let pipeline = VideoPipeline(renderer: TimeCurveRenderer(interpolator: interpolator, regions: regions, mode: mode),
                                     timeline: Timeline(sourceRate: Rational(25), target: .multiply(4)), detector: SceneCutDetector())
        var source = ArraySource(frames: frames), sink = ArraySink()
        let stats = try pipeline.run(source: &source, sink: &sink)
        return (sink.frames, stats)
    }

    /// Whether `frame` equals `expected` at every pixel where `select` holds (all channels), and how many pixels that was.
    func equal(_ frame: Tensor, _ expected: Tensor, where select: (Int) -> Bool) -> (equal: Bool, pixels: Int) {
        let plane = frame.h * frame.w
        var pixels = 0, equal = true
        for i in 0..<plane where select(i) {
            pixels += 1
            for c in 0..<3 where frame.scalars[c * plane + i] != expected.scalars[c * plane + i] { equal = false }
        }
        return (equal, pixels)
    }

    @Test("flow-blend: inside a region the frame is the network's frame at the curve's time, outside the uniform frame, bit for bit")
    func regionsFollowTheirCurves() throws {
        let interpolator = try #require(Self.interpolator)
        let held = box(10, 10, 70, 50), eased = box(50, 50, 125, 90)  // square A's path; square B's, on top
        let curves = [try TimeCurve(parsing: "hold"), try TimeCurve(parsing: "ease")]
        let out = try run([.init(mask: held, curve: curves[0]), .init(mask: eased, curve: curves[1])])
        #expect(out.frames.count == 12 && out.stats.interpolated == 6 && out.stats.framesEncoded == 3)
        // t = 0.25: times 0.25, 0 and 0.15625; t = 0.5: 0.5 (background and ease) and 0; t = 0.75: three again.
        #expect(out.stats.networkPasses == 2 * (3 + 2 + 3))
        let inHeld = { (i: Int) in held.scalars[i] == 1 && eased.scalars[i] == 0 }
        let inEased = { (i: Int) in eased.scalars[i] == 1 }
        let outside = { (i: Int) in held.scalars[i] == 0 && eased.scalars[i] == 0 }
        for pair in 0..<2 {
            let (a, b) = try (interpolator.prepare(frames[pair]), interpolator.prepare(frames[pair + 1]))
            #expect(out.frames[4 * pair] == frames[pair], "t = 0 is the source frame (both curves are 0 there)")
            for j in 1...3 {
                let t = Float(j) / 4, frame = out.frames[4 * pair + j]
                let uniform = try interpolator.interpolate(a, b, t: t)
                for (select, curve, name) in [(inHeld, curves[0], "hold"), (inEased, curves[1], "ease")] {
                    let own = try interpolator.run(a, b, time: .uniform(curve.time(at: Double(t)))).frame
                    let check = equal(frame, own, where: select)
                    #expect(check.equal && check.pixels > 1000, "pair \(pair), t = \(t): the \(name) region")
                }
                let check = equal(frame, uniform, where: outside)
                #expect(check.equal && check.pixels > 5000, "pair \(pair), t = \(t): the background")
                // The test only means something where the times make a difference.
                #expect(!equal(frame, uniform, where: inHeld).equal, "pair \(pair), t = \(t): the held region moved with the background")
            }
        }
    }

    @Test("a curve that is not 0 at phase 0 renders the t = 0 frames too; single mode is one pass per frame")
    func curveAwayFromZero() throws {
        let interpolator = try #require(Self.interpolator)
        let mask = box(10, 10, 70, 50)
        let out = try run([.init(mask: mask, curve: try TimeCurve(parsing: "0.5"))])
        #expect(out.stats.interpolated == 8 && out.stats.networkPasses == 2 * (2 + 2 + 1 + 2))  // t = 0.5 is one time
        let (a, b) = try (interpolator.prepare(frames[0]), interpolator.prepare(frames[1]))
        let region = try equal(out.frames[0], interpolator.run(a, b, time: .uniform(0.5)).frame) { mask.scalars[$0] == 1 }
        #expect(region.equal && region.pixels == 60 * 40)
        #expect(out.frames[0] != frames[0])
        // The last source frame has no pair to move in: it and the tail are the source frame.
        #expect(out.frames[8] == frames[2] && out.frames[11] == frames[2])

        let single = try run([.init(mask: mask, curve: try TimeCurve(parsing: "ease"))], mode: .single)
        #expect(single.stats.networkPasses == 6 && single.stats.interpolated == 6 && single.frames[0] == frames[0])
    }
}
