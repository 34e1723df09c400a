import Foundation
import MediaIO
import TestSupport
import Testing

/// Tiny clips for the drop-frame protocol, made by ffmpeg in each test: 96×64 testsrc2 (every
/// frame differs from the next by 3.5–6 of 255 on average, far from the duplicate threshold).
private enum DropClips {
    static let width = 96, height = 64

    /// 13 frames of testsrc2.
    static func plain(_ url: URL) throws {
        try MediaTools.make(url, ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "13",
                                  "-c:v", "libx264", "-pix_fmt", "yuv420p"])
    }

    /// 7 frames of testsrc2, then 6 frames of a later, negated testsrc2: a cut between frames 6 and 7.
    static func withCut(_ url: URL) throws {
        try MediaTools.make(url, [
            "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25",
            "-filter_complex", "[0]trim=end_frame=7[a];[1]trim=start_frame=40:end_frame=46,setpts=PTS-STARTPTS,negate[b];[a][b]concat=n=2:v=1:a=0",
            "-c:v", "libx264", "-pix_fmt", "yuv420p",
        ])
    }

    /// 13 frames of testsrc2 in which one picture is shown twice: frames 5 and 6 (ffmpeg's loop
    /// filter repeats the frame before `start`; after H.264 they differ by 0.12 of 255 on average).
    static func withDuplicate(_ url: URL) throws {
        try MediaTools.make(url, ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25",
                                  "-vf", "trim=end_frame=13,loop=loop=1:size=1:start=6,setpts=N/25/TB", "-frames:v", "13",
                                  "-c:v", "libx264", "-pix_fmt", "yuv420p"])
    }
}

/// `--report` JSON of a video run, read loosely.
private struct VideoReport {
    let object: [String: Any]
    init(_ url: URL) throws {
        object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }
    var rows: [[String: Any]] { object["rows"] as? [[String: Any]] ?? [] }
    var protocolInfo: [String: Any] { object["protocol"] as? [String: Any] ?? [:] }
    var skippedWindows: [[String: Any]] { protocolInfo["skipped_windows"] as? [[String: Any]] ?? [] }
    static func score(_ row: [String: Any], _ method: String, _ metric: String) -> Double? {
        (row[method] as? [String: Any])?[metric] as? Double
    }
}

/// Mean |a − b| over all bytes, computed here independently of the code under test.
private func meanAbsolute(_ a: [UInt8], _ b: [UInt8]) -> Double {
    Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count)
}

@Suite("tween eval on a video (drop-frame protocol)", .enabled(if: MediaTools.enabled, "needs ffmpeg (Scripts/setup.sh)"))
struct EvalVideoTests {
    struct Case: Sendable, CustomStringConvertible {
        let options: [String], windows: Int, times: [Double]
        var description: String { options.isEmpty ? "default gap" : options.joined(separator: " ") }
    }

    @Test("window and sample counts; repeat is the nearer frame and blend the rounded mix, at the true t", arguments: [
        Case(options: [], windows: 6, times: [0.5]),
        Case(options: ["--gap", "2"], windows: 6, times: [0.5]),
        Case(options: ["--gap", "4"], windows: 3, times: [0.5]),
        Case(options: ["--gap", "4", "--all-inner"], windows: 3, times: [0.25, 0.5, 0.75]),
    ])
    func counts(_ c: Case) throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip.mp4"), json = dir.appendingPathComponent("r.json")
        try DropClips.plain(clip)
        let r = try runTween(["eval", clip.path, "--method", "blend", "--method", "repeat", "--no-lpips", "--report", json.path] + c.options)
        #expect(r.status == 0, "\(r.stderr)")
        let samples = c.windows * c.times.count
        #expect(r.stdout.contains("video drop-frame protocol, gap \(c.options.count > 1 ? c.options[1] : "2")"), "\(r.stdout)")
        #expect(r.stdout.contains("\(c.windows) windows, \(c.windows) used, 0 skipped (0 scene cut, 0 duplicated frame); \(samples) samples"),
                "\(r.stdout)")
        #expect(r.stdout.contains("| blend |") && r.stdout.contains("| repeat |"))

        let report = try VideoReport(json)
        #expect(report.object["layout"] as? String == "video" && report.object["n"] as? Int == samples)
        #expect(report.protocolInfo["windows"] as? Int == c.windows && report.protocolInfo["windows_used"] as? Int == c.windows)
        #expect(report.protocolInfo["windows_skipped"] as? Int == 0)
        let gap = c.options.count > 1 ? Int(c.options[1])! : 2
        #expect(report.protocolInfo["gap"] as? Int == gap)
        #expect(report.rows.count == samples)

        // Each row names its frames: window k spans kN … kN+N and its ground truth sits at its true t.
        let frames = try MediaTools.decodeRGB(clip, width: DropClips.width, height: DropClips.height)
        #expect(frames.count == 13)
        for (i, row) in report.rows.enumerated() {
            let k = i / c.times.count, t = c.times[i % c.times.count]
            let f0 = try #require(row["frame0"] as? Int), f1 = try #require(row["frame1"] as? Int), gt = try #require(row["gt"] as? Int)
            #expect(f0 == k * gap && f1 == k * gap + gap && row["t"] as? Double == t)
            #expect(gt == f0 + Int(t * Double(gap)))
            // repeat shows the nearer input (frame 0 at t = 0.5); blend is floor((1 − t)·I0 + t·I1 + 0.5).
            let nearer = t <= 0.5 ? frames[f0] : frames[f1]
            let repeatIE = try #require(VideoReport.score(row, "repeat", "ie"))
            #expect(abs(repeatIE - meanAbsolute(nearer, frames[gt])) < 1e-9, "row \(i)")
            let blend = zip(frames[f0], frames[f1]).map { UInt8(((1 - t) * Double($0) + t * Double($1) + 0.5).rounded(.down)) }
            let blendIE = try #require(VideoReport.score(row, "blend", "ie"))
            #expect(abs(blendIE - meanAbsolute(blend, frames[gt])) < 1e-9, "row \(i)")
        }
    }

    @Test("a real cut: exactly the windows crossing it are skipped", arguments: [(["--gap", "2"], 6, 3, 6, 8), (["--gap", "4"], 3, 1, 4, 8)])
    func sceneCut(_ options: [String], windows: Int, skipped: Int, first: Int, last: Int) throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("cut.mp4"), json = dir.appendingPathComponent("r.json")
        try DropClips.withCut(clip)
        let r = try runTween(["eval", clip.path, "--method", "repeat", "--no-lpips", "--report", json.path] + options)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\(windows) windows, \(windows - 1) used, 1 skipped (1 scene cut, 0 duplicated frame)"), "\(r.stdout)")
        let report = try VideoReport(json)
        #expect(report.rows.count == windows - 1)
        #expect(!report.rows.contains { ($0["frame0"] as? Int) == first }, "the window at the cut was scored")
        let skip = try #require(report.skippedWindows.first)
        #expect(report.skippedWindows.count == 1)
        #expect(skip["window"] as? Int == skipped && skip["first"] as? Int == first && skip["last"] as? Int == last)
        #expect(skip["reason"] as? String == "scene_cut")
        #expect((report.protocolInfo["skipped"] as? [String: Int]) == ["scene_cut": 1, "duplicate": 0])
    }

    @Test("a duplicated frame: the window holding the pair is skipped", arguments: [(["--gap", "2"], 6, 2), (["--gap", "4", "--all-inner"], 3, 1)])
    func duplicate(_ options: [String], windows: Int, skipped: Int) throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("dup.mp4"), json = dir.appendingPathComponent("r.json")
        try DropClips.withDuplicate(clip)
        // The clip really holds one picture twice (frames 5 and 6), beside ordinary motion elsewhere.
        let frames = try MediaTools.decodeRGB(clip, width: DropClips.width, height: DropClips.height)
        #expect(frames.count == 13 && meanAbsolute(frames[5], frames[6]) < 0.5 && meanAbsolute(frames[4], frames[5]) > 1)
        let r = try runTween(["eval", clip.path, "--method", "blend", "--no-lpips", "--report", json.path] + options)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\(windows) windows, \(windows - 1) used, 1 skipped (0 scene cut, 1 duplicated frame)"), "\(r.stdout)")
        let report = try VideoReport(json)
        let skip = try #require(report.skippedWindows.first)
        #expect(report.skippedWindows.count == 1 && skip["window"] as? Int == skipped && skip["reason"] as? String == "duplicate")
        #expect((skip["value"] as? Double).map { $0 < 0.5 } == true)
    }

    @Test("all methods with LPIPS: table, JSON and HTML with thumbnails; --limit counts windows",
          .enabled(if: weightsReady && lpipsReady, "needs the weights (Scripts/setup.sh)"))
    func report() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip.mp4")
        let json = dir.appendingPathComponent("report.json"), html = dir.appendingPathComponent("report.html")
        try DropClips.plain(clip)
        let r = try runTween(["eval", clip.path, "--gap", "4", "--all-inner", "--limit", "2", "--report", json.path,
                              "--html", html.path, "--worst", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2 windows, 2 used, 0 skipped (0 scene cut, 0 duplicated frame); 6 samples"), "\(r.stdout)")
        for label in ["| tween (RIFE v4.25) |", "| blend |", "| repeat |"] { #expect(r.stdout.contains(label)) }
        #expect(r.stderr.contains("[2/2]"), "progress line: \(r.stderr)")

        let report = try VideoReport(json)
        #expect(report.rows.count == 6 && report.protocolInfo["frames_read"] as? Int == 9)
        for row in report.rows {
            for method in ["tween", "blend", "repeat"] { #expect(VideoReport.score(row, method, "lpips") != nil, "\(method) LPIPS") }
        }
        let summary = try #require(report.object["summary"] as? [String: [String: Any]])
        let tween = try #require(summary["tween"]?["psnr"] as? Double), repeatPSNR = try #require(summary["repeat"]?["psnr"] as? Double)
        #expect(tween > repeatPSNR, "tween \(tween) dB, repeat \(repeatPSNR) dB")

        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("video drop-frame protocol") && page.contains("tween (RIFE v4.25)") && page.contains("duplicated frame"))
        let folder = dir.appendingPathComponent("report_files")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.count == 2 * 9, "\(files.sorted())")
        for file in files { #expect(page.contains("report_files/\(file)")) }
    }

    @Test("bad input is one line on stderr")
    func badInput() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("notes.mp4")
        try Data("not a video\n".utf8).write(to: text)
        expectCleanFailure(try runTween(["eval", text.path, "--no-lpips", "--method", "blend"]), mentions: "not a video ffmpeg can read",
                           directory: dir, preexisting: ["notes.mp4"])
        let short = dir.appendingPathComponent("short.mp4")
        try MediaTools.make(short, ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        expectCleanFailure(try runTween(["eval", short.path, "--gap", "4", "--no-lpips", "--method", "blend"]),
                           mentions: "3 frames, too short for one window of --gap 4", directory: dir, preexisting: ["notes.mp4", "short.mp4"])
        expectCleanFailure(try runTween(["eval", short.path, "--gap", "3"]), mentions: "--gap 3 has no middle frame",
                           directory: dir, preexisting: ["notes.mp4", "short.mp4"])
        expectCleanFailure(try runTween(["eval", short.path, "--gap", "1"]), mentions: "--gap must be at least 2",
                           directory: dir, preexisting: ["notes.mp4", "short.mp4"])
        // --gap belongs to videos; a triplet manifest with it is refused.
        let manifest = dir.appendingPathComponent("m.json")
        try JSONSerialization.data(withJSONObject: [["frame0": demoA, "frame1": demoB, "gt": demoA]]).write(to: manifest)
        expectCleanFailure(try runTween(["eval", manifest.path, "--gap", "2", "--method", "blend", "--no-lpips"]),
                           mentions: "--gap and --all-inner apply to a video", directory: dir, preexisting: ["notes.mp4", "short.mp4", "m.json"])
    }
}
