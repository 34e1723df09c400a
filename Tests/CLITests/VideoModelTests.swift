import Foundation
import Interpolation
import MediaIO
import TensorCore
import TestSupport
import Testing

/// The PNG frames `tween video` wrote to `directory`, in order.
private func writtenFrames(_ directory: URL) throws -> [[UInt8]] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        .map { try PNG.read(directory.appendingPathComponent($0)).pixels }
}

private func tensor(_ pixels: [UInt8], width: Int = 64, height: Int = 48) -> Tensor {
    RGBImage(width: width, height: height, pixels: pixels).tensor
}

private func report(_ url: URL) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

@Suite("tween video --model rife-hdv3",
       .enabled(if: MediaTools.enabled && Fixtures.available(Fixtures.rifeHDv3Weights), "needs ffmpeg and the HDv3 weights (Scripts/setup.sh)"))
struct VideoHDv3Tests {
    @Test("--multi 4: the inner frames are MidpointInterpolator's on the decoded pair, 3 network passes per pair")
    func multiplyFour() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.mp4"), frames = dir.appendingPathComponent("frames")
        let json = dir.appendingPathComponent("r.json")
        try Clips.testsrc(input, rate: "25", frames: 5)
        let r = try runTween(["video", input.path, "-o", frames.path, "--multi", "4", "--model", "rife-hdv3", "--report", json.path])
        #expect(r.status == 0, "\(r.stderr)")
        let output = try writtenFrames(frames)
        let source = try MediaTools.decodeRGB(input, width: 64, height: 48)
        #expect(source.count == 5 && output.count == 20)
        let engine = try MidpointInterpolator(contentsOf: Fixtures.rifeHDv3Weights)
        for pair in 0..<4 {
            #expect(output[4 * pair] == source[pair], "t = 0 of pair \(pair) is the source frame")
            let expected = try engine.interpolate(tensor(source[pair]), tensor(source[pair + 1]), times: [0.25, 0.5, 0.75])
            for j in 0..<3 {
                #expect(output[4 * pair + 1 + j] == RGBImage(tensor: expected[j]).pixels, "pair \(pair), t = \(Double(j + 1) / 4)")
            }
        }
        #expect(output[16...].allSatisfy { $0 == source[4] })  // the tail holds the last frame
        let summary = try report(json)
        #expect(summary["model"] as? String == "rife-hdv3" && summary["sceneCuts"] as? Int == 0)
        #expect(summary["interpolated"] as? Int == 12 && summary["networkPasses"] as? Int == 4 * 3)

        // An --fps whose times are all dyadic: 25 → 50 fps is one midpoint per pair.
        let fifty = dir.appendingPathComponent("fifty")
        let r2 = try runTween(["video", input.path, "-o", fifty.path, "--fps", "50", "--model", "rife-hdv3", "--report", json.path])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(try writtenFrames(fifty).count == 10 && report(json)["networkPasses"] as? Int == 4)
    }

    @Test("times bisection cannot make are refused up front, naming the first one")
    func refusals() throws {
        let inputs = scratchDirectory(), dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: inputs); try? FileManager.default.removeItem(at: dir) }
        let input = inputs.appendingPathComponent("in.mp4")
        try Clips.testsrc(input, rate: "25", frames: 3)
        let out = dir.appendingPathComponent("out.mp4").path
        expectCleanFailure(try runTween(["video", input.path, "-o", out, "--multi", "3", "--model", "rife-hdv3"]),
                           mentions: "--multi 3 needs t = 1/3", directory: dir)
        // 25 → 60 fps: output frame 1 is at 25/60 = 5/12 of the first pair.
        let fps = try runTween(["video", input.path, "-o", out, "--fps", "60", "--model", "rife-hdv3"])
        expectCleanFailure(fps, mentions: "t = 5/12", directory: dir)
        #expect(fps.stderr.contains("use --model rife-v4.25"), "\(fps.stderr)")
        expectUsageError(try runTween(["video", input.path, "-o", out, "--multi", "2", "--model", "rife-v5"]),
                         mentions: "Please provide one of 'rife-v4.25' and 'rife-hdv3'", directory: dir, preexisting: ["in.mp4"])
    }
}

@Suite("tween video --time-curve", .enabled(if: MediaTools.enabled && weightsReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct VideoTimeCurveTests {
    /// A 64×48 mask PNG, white on the left half.
    func leftHalf(_ url: URL) throws -> Tensor {
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        var mask = Tensor(shape: [1, 1, 48, 64])
        for y in 0..<48 { for x in 0..<32 {
            mask[0, 0, y, x] = 1
            for c in 0..<3 { pixels[(y * 64 + x) * 3 + c] = 255 }
        } }
        try PNG.write(RGBImage(width: 64, height: 48, pixels: pixels), to: url)
        return mask
    }

    @Test("a held region: every frame is the flow-blend composite of its decoded pair, the rest as without the curve")
    func heldRegion() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.mp4"), maskURL = dir.appendingPathComponent("mask.png")
        let mask = try leftHalf(maskURL)
        try Clips.testsrc(input, rate: "25", frames: 4)
        let (curved, plain, json) = (dir.appendingPathComponent("curved"), dir.appendingPathComponent("plain"), dir.appendingPathComponent("r.json"))
        let r = try runTween(["video", input.path, "-o", curved.path, "--multi", "2", "--time-curve", "\(maskURL.path):hold", "--report", json.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try runTween(["video", input.path, "-o", plain.path, "--multi", "2"]).status == 0)
        let (withCurve, without) = (try writtenFrames(curved), try writtenFrames(plain))
        let source = try MediaTools.decodeRGB(input, width: 64, height: 48)
        #expect(withCurve.count == 8 && without.count == 8)
        let engine = try Interpolator(contentsOf: Fixtures.rifeV425Weights)
        for pair in 0..<3 {
            #expect(withCurve[2 * pair] == source[pair], "hold is 0 at phase 0: the source frame, bit for bit")
            let (a, b) = try (engine.prepare(tensor(source[pair])), engine.prepare(tensor(source[pair + 1])))
            let expected = try engine.interpolate(a, b, background: 0.5, regions: [TimeRegion(mask: mask, t: 0)])
            let frame = withCurve[2 * pair + 1]
            #expect(frame == RGBImage(tensor: expected).pixels, "pair \(pair) at t = 1/2")
            let rightHalf = (0..<48).flatMap { y in (32..<64).flatMap { x in (0..<3).map { (y * 64 + x) * 3 + $0 } } }
            #expect(rightHalf.allSatisfy { frame[$0] == without[2 * pair + 1][$0] }, "pair \(pair): outside the mask as without a curve")
            #expect(frame != without[2 * pair + 1], "pair \(pair): the held half should differ")
        }
        let summary = try report(json)
        #expect(summary["interpolated"] as? Int == 3 && summary["networkPasses"] as? Int == 3 * 2)  // t = 1/2 and the region's 0

        // A curve away from 0 at phase 0 renders the t = 0 frames as well (not the last source frame: it has no pair).
        let away = dir.appendingPathComponent("away")
        let r2 = try runTween(["video", input.path, "-o", away.path, "--multi", "2", "--time-curve", "\(maskURL.path):0=0.5,1=0.5",
                               "--time-map-mode", "single", "--report", json.path])
        #expect(r2.status == 0, "\(r2.stderr)")
        let awayFrames = try writtenFrames(away)
        #expect(awayFrames[0] != source[0] && awayFrames[6] == source[3])
        #expect(try report(json)["interpolated"] as? Int == 6)
    }

    @Test("bad time curves: one clear line, exit 1, nothing written")
    func refusals() throws {
        let inputs = scratchDirectory(), dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: inputs); try? FileManager.default.removeItem(at: dir) }
        let input = inputs.appendingPathComponent("in.mp4"), mask = inputs.appendingPathComponent("mask.png")
        _ = try leftHalf(mask)
        try Clips.testsrc(input, rate: "25", frames: 3)
        let small = inputs.appendingPathComponent("small.png")
        try PNG.write(RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 255, count: 48)), to: small)
        let out = dir.appendingPathComponent("out.mp4").path
        func refused(_ options: [String], _ fragment: String) throws {
            expectCleanFailure(try runTween(["video", input.path, "-o", out, "--multi", "2"] + options), mentions: fragment, directory: dir)
        }
        try refused(["--time-curve", mask.path], "MASK.png:CURVE")
        try refused(["--time-curve", "\(mask.path):wobble"], "unknown curve wobble")
        try refused(["--time-curve", "\(mask.path):"], "empty")
        try refused(["--time-curve", "\(mask.path):0=0,0.5=0.2,0.4=0.3,1=1"], "increase strictly")
        try refused(["--time-curve", "\(mask.path):0=0,0.5=0.2"], "end at phase 1")
        try refused(["--time-curve", "\(small.path):ease"], "same size")
        try refused(["--time-curve", "/no/mask.png:ease"], "no such file")
        try refused(["--time-curve", "\(mask.path):ease", "--model", "rife-hdv3"], "rife-v4.25")
        expectUsageError(try runTween(["video", input.path, "-o", out, "--multi", "2", "--time-curve", "\(mask.path):ease",
                                       "--time-map-mode", "blur"]), mentions: "'flow-blend' and 'single'", directory: dir)
    }
}
