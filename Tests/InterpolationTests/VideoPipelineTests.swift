import Foundation
import Interpolation
import TensorCore
import TestSupport
import Testing

/// Frames from an array (no decoder involved).
struct ArraySource: FrameSource {
    var frames: [Tensor]
    mutating func next() throws -> Tensor? { frames.isEmpty ? nil : frames.removeFirst() }
}

/// Collects what the pipeline writes.
struct ArraySink: FrameSink {
    var frames: [Tensor] = []
    mutating func write(_ frame: Tensor) throws { frames.append(frame) }
}

/// A smooth horizontal ramp moved `shift` pixels right; `inverted` makes a different shot.
func ramp(_ shift: Int, inverted: Bool = false, h: Int = 24, w: Int = 40) -> Tensor {
    var t = Tensor(shape: [1, 3, h, w])
    for c in 0..<3 { for y in 0..<h { for x in 0..<w {
        let v = Float((x + shift + c * 5 + y) % w) / Float(w - 1)
        t[0, c, y, x] = inverted ? 1 - v : v
    } } }
    return t
}

@Suite("VideoPipeline", .enabled(if: Fixtures.available(Fixtures.rifeV425Weights), "run Scripts/setup.sh first"))
struct VideoPipelineTests {
    static let interpolator: Interpolator? = try? Interpolator(contentsOf: Fixtures.rifeV425Weights)

    @Test("--multi 3 with a cut: counts, t = 0 frames untouched, held frames at the cut, the network elsewhere")
    func multiplyWithCut() throws {
        let interpolator = try #require(Self.interpolator)
        let sourceFrames = (0..<4).map { ramp($0) } + (0..<3).map { ramp($0, inverted: true) }
        let pipeline = VideoPipeline(interpolator: interpolator, timeline: Timeline(sourceRate: Rational(25), target: .multiply(3)),
                                     detector: SceneCutDetector())
        var source = ArraySource(frames: sourceFrames), sink = ArraySink()
        var progressCalls = 0
        let stats = try pipeline.run(source: &source, sink: &sink) { _ in progressCalls += 1 }
        #expect(stats.framesIn == 7 && stats.framesOut == 21 && sink.frames.count == 21 && progressCalls == 21)
        #expect(stats.sceneCuts == 1 && stats.heldAtCuts == 2)
        #expect(stats.interpolated == 5 * 2)  // 6 pairs, one a cut, two new frames each
        #expect(stats.networkPasses == 10 && stats.framesEncoded == 7)  // each source frame encoded once, even across the cut
        for i in 0..<7 { #expect(sink.frames[3 * i].scalars == sourceFrames[i].scalars, "t = 0 frame \(3 * i)") }
        #expect(sink.frames[10].scalars == sourceFrames[3].scalars)  // pair (3, 4) at t = 1/3: the nearer frame, 3
        #expect(sink.frames[11].scalars == sourceFrames[4].scalars)  // t = 2/3: frame 4
        #expect(sink.frames[1].scalars != sourceFrames[0].scalars && sink.frames[1].scalars != sourceFrames[1].scalars)
        #expect(sink.frames[19].scalars == sourceFrames[6].scalars && sink.frames[20].scalars == sourceFrames[6].scalars)  // the tail
    }

    @Test("the output is the per-frame interpolation of the timeline, bit for bit; frames only shown at t = 0 are never encoded",
          arguments: [(Rational(24000, 1001), Rational(60), 8), (Rational(30), Rational(20), 4), (Rational(25), Rational(100), 8)])
    func perFrameIdentity(_ source: Rational, _ output: Rational, _ expectedEncodes: Int) throws {
        let interpolator = try #require(Self.interpolator)
        let frames = (0..<8).map { ramp(2 * $0) }
        let timeline = Timeline(sourceRate: source, target: .rate(output))
        var input = ArraySource(frames: frames), sink = ArraySink()
        let stats = try VideoPipeline(interpolator: interpolator, timeline: timeline, detector: SceneCutDetector()).run(source: &input, sink: &sink)
        let prepared = try frames.map { try interpolator.prepare($0) }
        let total = timeline.outputFrameCount(sourceFrames: frames.count)
        #expect(sink.frames.count == total && stats.sceneCuts == 0)
        for k in 0..<total {
            // What the pipeline did frame by frame before it asked its renderer for whole pairs.
            let s = timeline.sample(k, sourceFrames: frames.count)
            let expected = try s.t == Rational(0) ? frames[s.index]
                : interpolator.interpolate(prepared[s.index], prepared[s.index + 1], t: Float(s.t.doubleValue))
            #expect(sink.frames[k].scalars == expected.scalars, "output frame \(k) (source \(s.index), t = \(s.t))")
        }
        #expect(stats.networkPasses == stats.interpolated)
        // 30 → 20 fps shows frames 0, 3 and 6 only at t = 0 (and 7 not at all): they are never encoded.
        #expect(stats.framesEncoded == expectedEncodes)
    }

    @Test("threshold 0 holds every pair: no network at all")
    func everythingIsACut() throws {
        let interpolator = try #require(Self.interpolator)
        let frames = (0..<3).map { ramp($0) }
        let pipeline = VideoPipeline(interpolator: interpolator, timeline: Timeline(sourceRate: Rational(24000, 1001), target: .rate(Rational(60))),
                                     detector: SceneCutDetector(threshold: 0))
        var source = ArraySource(frames: frames), sink = ArraySink()
        let stats = try pipeline.run(source: &source, sink: &sink)
        #expect(stats.interpolated == 0 && stats.sceneCuts == 2)
        #expect(stats.framesOut == 8)  // 3 frames at 24000/1001 = 0.125 s = 7.5 → 8 frames at 60
        for frame in sink.frames { #expect(frames.contains { $0.scalars == frame.scalars }) }
    }

    @Test("streams with no frame, one frame, or a size change are refused")
    func refused() throws {
        let interpolator = try #require(Self.interpolator)
        let pipeline = VideoPipeline(interpolator: interpolator, timeline: Timeline(sourceRate: Rational(25), target: .multiply(2)),
                                     detector: SceneCutDetector())
        var sink = ArraySink()
        var empty = ArraySource(frames: [])
        #expect(throws: VideoPipelineError("no video frames")) { try pipeline.run(source: &empty, sink: &sink) }
        var one = ArraySource(frames: [ramp(0)])
        #expect(throws: VideoPipelineError("only one frame; at least two are needed to interpolate")) { try pipeline.run(source: &one, sink: &sink) }
        var resized = ArraySource(frames: [ramp(0), ramp(1, h: 16)])
        #expect(throws: VideoPipelineError("frame 1 is 40x16, the first was 40x24; size changes are not supported")) {
            try pipeline.run(source: &resized, sink: &sink)
        }
    }
}
