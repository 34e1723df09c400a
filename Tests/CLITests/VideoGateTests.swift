import Foundation
import MediaIO
import TestSupport
import Testing

/// The first 8 frames of the carphone clip, then 8 frames of Big Buck Bunny (a still from the LPIPS
/// fixtures, scaled to 176×144): one real cut, between frames 7 and 8. Lossless (FFV1).
private func clipWithRealCut(_ url: URL) throws {
    let bunny = Fixtures.shared.appendingPathComponent("fixtures/lpips/bbb_0040_vs_0042_crop256_y200_x500_a.png").path
    try MediaTools.make(url, [
        "-i", Fixtures.carphoneClip.path, "-loop", "1", "-framerate", "30000/1001", "-i", bunny,
        "-filter_complex",
        "[0:v]trim=end_frame=8,setpts=PTS-STARTPTS,setsar=1,format=rgb24[a];[1:v]trim=end_frame=8,setpts=PTS-STARTPTS,scale=176:144,setsar=1,format=rgb24[b];[a][b]concat=n=2:v=1:a=0",
        "-r", "30000/1001", "-c:v", "ffv1",
    ])
}

private let gateReady = weightsReady && MediaTools.enabled && Fixtures.available(Fixtures.shared.appendingPathComponent("fixtures/lpips"))

@Suite("tween video: quality gate", .enabled(if: gateReady, "needs ffmpeg, the weights (Scripts/setup.sh) and shared/ beside the checkout"))
struct VideoGateTests {
    @Test("a real cut the scene detector misses (sensitivity lowered) is held by the gate, recorded and shown for review")
    func missedCutIsHeld() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("cut.mkv"), frames = dir.appendingPathComponent("frames")
        let report = dir.appendingPathComponent("report.json"), review = dir.appendingPathComponent("review.html")
        try clipWithRealCut(input)
        let r = try runTween(["video", input.path, "-o", frames.path, "--multi", "2", "--scene-threshold", "1",
                              "--report", report.path, "--review", review.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("0 scene cuts") && r.stdout.contains("1 held as catastrophic"), "\(r.stdout)")
        // Output frame 15 lies half-way across the cut (source 7 → 8): the gate wrote source frame 8 instead.
        let names = try FileManager.default.contentsOfDirectory(atPath: frames.path).sorted()
        #expect(names.count == 32)
        let held = try PNG.read(frames.appendingPathComponent(names[15])).pixels
        #expect(held == (try PNG.read(frames.appendingPathComponent(names[16])).pixels))
        // Frames on either side are the network's (not copies of a source frame).
        #expect(try PNG.read(frames.appendingPathComponent(names[13])).pixels != (try PNG.read(frames.appendingPathComponent(names[14])).pixels))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
        let gate = try #require(json["gate"] as? [String: Any])
        #expect(gate["held"] as? Int == 1 && gate["generated"] as? Int == 15 && gate["mode"] as? String == "production")
        let flagged = try #require(gate["frames"] as? [[String: Any]])
        let first = try #require(flagged.first)
        #expect(first["frame"] as? Int == 15 && first["action"] as? String == "held-source" && first["sourceFrame"] as? Int == 7)
        #expect(first["time"] as? String == "0:00.250")  // 15 / (60000/1001) s
        let thumbnails = try #require(first["thumbnails"] as? [String: String])
        for key in ["output", "warped0", "warped1", "disagreement"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(thumbnails[key] ?? "-").path), "\(key)")
        }
        #expect(try String(contentsOf: review, encoding: .utf8).contains("held (source frame written)"))

        // With the detector at its default sensitivity the cut is found first and the gate has nothing to hold.
        let detected = try runTween(["video", input.path, "-o", dir.appendingPathComponent("frames2").path, "--multi", "2",
                                     "--report", dir.appendingPathComponent("r2.json").path])
        #expect(detected.status == 0, "\(detected.stderr)")
        #expect(detected.stdout.contains("1 scene cuts") && detected.stdout.contains("0 held as catastrophic"), "\(detected.stdout)")
    }

    @Test("bad gate options are one line each and write nothing")
    func badOptions() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.mp4")
        try Clips.testsrc(input, rate: "25", frames: 4)
        let out = dir.appendingPathComponent("out.mp4").path
        for (arguments, message) in [
            (["--model", "rife-hdv3", "--review", dir.appendingPathComponent("r.html").path], "--review needs --model rife-v4.25"),
            (["--model", "rife-hdv3", "--mode", "advanced"], "--mode advanced needs --model rife-v4.25"),
            (["--review", "/nonexistent/r.html"], "--review /nonexistent/r.html: the folder /nonexistent does not exist"),
        ] {
            let r = try runTween(["video", input.path, "-o", out, "--multi", "2"] + arguments)
            #expect(r.status == 1 && r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        expectUsageError(try runTween(["video", input.path, "-o", out, "--multi", "2", "--mode", "best"]),
                         mentions: "Please provide one of 'fast', 'production' or 'advanced'", directory: dir, preexisting: ["in.mp4"])
    }
}
