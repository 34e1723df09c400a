import Foundation
import MediaIO
import TensorCore
import TestSupport
import Testing

@Suite("PNG reading and writing")
struct PNGTests {
    let directory = Scratch.directory("png")

    @Test("decoding the fixture PNGs gives the reference's input tensors bit for bit",
          .enabled(if: Fixtures.available(Fixtures.rife("v425_demo.safetensors"))))
    func fixtureInputs() throws {
        let demo = try Fixtures.rifeTensors("v425_demo.safetensors")
        for (png, name) in [("v425_demo_img0.png", "img0"), ("v425_demo_img1.png", "img1")] {
            let image = try PNG.read(Fixtures.rife("png/\(png)"))
            #expect(image.tensor == demo[name]!, "\(png) vs \(name)")
        }
    }

    @Test("write then read returns the same pixels; odd sizes included", arguments: [(1, 1), (7, 3), (301, 173)])
    func roundTrip(width: Int, height: Int) throws {
        var g = SeededGenerator(seed: UInt64(width * 1000 + height))
        let image = RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &g) })
        let url = directory.appendingPathComponent("rt-\(width)x\(height).png")
        try PNG.write(image, to: url)
        #expect(try PNG.read(url) == image)
        // No temporary file is left beside the output.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("8-bit output rounds to nearest instead of truncating, and clamps")
    func rounding() {
        // 0.5/255 + a little rounds up to 1; truncation would give 0. 254.6/255 → 255. Out of range clamps.
        let t = Tensor(shape: [1, 3, 1, 2], scalars: [0.6 / 255, 254.6 / 255, 254.4 / 255, 1.7, -0.2, .nan])
        let image = RGBImage(tensor: t)
        #expect(image.pixels == [1, 254, 0, 255, 255, 0])
        // u8 → float → u8 is the identity for every value.
        let all = RGBImage(width: 256, height: 1, pixels: (0..<768).map { UInt8($0 / 3) })
        #expect(RGBImage(tensor: all.tensor) == all)
    }

    @Test("bad files fail with the file named and the reason")
    func badFiles() throws {
        let text = directory.appendingPathComponent("text.png")
        try Data("hello, not a png".utf8).write(to: text)
        #expect(throws: ImageError.self) { try PNG.read(text) }
        do { _ = try PNG.read(text); Issue.record("read a text file") } catch let e as ImageError {
            #expect(e.message.contains("text.png") && e.message.contains("not a PNG"))
        }
        // A real PNG cut in half: libpng's error reaches us as a message, not a crash.
        let good = directory.appendingPathComponent("good.png")
        try PNG.write(RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 7, count: 64 * 64 * 3)), to: good)
        let bytes = try Data(contentsOf: good)
        for cut in [9, 40, bytes.count / 2, bytes.count - 13] {
            let truncated = directory.appendingPathComponent("cut\(cut).png")
            try bytes.prefix(cut).write(to: truncated)
            #expect(throws: ImageError.self, "cut at \(cut)") { try PNG.read(truncated) }
        }
        #expect(throws: ImageError.self) { try PNG.read(directory.appendingPathComponent("missing.png")) }
        #expect(throws: ImageError.self) {
            try PNG.write(RGBImage(width: 1, height: 1, pixels: [0, 0, 0]), to: URL(fileURLWithPath: "/nonexistent-dir/x.png"))
        }
    }
}
