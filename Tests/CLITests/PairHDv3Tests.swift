import Foundation
import MediaIO
import TestSupport
import Testing

@Suite("tween pair --model rife-hdv3", .enabled(if: Fixtures.available(Fixtures.rifeHDv3Weights), "run Scripts/setup.sh first"))
struct PairHDv3Tests {
    @Test("--count 3 bisects: the middle file is the --t 0.5 frame")
    func bisection() throws {
        let dir = scratchDirectory()
        let single = try runTween(["pair", demoA, demoB, "--model", "rife-hdv3", "-o", dir.appendingPathComponent("mid.png").path])
        #expect(single.status == 0, "\(single.stderr)")
        let many = try runTween(["pair", demoA, demoB, "--model", "rife-hdv3", "-o", dir.appendingPathComponent("seq.png").path, "--count", "3"])
        #expect(many.status == 0, "\(many.stderr)")
        #expect(try PNG.read(dir.appendingPathComponent("seq_002.png")) == PNG.read(dir.appendingPathComponent("mid.png")))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("seq_003.png").path))
    }

    @Test("refusals: --count not 2^k − 1, non-dyadic --t, unknown model")
    func refusals() throws {
        let dir = scratchDirectory()
        let out = dir.appendingPathComponent("x.png").path
        expectCleanFailure(try runTween(["pair", demoA, demoB, "--model", "rife-hdv3", "-o", out, "--count", "4"]),
                           mentions: "2^k − 1", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "--model", "rife-hdv3", "-o", out, "--t", "0.3"]),
                           mentions: "dyadic", directory: dir)
        expectUsageError(try runTween(["pair", demoA, demoB, "--model", "rife-v5", "-o", out]),
                         mentions: "Please provide one of 'rife-v4.25' and 'rife-hdv3'", directory: dir)
    }
}
