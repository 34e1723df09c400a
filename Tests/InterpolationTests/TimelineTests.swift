import Foundation
import Interpolation
import TensorCore
import Testing

@Suite("Rational")
struct RationalTests {
    @Test("lowest terms, sign on the numerator, exact arithmetic")
    func arithmetic() {
        #expect(Rational(6, -4) == Rational(-3, 2))
        #expect(Rational(24000, 1001) * Rational(5, 2) == Rational(60000, 1001))
        #expect(Rational(1, 3) + Rational(1, 6) == Rational(1, 2))
        #expect(Rational(1, 3) - Rational(1, 2) == Rational(-1, 6))
        #expect(Rational(7, 2) / Rational(7, 4) == Rational(2))
        #expect(Rational(-1, 3) < Rational(0))
        #expect(Rational(7, 2).floor == 3 && Rational(-7, 2).floor == -4 && Rational(6, 3).floor == 2)
        #expect(Rational(5, 2).rounded == 3 && Rational(12, 5).rounded == 2)
        #expect(Rational(7, 3).fractionalPart == Rational(1, 3))
        // Accumulating 1001/24000 s a million times in Double drifts; in Rational it is exact.
        var t = Rational(0)
        for _ in 0..<100_000 { t = t + Rational(1001, 24000) }
        #expect(t == Rational(100_000 * 1001, 24000))
    }

    @Test("frame rates: fractions, integers, exact decimals, and NTSC spellings",
          arguments: [("30000/1001", Rational(30000, 1001)), ("25", Rational(25)), ("12.5", Rational(25, 2)),
                      ("59.94", Rational(60000, 1001)), ("29.97", Rational(30000, 1001)), ("23.976", Rational(24000, 1001)),
                      ("23.98", Rational(24000, 1001)), ("119.88", Rational(120000, 1001)), ("60", Rational(60)),
                      ("60.0", Rational(60)), ("60.00", Rational(60)), ("50.5", Rational(101, 2))])
    func parsing(text: String, expected: Rational) {
        #expect(Rational(frameRate: text) == expected, "\(text)")
    }

    @Test("rates that are not rates are refused", arguments: ["", "0", "-5", "0/1001", "1/0", "abc", "1.2.3", "60fps", "1e3", "30000/"])
    func refused(text: String) {
        #expect(Rational(frameRate: text) == nil, "\(text)")
    }
}

@Suite("Timeline")
struct TimelineTests {
    @Test("--multi N: N frames per source frame, t = j/N, exact duration")
    func multiply() {
        for n in [2, 3, 4, 8] {
            let tl = Timeline(sourceRate: Rational(25), target: .multiply(n))
            #expect(tl.outputRate == Rational(25 * n))
            #expect(tl.outputFrameCount(sourceFrames: 30) == 30 * n)
            for k in 0..<(29 * n) {
                #expect(tl.sample(k, sourceFrames: 30) == .init(index: k / n, t: Rational(k % n, n)))
            }
            // The tail holds the last frame.
            #expect(tl.sample(29 * n + 1, sourceFrames: 30) == .init(index: 29, t: Rational(0)))
        }
    }

    @Test("25 → 60: t cycles through twelfths; the output lasts as long as the input")
    func pal() {
        let tl = Timeline(sourceRate: Rational(25), target: .rate(Rational(60)))
        #expect(tl.outputFrameCount(sourceFrames: 25) == 60)
        #expect(tl.outputFrameCount(sourceFrames: 250) == 600)
        #expect(tl.sample(1, sourceFrames: 25) == .init(index: 0, t: Rational(5, 12)))
        #expect(tl.sample(3, sourceFrames: 25) == .init(index: 1, t: Rational(1, 4)))
        #expect(tl.sample(12, sourceFrames: 25) == .init(index: 5, t: Rational(0)))
        let t0 = (0..<60).filter { tl.sample($0, sourceFrames: 25).t == Rational(0) }
        #expect(t0 == [0, 12, 24, 36, 48, 58, 59])  // every 12th frame, plus the tail past frame 24
    }

    @Test("23.976 → 59.94 is exactly 2.5×: a 2-3 pattern of t = 0 and t = 1/2, no drift after an hour")
    func ntsc() {
        let tl = Timeline(sourceRate: Rational(frameRate: "23.976")!, target: .rate(Rational(frameRate: "59.94")!))
        #expect(tl.outputFrameCount(sourceFrames: 24) == 60)
        let ts = (0..<10).map { tl.sample($0, sourceFrames: 1000).t }
        #expect(ts == [0, 2, 4, 1, 3, 0, 2, 4, 1, 3].map { Rational($0, 5) })
        let hour = 24000 * 3600 / 1001 * 1  // frames in about an hour
        #expect(tl.outputFrameCount(sourceFrames: hour) == (Rational(hour) * Rational(5, 2)).rounded)
        #expect(tl.sample(5 * 10_000, sourceFrames: 100_000) == .init(index: 20_000, t: Rational(0)))
    }

    @Test("output duration equals input duration within one output frame",
          arguments: [("25", "60"), ("24000/1001", "60"), ("30000/1001", "60"), ("24", "59.94"), ("60", "25"), ("25", "50")])
    func durations(source: String, output: String) {
        let src = Rational(frameRate: source)!, out = Rational(frameRate: output)!
        let tl = Timeline(sourceRate: src, target: .rate(out))
        for frames in [2, 3, 24, 25, 120, 1001, 86_400] {
            let inDuration = Timeline.duration(frames: frames, rate: src)
            let outDuration = Timeline.duration(frames: tl.outputFrameCount(sourceFrames: frames), rate: out)
            let gap = inDuration - outDuration
            #expect(abs(gap.doubleValue) <= Rational(1, 2).doubleValue / out.doubleValue + 1e-12, "\(source)→\(output), \(frames) frames")
        }
    }

    @Test("24000/1001 → 60 and 30000/1001 → 60: counts")
    func counts() {
        #expect(Timeline(sourceRate: Rational(24000, 1001), target: .rate(Rational(60))).outputFrameCount(sourceFrames: 24) == 60)
        #expect(Timeline(sourceRate: Rational(30000, 1001), target: .rate(Rational(60))).outputFrameCount(sourceFrames: 120) == 240)
        #expect(Timeline(sourceRate: Rational(24000, 1001), target: .rate(Rational(60))).outputFrameCount(sourceFrames: 24_000) == 60_060)
    }
}

@Suite("SceneCutDetector")
struct SceneCutDetectorTests {
    static func frame(_ h: Int, _ w: Int, _ f: (Int, Int, Int) -> Float) -> Tensor {
        var t = Tensor(shape: [1, 3, h, w])
        for c in 0..<3 { for y in 0..<h { for x in 0..<w { t[0, c, y, x] = f(c, y, x) } } }
        return t
    }

    @Test("identical frames are 0 apart, black to white is 1, a small shift is far below the threshold")
    func distances() {
        let black = Self.frame(48, 64) { _, _, _ in 0 }, white = Self.frame(48, 64) { _, _, _ in 1 }
        let gradient = Self.frame(48, 64) { _, _, x in Float(x) / 63 }
        let shifted = Self.frame(48, 64) { _, _, x in Float(min(x + 1, 63)) / 63 }
        let sb = SceneCutDetector.signature(black), sw = SceneCutDetector.signature(white)
        #expect(SceneCutDetector.distance(sb, sb) == 0)
        #expect(abs(SceneCutDetector.distance(sb, sw) - 1) < 1e-6)
        let d = SceneCutDetector.distance(SceneCutDetector.signature(gradient), SceneCutDetector.signature(shifted))
        #expect(d < 0.03)
        let detector = SceneCutDetector()
        #expect(detector.isCut(sb, sw))
        #expect(!detector.isCut(SceneCutDetector.signature(gradient), SceneCutDetector.signature(shifted)))
    }

    @Test("frames smaller than the 32×32 grid work", arguments: [(1, 1), (3, 7), (13, 1), (31, 33)])
    func tiny(h: Int, w: Int) {
        let a = Self.frame(h, w) { _, y, x in Float((x + y) % 2) }, b = Self.frame(h, w) { _, y, x in Float((x + y + 1) % 2) }
        let d = SceneCutDetector.distance(SceneCutDetector.signature(a), SceneCutDetector.signature(b))
        #expect(d.isFinite && d >= 0 && d <= 1)
    }
}

@Suite("Timeline from timestamps (variable frame rate)")
struct TimestampTimelineTests {
    /// Irregular times in milliseconds: 45, 18, 25, 51, 37 ms apart.
    static let times = [0, 45, 63, 88, 139, 176].map { Rational($0, 1000) }

    @Test("every output frame's pair and t follow from the bracketing timestamps")
    func placement() {
        let timeline = Timeline(sourceRate: Rational(30), target: .rate(Rational(60)), sourceTimes: Self.times)
        for k in 0..<12 {
            let time = Rational(k, 60)
            let i = Self.times.lastIndex { $0 <= time }!
            let gap = i + 1 < Self.times.count ? Self.times[i + 1] - Self.times[i] : Rational(37, 1000)
            let expected = Rational(i) + (time - Self.times[i]) / gap
            #expect(timeline.position(k) == expected, "output frame \(k)")
        }
        // Frame 3 (50 ms) lies between 45 and 63 ms: pair 1, t = 5/18.
        #expect(timeline.sample(3, sourceFrames: 6) == Timeline.Sample(index: 1, t: Rational(5, 18)))
        // Frame 0 is source frame 0 itself; frame 10 (166.7 ms) is past 139 ms: pair 4.
        #expect(timeline.sample(0, sourceFrames: 6) == Timeline.Sample(index: 0, t: Rational(0)))
        #expect(timeline.sample(10, sourceFrames: 6).index == 4)
    }

    @Test("the output lasts as long as the frames: the last one's time plus the gap before it")
    func duration() {
        let timeline = Timeline(sourceRate: Rational(30), target: .rate(Rational(60)), sourceTimes: Self.times)
        #expect(timeline.sourceDuration(sourceFrames: 6) == Rational(213, 1000))
        #expect(timeline.outputFrameCount(sourceFrames: 6) == 13)  // 0.213 s × 60 = 12.78
        // --multi 2 means twice the nominal rate.
        #expect(Timeline(sourceRate: Rational(30), target: .multiply(2), sourceTimes: Self.times).outputRate == Rational(60))
    }

    @Test("evenly spaced timestamps give the constant-rate timeline exactly")
    func evenIsConstant() {
        let rate = Rational(30000, 1001)
        let even = (0..<50).map { Rational($0) / rate }
        let timed = Timeline(sourceRate: rate, target: .rate(Rational(60)), sourceTimes: even)
        let plain = Timeline(sourceRate: rate, target: .rate(Rational(60)))
        for k in 0..<100 { #expect(timed.position(k) == plain.position(k)) }
        #expect(timed.outputFrameCount(sourceFrames: 50) == plain.outputFrameCount(sourceFrames: 50))
    }

    @Test("--dedup's timeline: distinct frames at their own times, the last held until the source ends")
    func dedupEnd() {
        // A 12 fps drawing on twos in a 24 fps stream: frames 0, 2, 4, 6 kept (times 0, 1/12, 2/12, 3/12), 8 frames long.
        let kept = [0, 2, 4, 6].map { Rational($0, 24) }
        let dedup = Timeline(sourceRate: Rational(24), target: .rate(Rational(48)), sourceTimes: kept, sourceEnd: Rational(8, 24))
        let drawn = Timeline(sourceRate: Rational(12), target: .rate(Rational(48)))
        for k in 0..<16 { #expect(dedup.position(k) == drawn.position(k), "output frame \(k)") }
        #expect(dedup.sourceDuration(sourceFrames: 4) == Rational(1, 3))
        #expect(dedup.outputFrameCount(sourceFrames: 4) == drawn.outputFrameCount(sourceFrames: 4))
        // A held last frame (frames 4–7 the same picture): the last kept frame lasts to the end, not one gap.
        let held = Timeline(sourceRate: Rational(24), target: .multiply(2), sourceTimes: [0, 1, 2, 3, 4].map { Rational($0, 24) }, sourceEnd: Rational(8, 24))
        #expect(held.outputFrameCount(sourceFrames: 5) == 16)
        #expect(held.position(15) == Rational(4) + Rational(7, 8))
    }

    @Test("HDv3 takes timestamps only where every t is dyadic")
    func dyadic() {
        let halves = [0, 40, 80, 120].map { Rational($0, 1000) }
        #expect(BisectionRenderer.firstUnsupportedTime(in: Timeline(sourceRate: Rational(25), target: .multiply(2), sourceTimes: halves)) == nil)
        #expect(BisectionRenderer.firstUnsupportedTime(in: Timeline(sourceRate: Rational(30), target: .rate(Rational(60)), sourceTimes: Self.times)) != nil)
    }
}
