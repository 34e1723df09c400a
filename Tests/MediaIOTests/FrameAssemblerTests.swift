import Foundation
import MediaIO
import TestSupport
import Testing

@Suite("FrameAssembler")
struct FrameAssemblerTests {
    /// Frames whose every byte says which frame and offset it is, so a torn or shifted frame shows.
    static func stream(frames: Int, size: Int) -> [UInt8] {
        (0..<frames).flatMap { f in (0..<size).map { UInt8(truncatingIfNeeded: f &* 31 &+ $0) } }
    }

    @Test("any chunking gives the same whole frames", arguments: [1, 2, 7, 11, 12, 13, 64, 1000])
    func chunking(chunk: Int) throws {
        let size = 12, bytes = Self.stream(frames: 9, size: size)
        var assembler = FrameAssembler(frameSize: size)
        var frames: [[UInt8]] = []
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            frames += assembler.append(bytes[start..<min(start + chunk, bytes.count)])
            #expect(assembler.pendingByteCount < size)
        }
        try assembler.finish()
        #expect(frames.count == 9)
        #expect(frames.flatMap { $0 } == bytes)
    }

    @Test("random chunk sizes, including empty chunks")
    func randomChunks() throws {
        var rng = SeededGenerator(seed: 7)
        let size = 5 * 3 * 3, bytes = Self.stream(frames: 50, size: size)
        var assembler = FrameAssembler(frameSize: size)
        var frames: [[UInt8]] = [], at = 0
        while at < bytes.count {
            let n = min(Int.random(in: 0...200, using: &rng), bytes.count - at)
            frames += assembler.append(bytes[at..<at + n])
            at += n
        }
        try assembler.finish()
        #expect(frames.count == 50 && frames.flatMap { $0 } == bytes)
    }

    @Test("a stream that ends inside a frame is an error that says how much was there")
    func truncated() {
        var assembler = FrameAssembler(frameSize: 10)
        #expect(assembler.append([UInt8](repeating: 1, count: 25)).count == 2)
        #expect(assembler.pendingByteCount == 5)
        #expect(throws: MediaError("stream ended inside a frame (5 of 10 bytes)")) { try assembler.finish() }
    }
}

@Suite("VideoProbe", .enabled(if: MediaTools.enabled, "ffmpeg is not installed"))
struct VideoProbeTests {
    @Test("rate as a fraction, size, frames, audio, rotation; not-a-video and audio-only refused")
    func probe() throws {
        let dir = Scratch.directory("probe")
        let clip = dir.appendingPathComponent("ntsc.mp4")
        try MediaTools.make(clip, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=24000/1001", "-f", "lavfi", "-i", "sine=duration=1",
                                   "-frames:v", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        let info = try VideoProbe.probe(clip)
        #expect(info.width == 64 && info.height == 48)
        #expect(info.frameRateNumerator == 24000 && info.frameRateDenominator == 1001)
        #expect(info.frameCount == 10 && info.hasAudio && info.audioCodecs == ["aac"])
        #expect(!info.isVariableFrameRate && info.rotation == 0 && info.pixelFormat == "yuv420p")

        let rotated = dir.appendingPathComponent("rotated.mp4")
        try MediaTools.make(rotated, ["-i", clip.path, "-c", "copy", "-metadata:s:v:0", "rotate=90"])
        let r = try VideoProbe.probe(rotated)
        #expect(r.rotation == 90 || r.rotation == 270)
        #expect(r.width == 48 && r.height == 64)  // decoded frames are turned upright

        let text = dir.appendingPathComponent("notes.mp4")
        try Data("hello".utf8).write(to: text)
        #expect { try VideoProbe.probe(text) } throws: { ($0 as? MediaError)?.message.contains("not a video") == true }
        let audio = dir.appendingPathComponent("tone.m4a")
        try MediaTools.make(audio, ["-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac"])
        #expect { try VideoProbe.probe(audio) } throws: { ($0 as? MediaError)?.message.contains("no video stream") == true }
    }

    @Test("the reader returns every frame at the probed size, bit-identical to ffmpeg's own rgb24 decode")
    func reader() throws {
        let dir = Scratch.directory("reader")
        let clip = dir.appendingPathComponent("m.mkv")
        try MediaTools.make(clip, ["-f", "lavfi", "-i", "mandelbrot=size=70x38:rate=25", "-frames:v", "17", "-c:v", "libx264", "-pix_fmt", "yuv444p"])
        let info = try VideoProbe.probe(clip)
        let reader = try VideoReader(url: clip, info: info)
        var frames: [[UInt8]] = []
        while let image = try reader.next() { frames.append(image.pixels) }
        #expect(frames == (try MediaTools.decodeRGB(clip, width: 70, height: 38)))
        #expect(frames.count == 17)
    }
}

@Suite("slowed audio's atempo chain")
struct TempoFilterTests {
    @Test("one atempo slows by at most 2×: chained 0.5s, then the rest", arguments: [
        (2, "atempo=0.5"), (3, "atempo=0.5,atempo=0.666667"), (4, "atempo=0.5,atempo=0.5"),
        (8, "atempo=0.5,atempo=0.5,atempo=0.5"), (10, "atempo=0.5,atempo=0.5,atempo=0.5,atempo=0.800000"), (1, "anull"),
    ])
    func chain(factor: Int, expected: String) {
        #expect(AudioPlan.tempoFilter(slowingBy: factor) == expected)
        // The chain's product is the slowing.
        let product = expected == "anull" ? 1 : expected.split(separator: ",").map { Double($0.dropFirst(7))! }.reduce(1, *)
        #expect(abs(product * Double(factor) - 1) < 1e-5)
    }
}
