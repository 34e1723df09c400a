import Checkpoint
import Foundation
import Interpolation
import MediaIO
import TestSupport
import Testing
import TweenKit

/// A PNG whose header declares `width × height` and whose pixel data is a token IDAT: enough for
/// every check that must happen before pixel data is inflated.
private func pngHeader(width: UInt32, height: UInt32, extra: [(type: String, length: UInt32)] = []) -> Data {
    func be32(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(CRC32.checksum(body))
    }
    var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    bytes += chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
    // A chunk that declares more bytes than the file holds (libpng used to allocate all of them).
    for (type, length) in extra { bytes += be32(length) + Array(type.utf8) + [0, 0, 0] }
    if extra.isEmpty { bytes += chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", []) }
    return Data(bytes)
}

@Suite("memory budget (issue 19)", .enabled(if: weightsReady, "run Scripts/setup.sh first"))
struct MemoryBudgetTests {
    @Test("the formula bounds the engine's measured peak (tween bench, VmHWM) at 448×256, 720p, 1080p and 4K, within 1.3×")
    func formulaBoundsMeasuredPeaks() throws {
        for (width, height) in [(448, 256), (1280, 720), (1920, 1080), (3840, 2160)] {
            let r = try runTween(["bench", "--size", "\(width)x\(height)", "--runs", "1"], in: Fixtures.repoRoot)
            #expect(r.status == 0, "\(r.stderr)")
            let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("| \(width)x\(height) ") })
            let measured = try #require(Int(row.split(separator: "|").last { $0.contains("MiB") }!
                .trimmingCharacters(in: .whitespaces).dropLast(4)))
            let estimate = MemoryBudget.enginePeak(width: width, height: height, model: .rifeV425, scale: 1) >> 20
            print("\(width)x\(height): measured \(measured) MiB, estimate \(estimate) MiB")
            #expect(estimate >= measured && Double(estimate) <= 1.3 * Double(measured), "\(width)x\(height): \(estimate) vs \(measured)")
        }
    }

    @Test("a whole video job stays under its estimate (the report gives both)")
    func videoJobWithinEstimate() throws {
        guard MediaTools.enabled else { return }
        let dir = scratchDirectory()
        let input = dir.appendingPathComponent("in.mp4"), report = dir.appendingPathComponent("r.json")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-frames:v", "4",
                                    "-c:v", "libx264", "-preset", "ultrafast"])
        let r = try runTween(["video", input.path, "-o", dir.appendingPathComponent("o.mkv").path, "--multi", "4", "--quiet",
                              "--report", report.path])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let estimate = try #require(json["estimatedPeakMiB"] as? Int), peak = try #require(json["peakMemoryMiB"] as? Int)
        #expect(peak > 0 && peak <= estimate, "peak \(peak) MiB, estimate \(estimate) MiB")
    }

    @Test("16000×16000 PNGs are refused from the header: one line, under 2 s, nothing written")
    func hugePNG() throws {
        let dir = scratchDirectory(), inputs = scratchDirectory()
        let big = inputs.appendingPathComponent("big.png")
        try pngHeader(width: 16000, height: 16000).write(to: big)
        let started = Date()
        let r = try runTween(["pair", big.path, big.path, "-o", dir.appendingPathComponent("o.png").path])
        #expect(Date().timeIntervalSince(started) < 2)
        expectCleanFailure(r, mentions: "16000x16000 frames need about", directory: dir)
        #expect(r.stderr.contains("--max-memory"))
    }

    @Test("a PNG declaring a 2 GB text chunk is one clear line, not 2 GB of memory")
    func hugeChunk() throws {
        let dir = scratchDirectory(), inputs = scratchDirectory()
        for type in ["zTXt", "tEXt", "iTXt", "sPLT", "iCCP"] {
            let file = inputs.appendingPathComponent("\(type).png")
            try pngHeader(width: 64, height: 64, extra: [(type, 0x7FFF_FFF0)]).write(to: file)
            let started = Date()
            let r = try runTween(["pair", file.path, file.path, "-o", dir.appendingPathComponent("o.png").path])
            #expect(Date().timeIntervalSince(started) < 2)
            expectCleanFailure(r, mentions: "truncated PNG", directory: dir)
        }
    }

    @Test("an 8000×8000 video is refused after the probe: one line, under 2 s, nothing written")
    func hugeVideo() throws {
        guard MediaTools.enabled else { return }
        let dir = scratchDirectory(), inputs = scratchDirectory()
        let input = inputs.appendingPathComponent("big.mp4")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "color=gray:size=8000x8000:rate=25", "-frames:v", "2",
                                    "-c:v", "libx264", "-preset", "ultrafast"])
        let started = Date()
        let r = try runTween(["video", input.path, "-o", dir.appendingPathComponent("o.mp4").path, "--multi", "2"])
        #expect(Date().timeIntervalSince(started) < 2)
        expectCleanFailure(r, mentions: "8000x8000 frames need about", directory: dir)
    }

    @Test("--max-memory: a lower limit refuses the demo pair, a higher one runs it; bad sizes are usage errors")
    func maxMemory() throws {
        let dir = scratchDirectory()
        let out = dir.appendingPathComponent("o.png").path
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--max-memory", "100M"]),
                           mentions: "more than 100 MiB (--max-memory)", directory: dir)
        #expect(try runTween(["pair", demoA, demoB, "-o", out, "--max-memory", "1G"]).status == 0)
        expectUsageError(try runTween(["pair", demoA, demoB, "-o", out + "2", "--max-memory", "lots"]),
                         mentions: "--max-memory", directory: dir, preexisting: ["o.png"])
        #expect(MemoryBudget.parse("1.5G") == 1_610_612_736 && MemoryBudget.parse("512MiB") == 512 << 20
                && MemoryBudget.parse("8") == nil && MemoryBudget.parse("-1G") == nil)
    }
}
