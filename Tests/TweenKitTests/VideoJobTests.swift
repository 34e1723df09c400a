import Foundation
import Interpolation
import MediaIO
import TensorCore
import TestSupport
import Testing
import TweenKit

private let videoReady = Fixtures.available(Fixtures.rifeV425Weights, Fixtures.carphoneClip) && MediaTools.enabled

/// MD5 of a folder of PNG frames decoded to RGB24 by ffmpeg (lossless, so the same on every ffmpeg).
private func framesMD5(_ folder: URL) throws -> String {
    let text = String(decoding: try MediaTools.run("ffmpeg", ["-v", "error", "-i", folder.appendingPathComponent("%06d.png").path,
                                                               "-pix_fmt", "rgb24", "-f", "md5", "-"]), as: UTF8.self)
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite("VideoJob (the library's video job)", .enabled(if: videoReady, "needs ffmpeg, the weights and the carphone clip (Scripts/setup.sh)"))
struct VideoJobTests {
    /// The output of `tween video carphone_pristine.mp4 -o FRAMES --multi 2 --precision f32` before the
    /// job moved into the library (binary of 119c467), 240 frames: the move changed no pixel.
    static let carphoneMulti2MD5 = "MD5=5435a7df3c8074954ff2219ba93d3596"

    @Test("carphone --multi 2, f32: bit-identical to the CLI before the move; progress events; report")
    func carphoneBitIdentical() async throws {
        let dir = Scratch.directory("videojob")
        let output = dir.appendingPathComponent("frames")
        var options = VideoOptions(input: Fixtures.carphoneClip.path, output: output.path, target: .multiply(2))
        options.engine.precision = .float32
        options.report = dir.appendingPathComponent("report.json").path
        let job = try VideoJob(options)
        var seen: [VideoProgress] = []
        var finished: VideoReport?
        for try await event in job.events() {
            switch event {
            case .progress(let p): seen.append(p)
            case .finished(let report): finished = report
            }
        }
        let report = try #require(finished)
        #expect(report.framesIn == 120 && report.framesOut == 240 && report.interpolated == 119, "\(report.text)")
        #expect(report.precision == "f32" && report.cpuPath == Precision.cpuInstructionSet)
        #expect(report.gate != nil)
        #expect(!seen.isEmpty && seen.last?.framesOut == 240 && seen.last?.total == 240)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.framesOut <= $1.framesOut })
        #expect(try framesMD5(output) == VideoJobTests.carphoneMulti2MD5)
        let saved = try JSONDecoder().decode(VideoReport.self, from: Data(contentsOf: URL(fileURLWithPath: options.report!)))
        #expect(saved.framesOut == 240 && saved.precision == "f32")
    }

    @Test("cancelling the task stops the job: JobCancelled, no output, no staging file, no ffmpeg child")
    func cancellation() async throws {
        let dir = Scratch.directory("videojob"), inputs = Scratch.directory("videojob-input")
        let output = dir.appendingPathComponent("out.mkv"), input = inputs.appendingPathComponent("carphone.mp4")
        // A copy of its own, so this job's ffmpeg children are told from other tests' by their arguments.
        try FileManager.default.copyItem(at: Fixtures.carphoneClip, to: input)
        let job = try VideoJob(VideoOptions(input: input.path, output: output.path, target: .multiply(8)))
        let task = Task { () -> VideoReport in try await job.run { _ in } }
        // Wait until the job has staged its output, then cancel it mid-run.
        let deadline = Date().addingTimeInterval(60)
        while (try FileManager.default.contentsOfDirectory(atPath: dir.path)).isEmpty, Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        task.cancel()
        await #expect(throws: JobCancelled.self) { _ = try await task.value }
        // The job's thread removes its staging file as it unwinds.
        let settle = Date().addingTimeInterval(10)
        while !(try FileManager.default.contentsOfDirectory(atPath: dir.path)).isEmpty || !ffmpegChildren(naming: inputs.path).isEmpty,
              Date() < settle {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(ffmpegChildren(naming: inputs.path).isEmpty, "ffmpeg children left: \(ffmpegChildren(naming: inputs.path))")
    }
}

@Suite("job options and choices")
struct JobOptionTests {
    @Test("VideoOptions survive a JSON round trip (a service stores them)")
    func codable() throws {
        var options = VideoOptions(input: "in.mp4", output: "out.mkv", target: .fps("60000/1001"))
        options.engine.mode = .advanced
        options.engine.precision = .bfloat16
        options.timeCurves = ["face.png:hold"]
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(VideoOptions.self, from: data) == options)
        var pair = PairOptions(first: "a.png", second: "b.png", output: "o.png")
        pair.count = 3
        #expect(try JSONDecoder().decode(PairOptions.self, from: JSONEncoder().encode(pair)) == pair)
    }

    @Test("bad options fail in init, before any file is read", arguments: [
        (VideoOptions.Target.multiply(1), "--multi must be between 2 and 64"),
        (.fps("fast"), "--fps must be a positive rate"),
    ])
    func badOptions(_ target: VideoOptions.Target, _ message: String) {
        #expect { try VideoJob(VideoOptions(input: "/nonexistent/in.mp4", output: "/nonexistent/out.mp4", target: target)) } throws: {
            ($0 as? TweenError)?.message.contains(message) == true
        }
    }

    @Test("messages never carry control characters: an ESC from a file is shown escaped")
    func controlCharacters() {
        #expect(TweenError("tensor 'a\u{1B}[2Jb\u{7}' x\ny").message == "tensor 'a\\u{1B}[2Jb\\u{7}' x\\u{A}y")
        #expect(TweenError("plain — ünïcode").message == "plain — ünïcode")
    }

    @Test("fast mode's precision: bf16 with AMX or on AMD, f32 on Intel without AMX or without bf16")
    func fastRule() {
        #expect(Precision.fastest(isa: "avx512_core_amx", vendor: "GenuineIntel", bfloat16Supported: true).precision == .bfloat16)
        #expect(Precision.fastest(isa: "avx512_core_bf16", vendor: "AuthenticAMD", bfloat16Supported: true).precision == .bfloat16)
        #expect(Precision.fastest(isa: "avx512_core_bf16", vendor: "GenuineIntel", bfloat16Supported: true).precision == .float32)
        #expect(Precision.fastest(isa: "avx2", vendor: "AuthenticAMD", bfloat16Supported: false).precision == .float32)
        #expect(QualityMode.production.defaultPrecision(model: .rifeV425) == .float32)
        #expect(QualityMode.fast.defaultPrecision(model: .rifeHDv3) == .float32)
        #expect(QualityMode.fast.defaultPrecision(model: .rifeV425) == Precision.fastest.precision)
    }
}

/// Live (not zombie) ffmpeg processes whose parent is this test process and whose arguments mention `fragment`, from /proc.
private func ffmpegChildren(naming fragment: String) -> [String] {
    let me = getpid()
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int32($0) != nil }.compactMap { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 1, name == "ffmpeg", fields[0] != "Z", Int32(fields[1]) == me,
              let arguments = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              String(decoding: arguments, as: UTF8.self).contains(fragment) else { return nil }
        return pid
    }
}
