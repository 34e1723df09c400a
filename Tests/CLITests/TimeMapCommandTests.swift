import Foundation
import MediaIO
import TestSupport
import Testing

@Suite("tween pair --time-map", .enabled(if: weightsReady, "run Scripts/setup.sh first"))
struct TimeMapCommandTests {
    /// Writes a 128×128 pair (a square moving 10 px right on a striped background) and a mask PNG
    /// covering the square's path; returns their paths and the mask.
    func scene(_ dir: URL) throws -> (a: String, b: String, mask: String, inside: (Int, Int) -> Bool) {
        func frame(_ shift: Int) -> RGBImage {
            var px = [UInt8](repeating: 0, count: 128 * 128 * 3)
            for y in 0..<128 { for x in 0..<128 { for c in 0..<3 {
                let square = x >= 30 + shift && x < 60 + shift && y >= 40 && y < 70
                px[(y * 128 + x) * 3 + c] = square ? UInt8(200 - 60 * c) : UInt8(90 + ((x * (2 + c) + 3 * y) % 23) * 3)
            } } }
            return RGBImage(width: 128, height: 128, pixels: px)
        }
        let inside = { (x: Int, y: Int) in x >= 20 && x < 80 && y >= 30 && y < 80 }
        var m = [UInt8](repeating: 0, count: 128 * 128 * 3)
        for y in 0..<128 { for x in 0..<128 where inside(x, y) { for c in 0..<3 { m[(y * 128 + x) * 3 + c] = 255 } } }
        let (a, b, mask) = (dir.appendingPathComponent("a.png"), dir.appendingPathComponent("b.png"), dir.appendingPathComponent("mask.png"))
        try PNG.write(frame(0), to: a)
        try PNG.write(frame(10), to: b)
        try PNG.write(RGBImage(width: 128, height: 128, pixels: m), to: mask)
        return (a.path, b.path, mask.path, inside)
    }

    @Test("the masked region takes its own time, the rest the background's, pixel for pixel")
    func regionFollowsItsTime() throws {
        let dir = scratchDirectory()
        let s = try scene(dir)
        let out = dir.appendingPathComponent("map.png").path
        let r = try runTween(["pair", s.a, s.b, "-o", out, "--t", "0.5", "--time-map", "\(s.mask):0.25"])
        #expect(r.status == 0, "\(r.stderr)")
        for (t, name) in [("0.25", "q.png"), ("0.5", "h.png")] {
            #expect(try runTween(["pair", s.a, s.b, "-o", dir.appendingPathComponent(name).path, "--t", t]).status == 0)
        }
        let map = try PNG.read(URL(fileURLWithPath: out))
        let quarter = try PNG.read(dir.appendingPathComponent("q.png")), half = try PNG.read(dir.appendingPathComponent("h.png"))
        var mismatches = 0, regionDiffers = 0
        for y in 0..<128 { for x in 0..<128 {
            let i = (y * 128 + x) * 3
            let expected = s.inside(x, y) ? quarter : half
            if map.pixels[i..<(i + 3)] != expected.pixels[i..<(i + 3)] { mismatches += 1 }
            if s.inside(x, y), quarter.pixels[i..<(i + 3)] != half.pixels[i..<(i + 3)] { regionDiffers += 1 }
        } }
        #expect(regionDiffers > 100, "t = 0.25 and 0.5 should differ where the square moves")
        #expect(mismatches == 0, "\(mismatches) pixels follow the wrong clock")
        let single = try runTween(["pair", s.a, s.b, "-o", dir.appendingPathComponent("single.png").path, "--t", "0.5",
                                   "--time-map", "\(s.mask):0.25", "--time-map-mode", "single"])
        #expect(single.status == 0, "\(single.stderr)")
    }

    @Test("bad time maps: one clear line, exit 1, nothing written")
    func badTimeMaps() throws {
        let inputs = scratchDirectory(), dir = scratchDirectory()
        let s = try scene(inputs)
        let out = dir.appendingPathComponent("o.png").path
        let small = inputs.appendingPathComponent("small.png")
        try PNG.write(RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 255, count: 48)), to: small)
        expectCleanFailure(try runTween(["pair", s.a, s.b, "-o", out, "--time-map", s.mask]), mentions: "MASK.png:T", directory: dir)
        expectCleanFailure(try runTween(["pair", s.a, s.b, "-o", out, "--time-map", "\(s.mask):1.5"]), mentions: "[0, 1]", directory: dir)
        expectCleanFailure(try runTween(["pair", s.a, s.b, "-o", out, "--time-map", "\(small.path):0.3"]), mentions: "same size", directory: dir)
        expectCleanFailure(try runTween(["pair", s.a, s.b, "-o", out, "--time-map", "/no/mask.png:0.3"]), mentions: "no such file", directory: dir)
        expectCleanFailure(try runTween(["pair", s.a, s.b, "-o", out, "--count", "2", "--time-map", "\(s.mask):0.3"]), mentions: "--count", directory: dir)
        expectUsageError(try runTween(["pair", s.a, s.b, "-o", out, "--time-map", "\(s.mask):0.3", "--time-map-mode", "blur"]),
                         mentions: "'flow-blend' and 'single'", directory: dir)
        expectCleanFailure(try runTween(["pair", s.a, s.b, "-o", out, "--model", "rife-hdv3", "--time-map", "\(s.mask):0.5"]),
                           mentions: "rife-v4.25", directory: dir)
    }
}
