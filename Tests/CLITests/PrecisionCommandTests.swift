import Foundation
import MediaIO
import TensorCore
import TestSupport
import Testing

@Suite("--precision", .enabled(if: weightsReady, "run Scripts/setup.sh first"))
struct PrecisionCommandTests {
    @Test("bad values, bf16 with HDv3 and bf16 on a CPU without it: one clear line, exit 1, nothing written")
    func refused() throws {
        let dir = scratchDirectory()
        let out = dir.appendingPathComponent("out.png").path
        expectUsageError(try runTween(["pair", demoA, demoB, "-o", out, "--precision", "fp16"]),
                         mentions: "The value 'fp16' is invalid for '--precision <precision>'. Please provide one of 'f32' and 'bf16'",
                         directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--precision", "bf16", "--model", "rife-hdv3"]),
                           mentions: "--precision bf16 needs --model rife-v4.25", directory: dir)
        expectUsageError(try runTween(["eval", dir.path, "--precision", "half"]),
                         mentions: "Please provide one of 'f32' and 'bf16'", directory: dir)
        expectCleanFailure(try runTween(["bench", "--precision", "bf16", "--model", "rife-hdv3"]),
                           mentions: "needs --model rife-v4.25", directory: dir)
        // oneDNN's ISA cap makes this CPU look like one without AVX512-BF16: the fallback is a refusal.
        let capped = try runTween(["pair", demoA, demoB, "-o", out, "--precision", "bf16"],
                                  environment: ["ONEDNN_MAX_CPU_ISA": "AVX512_CORE"])
        expectCleanFailure(capped, mentions: "--precision bf16 needs a CPU with AVX512-BF16 or AMX; this one offers avx512_core",
                           directory: dir)
        // f32 still runs under the same cap.
        let f32 = try runTween(["pair", demoA, demoB, "-o", out, "--precision", "f32"], environment: ["ONEDNN_MAX_CPU_ISA": "AVX512_CORE"])
        #expect(f32.status == 0, "\(f32.stderr)")
    }

    @Test("tween pair --precision bf16 writes a frame within a few 8-bit levels of f32",
          .enabled(if: Precision.bfloat16.isSupported, "this CPU has no native bf16"))
    func pairInBFloat16() throws {
        let dir = scratchDirectory()
        let (f32, bf16) = (dir.appendingPathComponent("f32.png"), dir.appendingPathComponent("bf16.png"))
        #expect(try runTween(["pair", demoA, demoB, "-o", f32.path]).status == 0)
        let r = try runTween(["pair", demoA, demoB, "-o", bf16.path, "--precision", "bf16"])
        #expect(r.status == 0, "\(r.stderr)")
        let (a, b) = (try PNG.read(f32), try PNG.read(bf16))
        let worst = zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        // The model test's gate (BFloat16Gate.frame, 0.05 of full scale) is 12.75 levels.
        #expect(worst <= 13, "worst 8-bit difference \(worst)")
    }

    @Test("tween bench alternates the precisions and prints the speed-up",
          .enabled(if: Precision.bfloat16.isSupported, "this CPU has no native bf16"))
    func benchBoth() throws {
        let r = try runTween(["bench", "--size", "128x96", "--runs", "1", "--precision", "f32", "--precision", "bf16"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| 128x96 | 128x128 | f32 |") && r.stdout.contains("| 128x96 | 128x128 | bf16 |"), "\(r.stdout)")
        #expect(r.stdout.contains("bf16 speed-up over f32"), "\(r.stdout)")
    }
}
