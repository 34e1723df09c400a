import Foundation
import MediaIO
import TestSupport
import Testing

/// Clips are made by ffmpeg in each test: tiny (64×48), about half a second, so the suite stays fast.
enum Clips {
    /// testsrc at `rate` for `frames` frames, with a 440 Hz sine track of the same length (AAC, MP4).
    static func testsrc(_ url: URL, rate: String, frames: Int, size: String = "64x48") throws {
        try MediaTools.make(url, [
            "-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-frames:v", "\(frames)", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        ])
    }

    /// `each` frames of testsrc followed by `each` frames of mandelbrot: one real cut, at frame `each`.
    static func withCut(_ url: URL, each: Int, extraArguments: [String] = []) throws {
        try MediaTools.make(url, [
            "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-f", "lavfi", "-i", "mandelbrot=size=64x48:rate=25",
            "-filter_complex", "[0]trim=end_frame=\(each)[a];[1]trim=end_frame=\(each),setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0",
            "-c:v", "libx264", "-pix_fmt", "yuv420p",
        ] + extraArguments)
    }
}

private let videoReady = weightsReady && MediaTools.enabled

@Suite("tween video", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct VideoCommandTests {
    struct Case: Sendable, CustomStringConvertible {
        let rate: String, frames: Int, option: [String], expectedFrames: Int, expectedRate: String
        var description: String { "\(rate) fps × \(frames) \(option.joined(separator: " "))" }
    }

    @Test("frame count and duration of the output; audio copied with the same duration", arguments: [
        Case(rate: "25", frames: 10, option: ["--multi", "2"], expectedFrames: 20, expectedRate: "50/1"),
        Case(rate: "25", frames: 10, option: ["--multi", "4"], expectedFrames: 40, expectedRate: "100/1"),
        Case(rate: "25", frames: 10, option: ["--fps", "60"], expectedFrames: 24, expectedRate: "60/1"),
        // 12 frames at 24000/1001 last 0.5005 s: 30.03 frames at 60 fps, exactly 30 at 60000/1001.
        Case(rate: "24000/1001", frames: 12, option: ["--fps", "60"], expectedFrames: 30, expectedRate: "60/1"),
        Case(rate: "24000/1001", frames: 12, option: ["--fps", "59.94"], expectedFrames: 30, expectedRate: "60000/1001"),
    ])
    func countsAndDurations(_ c: Case) throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.mp4"), output = dir.appendingPathComponent("out.mp4")
        let report = dir.appendingPathComponent("report.json")
        try Clips.testsrc(input, rate: c.rate, frames: c.frames)
        let r = try runTween(["video", input.path, "-o", output.path, "--report", report.path, "--preset", "ultrafast"] + c.option)
        #expect(r.status == 0, "\(r.stderr)")

        let inVideo = try #require(try MediaTools.stream(input, "video"))
        let outVideo = try #require(try MediaTools.stream(output, "video"))
        #expect(inVideo.frames == c.frames)
        #expect(outVideo.frames == c.expectedFrames)
        #expect(outVideo.rate == c.expectedRate)
        // The video lasts as long as the input, within one output frame.
        let outputFrameSeconds = 1 / rateValue(c.expectedRate)
        let inDuration = Double(c.frames) / rateValue(c.rate)
        let outDuration = try #require(outVideo.duration)
        #expect(abs(outDuration - inDuration) <= outputFrameSeconds + 1e-6, "video \(outDuration) s vs input \(inDuration) s")

        // Audio is copied unchanged: present, same codec, same duration within one AAC frame (1024 samples at 48 kHz).
        let inAudio = try #require(try MediaTools.stream(input, "audio"))
        let outAudio = try #require(try MediaTools.stream(output, "audio"), "the output has no audio stream")
        #expect(outAudio.codec == "aac" && outAudio.frames == inAudio.frames)
        #expect(abs(try #require(outAudio.duration) - (try #require(inAudio.duration))) <= 1024.0 / 48000 + 1e-6)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
        #expect(json?["framesIn"] as? Int == c.frames && json?["framesOut"] as? Int == c.expectedFrames)
        #expect(json?["sceneCuts"] as? Int == 0)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["in.mp4", "out.mp4", "report.json"])
    }

    @Test("around a scene cut every frame is one of the two source frames; t = 0 frames are the decoded source frames bit for bit")
    func sceneCut() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("cut.mp4"), frames = dir.appendingPathComponent("frames")
        try Clips.withCut(input, each: 6)
        let report = dir.appendingPathComponent("r.json")
        let r = try runTween(["video", input.path, "-o", frames.path, "--multi", "4", "--report", report.path])
        #expect(r.status == 0, "\(r.stderr)")
        let source = try MediaTools.decodeRGB(input, width: 64, height: 48)
        #expect(source.count == 12)
        let names = try FileManager.default.contentsOfDirectory(atPath: frames.path).sorted()
        #expect(names.count == 48 && names.first == "000001.png" && names.last == "000048.png")
        let output = try names.map { try PNG.read(frames.appendingPathComponent($0)).pixels }

        // t = 0: output frame 4i is source frame i, bit for bit (no network, no rounding change).
        for i in 0..<12 { #expect(output[4 * i] == source[i], "output frame \(4 * i) should be source frame \(i)") }
        // The pair (5, 6) spans the cut: t = 1/4 repeats frame 5, t = 1/2 and 3/4 repeat frame 6.
        #expect(output[21] == source[5] && output[22] == source[6] && output[23] == source[6])
        for k in 20..<24 { #expect(output[k] == source[5] || output[k] == source[6], "frame \(k) is a blend across the cut") }
        // Elsewhere the network ran: an in-between frame is neither of its neighbours.
        #expect(output[2] != source[0] && output[2] != source[1])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
        #expect(json?["sceneCuts"] as? Int == 1 && json?["heldAtCuts"] as? Int == 3)
        #expect(json?["interpolated"] as? Int == 10 * 3)  // 11 pairs, one of them a cut
    }

    @Test("the bundled carphone clip (first 12 frames, 30000/1001 fps) to 60 fps",
          .enabled(if: Fixtures.available(Fixtures.carphoneClip), "run Scripts/setup.sh for the clip"))
    func carphone() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("carphone12.mkv"), frames = dir.appendingPathComponent("frames")
        try MediaTools.make(input, ["-i", Fixtures.carphoneClip.path, "-frames:v", "12", "-c:v", "ffv1"])  // lossless copy of the first 12 frames
        let r = try runTween(["video", input.path, "-o", frames.path, "--fps", "60"])
        #expect(r.status == 0, "\(r.stderr)")
        let source = try MediaTools.decodeRGB(Fixtures.carphoneClip, width: 176, height: 144)
        let names = try FileManager.default.contentsOfDirectory(atPath: frames.path).sorted()
        #expect(names.count == 24)  // 12 / (30000/1001) s at 60 fps = 24.02 frames
        // Output frame 0 is source frame 0 and the tail holds the last frame, bit for bit.
        #expect(try PNG.read(frames.appendingPathComponent(names[0])).pixels == source[0])
        #expect(try PNG.read(frames.appendingPathComponent(names[23])).pixels == source[11])
        #expect(r.stdout.contains("0 scene cuts"), "\(r.stdout)")
    }

    @Test("subtitles are copied unchanged into MKV; MP4 leaves out what it cannot hold, with a note")
    func subtitles() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let srt = dir.appendingPathComponent("s.srt")
        try Data("1\n00:00:00,000 --> 00:00:00,200\nhello\n\n".utf8).write(to: srt)
        let input = dir.appendingPathComponent("in.mkv")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-f", "lavfi", "-i", "sine=duration=0.24",
                                    "-i", srt.path, "-map", "0:v", "-map", "1:a", "-map", "2:s", "-frames:v", "6",
                                    "-c:v", "libx264", "-c:a", "aac", "-c:s", "srt"])
        let mkv = dir.appendingPathComponent("out.mkv")
        let r = try runTween(["video", input.path, "-o", mkv.path, "--multi", "2", "--preset", "ultrafast"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try MediaTools.stream(mkv, "subtitle")?.codec == "subrip")
        #expect(try MediaTools.stream(mkv, "audio")?.codec == "aac")
        #expect(try MediaTools.stream(mkv, "video")?.frames == 12)
        let mp4 = dir.appendingPathComponent("out.mp4")
        let r2 = try runTween(["video", input.path, "-o", mp4.path, "--multi", "2", "--preset", "ultrafast"])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r2.stdout.contains("subrip subtitles not copied"), "\(r2.stdout)")
        #expect(try MediaTools.stream(mp4, "subtitle") == nil && MediaTools.stream(mp4, "audio")?.codec == "aac")
    }

    @Test("bad inputs: one clear line, exit 1, no output left behind")
    func badInputs() throws {
        let inputs = scratchDirectory(), dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: inputs); try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.mp4").path

        let text = inputs.appendingPathComponent("notes.mp4")
        try Data("this is not a video\n".utf8).write(to: text)
        expectCleanFailure(try runTween(["video", text.path, "-o", out, "--multi", "2"]), mentions: "not a video", directory: dir)

        let empty = inputs.appendingPathComponent("empty.mp4")
        try Data().write(to: empty)
        expectCleanFailure(try runTween(["video", empty.path, "-o", out, "--multi", "2"]), mentions: "empty file", directory: dir)

        let single = inputs.appendingPathComponent("single.mp4")
        try Clips.testsrc(single, rate: "25", frames: 1)
        expectCleanFailure(try runTween(["video", single.path, "-o", out, "--multi", "2"]), mentions: "only one frame", directory: dir)
        let singleMKV = inputs.appendingPathComponent("single.mkv")  // no frame count in the header: found while streaming
        try MediaTools.make(singleMKV, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "1", "-c:v", "libx264"])
        expectCleanFailure(try runTween(["video", singleMKV.path, "-o", out, "--multi", "2"]), mentions: "only one frame", directory: dir)

        let audio = inputs.appendingPathComponent("tone.m4a")
        try MediaTools.make(audio, ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac"])
        expectCleanFailure(try runTween(["video", audio.path, "-o", out, "--multi", "2"]), mentions: "no video stream", directory: dir)

        // The same garbage in a transport stream destroys packets and their timestamps too: two
        // frames come out with one time, and a damaged file is not filled in as if frames were
        // merely missing.
        let lossy = inputs.appendingPathComponent("lossy.ts")
        try Clips.withCut(lossy, each: 25, extraArguments: ["-f", "mpegts"])
        try scramble(lossy)
        expectCleanFailure(try runTween(["video", lossy.path, "-o", out, "--multi", "2"]), mentions: "cannot be placed in time", directory: dir)

        // An MP4 with garbage in the middle of its media data: the index (and so the timestamps the
        // probe reads) is intact, decoding fails after some frames were written.
        let corrupt = inputs.appendingPathComponent("corrupt.mp4")
        try Clips.withCut(corrupt, each: 25)
        try scramble(corrupt)
        let r = try runTween(["video", corrupt.path, "-o", out, "--multi", "2"])
        expectCleanFailure(r, mentions: "decoding failed after frame", directory: dir)

        // /proc accepts no new files, even from root.
        let good = inputs.appendingPathComponent("good.mp4")
        try Clips.testsrc(good, rate: "25", frames: 4)
        let proc = try runTween(["video", good.path, "-o", "/proc/tween-out.mp4", "--multi", "2"])
        expectCleanFailure(proc, mentions: "not writable", directory: dir)
        #expect(!FileManager.default.fileExists(atPath: "/proc/tween-out.mp4"))
        expectCleanFailure(try runTween(["video", good.path, "-o", "/no/such/dir/out.mp4", "--multi", "2"]),
                           mentions: "does not exist", directory: dir)

        // Options and paths.
        expectCleanFailure(try runTween(["video", good.path, "-o", good.path, "--multi", "2", "--force"]),
                           mentions: "overwrite the input", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--multi", "2", "--fps", "60"]), mentions: "one of --multi, --fps and --slowmo", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--slowmo", "1"]), mentions: "--slowmo must be between 2 and 64", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--multi", "2", "--slowmo-audio", "stretch"]), mentions: "--slowmo-audio goes with --slowmo", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--multi", "2", "--dedup", "--duplicate-threshold", "0"]),
                           mentions: "--duplicate-threshold must be in (0, 255)", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out]), mentions: "--multi N, --fps F or --slowmo N", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--multi", "1"]), mentions: "--multi must be", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--fps", "fast"]), mentions: "--fps must be", directory: dir)
        expectCleanFailure(try runTween(["video", good.path, "-o", dir.appendingPathComponent("out.avi").path, "--multi", "2"]),
                           mentions: "must be .mp4", directory: dir)
        expectCleanFailure(try runTween(["video", "/no/such.mp4", "-o", out, "--multi", "2"]), mentions: "no such file", directory: dir)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
        expectCleanFailure(try runTween(["video", good.path, "-o", out, "--multi", "2"]), mentions: "already exists",
                           directory: dir, preexisting: ["out.mp4"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data("keep".utf8))
        #expect(try runTween(["video", good.path, "-o", out, "--multi", "2", "--force", "--quiet"]).status == 0)
        #expect(try MediaTools.stream(URL(fileURLWithPath: out), "video")?.frames == 8)
    }

    @Test("Ctrl-C stops the run, removes the partial output and exits non-zero")
    func interrupt() throws {
        let inputs = scratchDirectory(), dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: inputs); try? FileManager.default.removeItem(at: dir) }
        let input = inputs.appendingPathComponent("long.mp4")
        try Clips.testsrc(input, rate: "25", frames: 250, size: "176x144")
        let process = try startTween(["video", input.path, "-o", dir.appendingPathComponent("out.mp4").path, "--multi", "8"])
        // Wait until the partial file exists (the run has started), then interrupt.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.isEmpty ?? true {
            usleep(50_000)
        }
        usleep(500_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.path)).isEmpty)
    }

    @Test("SIGTERM: exit 143, partial output removed; SIGKILL: the next run removes the stale file and completes")
    func terminateAndKill() throws {
        let inputs = scratchDirectory(), dir = scratchDirectory()
        let input = inputs.appendingPathComponent("clip.mp4"), out = dir.appendingPathComponent("out.mp4")
        try Clips.testsrc(input, rate: "25", frames: 20, size: "176x144")
        func startAndWait() throws -> Process {
            let process = try startTween(["video", input.path, "-o", out.path, "--multi", "8"])
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.isEmpty ?? true {
                usleep(20_000)
            }
            usleep(300_000)
            return process
        }
        let terminated = try startAndWait()
        terminated.terminate()
        terminated.waitUntilExit()
        #expect(terminated.terminationStatus == 143)
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.path)).isEmpty)

        let killed = try startAndWait()
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        let stale = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(stale == [".out.mp4.tween-\(killed.processIdentifier).partial.mp4"], "\(stale)")
        // The ffmpeg children of the killed run die of a broken pipe; the next run cleans up after it.
        let again = try runTween(["video", input.path, "-o", out.path, "--multi", "2", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.mp4"])
        #expect(try MediaTools.stream(out, "video")?.frames == 40)
    }
}

private func rateValue(_ text: String) -> Double {
    let parts = text.split(separator: "/").map { Double($0)! }
    return parts.count == 2 ? parts[0] / parts[1] : parts[0]
}

/// Starts `tween` without waiting for it (output discarded).
private func startTween(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = try tweenExecutable()
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Overwrites a seventh of the file from 40 % of the way in with seeded random bytes.
private func scramble(_ url: URL) throws {
    var bytes = try Data(contentsOf: url)
    var rng = SeededGenerator(seed: 11)
    let start = bytes.count * 2 / 5
    for i in start..<start + bytes.count / 7 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
    try bytes.write(to: url)
}
