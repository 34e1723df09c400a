import Foundation
import TestSupport
import Testing

private let videoReady = weightsReady && MediaTools.enabled

/// The colour facts ffprobe gives for a file's first video stream ("unknown" where untagged).
private struct ColourTags: Equatable, CustomStringConvertible {
    var matrix, range, primaries, transfer, sar: String

    init(_ url: URL) throws {
        let data = try MediaTools.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                  "stream=color_space,color_range,color_primaries,color_transfer,sample_aspect_ratio",
                                                  "-of", "json", url.path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let s = (json?["streams"] as? [[String: Any]])?.first ?? [:]
        func value(_ key: String) -> String { s[key] as? String ?? "unknown" }
        matrix = value("color_space"); range = value("color_range"); primaries = value("color_primaries")
        transfer = value("color_transfer")
        sar = ["unknown", "0:1", "N/A"].contains(value("sample_aspect_ratio")) ? "1:1" : value("sample_aspect_ratio")  // square
    }

    init(matrix: String, range: String, primaries: String, transfer: String, sar: String) {
        (self.matrix, self.range, self.primaries, self.transfer, self.sar) = (matrix, range, primaries, transfer, sar)
    }

    var description: String { "\(matrix)/\(range)/\(primaries)/\(transfer) SAR \(sar)" }
}

/// Every frame of `url` as a player shows it: decoded to RGB with `matrix` and `range`, whatever the file says.
private func decodeAsPlayer(_ url: URL, matrix: String, range: String, width: Int, height: Int) throws -> [[UInt8]] {
    let data = try MediaTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", url.path, "-map", "0:v:0", "-fps_mode", "passthrough",
                                             "-vf", "scale=in_color_matrix=\(matrix):in_range=\(range),format=rgb24",
                                             "-f", "rawvideo", "-"])
    let size = width * height * 3
    let bytes = [UInt8](data)
    return stride(from: 0, to: bytes.count - size + 1, by: size).map { Array(bytes[$0..<$0 + size]) }
}

@Suite("faithful video: colour, range and pixel shape carried", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct FaithfulVideoTests {
    struct Source: Sendable, CustomStringConvertible {
        let name: String
        let width: Int, height: Int
        /// ffmpeg output options that tag (and convert) the source.
        let encode: [String]
        /// What the output must say, and the matrix/range a player then decodes both files with.
        let expected: ColourTagsValue
        let playerMatrix: String, playerRange: String
        var description: String { name }
    }
    struct ColourTagsValue: Sendable { let matrix, range, primaries, transfer, sar: String }

    static let sources: [Source] = [
        Source(name: "8-bit BT.709 720p", width: 1280, height: 720,
               encode: ["-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"],
               expected: .init(matrix: "bt709", range: "tv", primaries: "bt709", transfer: "bt709", sar: "1:1"),
               playerMatrix: "bt709", playerRange: "tv"),
        // Untagged HD: a player reads it as BT.709, so Tween must too, and say so in the output.
        Source(name: "untagged 720p", width: 1280, height: 720,
               encode: ["-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"],
               expected: .init(matrix: "bt709", range: "tv", primaries: "unknown", transfer: "unknown", sar: "1:1"),
               playerMatrix: "bt709", playerRange: "tv"),
        Source(name: "8-bit BT.601 SD", width: 640, height: 480,
               encode: ["-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p",
                        "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv"],
               expected: .init(matrix: "smpte170m", range: "tv", primaries: "smpte170m", transfer: "smpte170m", sar: "1:1"),
               playerMatrix: "bt601", playerRange: "tv"),
        Source(name: "full range", width: 640, height: 360,
               encode: ["-vf", "scale=out_color_matrix=bt601:out_range=pc,format=yuv420p", "-colorspace", "smpte170m", "-color_range", "pc"],
               expected: .init(matrix: "smpte170m", range: "pc", primaries: "unknown", transfer: "unknown", sar: "1:1"),
               playerMatrix: "bt601", playerRange: "pc"),
        Source(name: "anamorphic 720x480 SAR 32:27", width: 720, height: 480,
               encode: ["-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p,setsar=32/27",
                        "-colorspace", "smpte170m", "-color_range", "tv"],
               expected: .init(matrix: "smpte170m", range: "tv", primaries: "unknown", transfer: "unknown", sar: "32:27"),
               playerMatrix: "bt601", playerRange: "tv"),
        // HDR10's tags (8-bit here: the 10-bit path is not built yet; the report says so).
        Source(name: "PQ / BT.2020 tags", width: 640, height: 360,
               encode: ["-vf", "scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p",
                        "-colorspace", "bt2020nc", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-color_range", "tv"],
               expected: .init(matrix: "bt2020nc", range: "tv", primaries: "bt2020", transfer: "smpte2084", sar: "1:1"),
               playerMatrix: "bt2020", playerRange: "tv"),
    ]

    @Test("--multi 2: the output's tags, range and SAR are the source's; its t = 0 frames read as the source's within an ideal RGB round trip",
          arguments: sources)
    func roundTrip(_ source: Source) throws {
        let dir = Scratch.directory("faithful")
        let input = dir.appendingPathComponent("source.mkv"), output = dir.appendingPathComponent("out.mkv")
        // Lossless source and output (x264 -qp 0 / --crf 0), so what is measured is the colour handling.
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc2=size=\(source.width)x\(source.height):rate=25", "-frames:v", "2"]
                            + source.encode + ["-c:v", "libx264", "-qp", "0"])
        let e = source.expected
        #expect(try ColourTags(input).matrix == (source.name.hasPrefix("untagged") ? "unknown" : e.matrix), "the clip is not what the case says")
        let report = dir.appendingPathComponent("report.json")
        let r = try runTween(["video", input.path, "-o", output.path, "--multi", "2", "--crf", "0", "--report", report.path])
        try #require(r.status == 0, "\(r.stderr)")

        let tags = try ColourTags(output)
        #expect(tags == ColourTags(matrix: e.matrix, range: e.range, primaries: e.primaries, transfer: e.transfer, sar: e.sar))

        let a = try decodeAsPlayer(input, matrix: source.playerMatrix, range: source.playerRange, width: source.width, height: source.height)
        let b = try decodeAsPlayer(output, matrix: source.playerMatrix, range: source.playerRange, width: source.width, height: source.height)
        try #require(a.count == 2 && b.count == 4, "frames: \(a.count) in, \(b.count) out")
        for (i, frame) in a.enumerated() {
            let shown = b[2 * i]  // output frame 2i is source frame i (t = 0)
            var squared = 0.0, absolute = 0.0
            for j in frame.indices {
                let d = Double(frame[j]) - Double(shown[j])
                squared += d * d
                absolute += abs(d)
            }
            let psnr = 10 * log10(255 * 255 / max(squared / Double(frame.count), 1e-12))
            let meanError = absolute / Double(frame.count)
            print("\(source.name): source frame \(i): \(String(format: "%.2f dB, mean error %.2f", psnr, meanError)) code values")
            #expect(psnr >= 40 && meanError <= 1.5, "frame \(i): \(psnr) dB, mean error \(meanError)")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let notes = json["notes"] as? [String] ?? []
        if e.transfer == "smpte2084" { #expect(notes.contains { $0.contains("HDR source") }, "\(notes)") }
    }

    @Test("PCM audio into MP4 is re-encoded as AAC, with a note; MKV keeps it as it is")
    func pcmAudio() throws {
        let dir = Scratch.directory("faithful-audio")
        let input = dir.appendingPathComponent("pcm.mkv")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                                    "-frames:v", "4", "-c:v", "libx264", "-c:a", "pcm_s16le", "-shortest"])
        let mp4 = dir.appendingPathComponent("out.mp4"), mkv = dir.appendingPathComponent("out.mkv")
        let r = try runTween(["video", input.path, "-o", mp4.path, "--multi", "2"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("pcm_s16le audio re-encoded as AAC"), "\(r.stdout)")
        #expect(try MediaTools.stream(mp4, "audio")?.codec == "aac")
        let k = try runTween(["video", input.path, "-o", mkv.path, "--multi", "2"])
        try #require(k.status == 0, "\(k.stderr)")
        #expect(try MediaTools.stream(mkv, "audio")?.codec == "pcm_s16le")
    }
}

@Suite("faithful video: variable frame rate by timestamps", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct VariableFrameRateTests {
    /// Every frame's presentation time in seconds, as ffprobe decodes them.
    static func frameTimes(_ url: URL) throws -> [Double] {
        let text = String(decoding: try MediaTools.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                                   "frame=best_effort_timestamp_time", "-of", "csv=p=0", url.path]), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).compactMap { Double($0.split(separator: ",").first ?? "") }
    }

    static func startTime(_ url: URL, _ selector: String) throws -> Double {
        let text = String(decoding: try MediaTools.run("ffprobe", ["-v", "error", "-select_streams", selector, "-show_entries",
                                                                   "stream=start_time", "-of", "csv=p=0", url.path]), as: UTF8.self)
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
    }

    @Test("jittered timestamps to 60 fps: a flash at source time T shows at T ± half a frame; duration and audio start kept")
    func jitter() throws {
        let dir = Scratch.directory("vfr")
        let input = dir.appendingPathComponent("jitter.mkv"), output = dir.appendingPathComponent("out.mkv")
        // 40 dark frames 15–52 ms apart (30 fps ± 12 ms), frame 17 white, with a tone from 0 s.
        try MediaTools.make(input, [
            "-f", "lavfi", "-i", "color=c=0x202020:size=64x48:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.5",
            "-vf", "drawbox=enable='eq(n,17)':x=0:y=0:w=64:h=48:c=white:t=fill,settb=1/1000,setpts='(N/30+0.012*sin(1.7*N))/TB'",
            "-frames:v", "40", "-fps_mode", "passthrough", "-enc_time_base", "1/1000", "-c:v", "libx264", "-c:a", "aac",
        ])
        let source = try Self.frameTimes(input)
        try #require(source.count == 40)
        let gaps = zip(source.dropFirst(), source).map { $0 - $1 }
        try #require(gaps.max()! > 1.5 * gaps.min()!, "the clip is not variable-rate: \(gaps)")

        let r = try runTween(["video", input.path, "-o", output.path, "--fps", "60"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("variable frame rate"), "\(r.stdout)")

        let frames = try MediaTools.decodeRGB(output, width: 64, height: 48)
        let duration = source[39] - source[0] + (source[39] - source[38])
        #expect(abs(Double(frames.count) / 60 - duration) <= 1.0 / 60, "\(frames.count) frames for \(duration) s")
        // Video starts as late into the file as the source's did (audio at 0 in both).
        let videoStart = try Self.startTime(output, "v:0")
        // (within half a frame: the encoder rounds the start to its own time base)
        #expect(abs(videoStart - source[0]) < 0.5 / 60, "video starts at \(videoStart), source at \(source[0])")
        #expect(abs(try Self.startTime(output, "a:0") - Self.startTime(input, "a:0")) < 0.002)

        let brightness = frames.map { $0.reduce(0) { $0 + Int($1) } / $0.count }
        let flash = brightness.indices.max { brightness[$0] < brightness[$1] }!
        let shown = videoStart + Double(flash) / 60
        print("flash at source \(source[17]) s, output frame \(flash) at \(shown) s (brightness \(brightness[flash]))")
        #expect(abs(shown - source[17]) <= 0.5 / 60 + 1e-6, "flash at \(shown) s, source \(source[17]) s")
        #expect(brightness[flash] > 200 && brightness.filter { $0 > 200 }.count == 1)
    }

    @Test("1 s at 12 fps then 1 s at 30 fps (Matroska calls it 30 fps constant) → 60 fps: 2.0 s, 120 frames")
    func mixedRates() throws {
        let dir = Scratch.directory("vfr-mixed")
        let input = dir.appendingPathComponent("mixed.mkv"), output = dir.appendingPathComponent("out.mp4")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=12:duration=1", "-f", "lavfi",
                                    "-i", "testsrc=size=64x48:rate=30:duration=1", "-filter_complex", "[0][1]concat=n=2:v=1",
                                    "-fps_mode", "vfr", "-c:v", "libx264"])
        let r = try runTween(["video", input.path, "-o", output.path, "--fps", "60"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(try MediaTools.stream(output, "video")?.frames == 120)
    }

    @Test("a constant-rate stream with dropped frames: the holes are filled, the note says so")
    func droppedFrames() throws {
        let dir = Scratch.directory("vfr-dropped")
        let input = dir.appendingPathComponent("dropped.mp4"), output = dir.appendingPathComponent("out.mp4")
        // 5 frames of every 10 kept, with their timestamps: 20 frames spanning 35 frames' time at 30 fps.
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=30", "-frames:v", "20",
                                    "-vf", "select='lt(mod(n,10),5)'", "-fps_mode", "vfr", "-c:v", "libx264"])
        let r = try runTween(["video", input.path, "-o", output.path, "--fps", "30"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("frames are missing (gaps of up to 6 frames"), "\(r.stdout)")
        // 0 … 34/30 s plus one frame at 30 fps: the 15 dropped between are made.
        #expect(try MediaTools.stream(output, "video")?.frames == 35)
        #expect(r.stdout.contains("20 frames in → 35 out (15 interpolated"), "\(r.stdout)")
    }
}

/// ffprobe's entries for the first video stream and its first frame's side data.
private func probeJSON(_ url: URL, _ entries: String) throws -> [String: Any] {
    let data = try MediaTools.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
                                              "-show_entries", entries, "-of", "json", url.path])
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}

@Suite("faithful video: bit depth, HDR10 and codecs", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct DepthAndCodecTests {
    @Test("a 10-bit BT.709 source stays 10-bit: t = 0 frames within an ideal round trip in 10-bit code values")
    func tenBit() throws {
        let dir = Scratch.directory("ten-bit")
        let input = dir.appendingPathComponent("ten.mkv"), output = dir.appendingPathComponent("out.mkv")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-frames:v", "2",
                                    "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p10le",
                                    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                                    "-c:v", "libx264", "-qp", "0"])
        let r = try runTween(["video", input.path, "-o", output.path, "--multi", "2", "--crf", "0"])
        try #require(r.status == 0, "\(r.stderr)")
        let stream = try #require((try probeJSON(output, "stream=pix_fmt,color_space,color_range")["streams"] as? [[String: Any]])?.first)
        #expect(stream["pix_fmt"] as? String == "yuv420p10le" && stream["color_space"] as? String == "bt709" && stream["color_range"] as? String == "tv")

        func decode16(_ url: URL) throws -> [[UInt16]] {
            let data = try MediaTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", url.path, "-vf", "scale=in_color_matrix=bt709:in_range=tv,format=rgb48le",
                                                     "-f", "rawvideo", "-"])
            let size = 640 * 360 * 3
            let values = data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
            return stride(from: 0, to: values.count - size + 1, by: size).map { Array(values[$0..<$0 + size]) }
        }
        let a = try decode16(input), b = try decode16(output)
        try #require(a.count == 2 && b.count == 4)
        for i in 0..<2 {
            // In 10-bit code values (0…1023): 65535 / 1023 per step.
            var squared = 0.0, absolute = 0.0
            for j in a[i].indices {
                let d = (Double(a[i][j]) - Double(b[2 * i][j])) * 1023 / 65535
                squared += d * d
                absolute += abs(d)
            }
            let psnr = 10 * log10(1023 * 1023 / max(squared / Double(a[i].count), 1e-12))
            let mean = absolute / Double(a[i].count)
            print("10-bit source frame \(i): \(String(format: "%.2f dB, mean error %.2f", psnr, mean)) 10-bit code values")
            #expect(psnr >= 40 && mean <= 1.5, "frame \(i): \(psnr) dB, mean error \(mean)")
        }
    }

    @Test("HDR10 HEVC: transfer, primaries, 10 bits, mastering display and content light level carried")
    func hdr10() throws {
        let dir = Scratch.directory("hdr10")
        let input = dir.appendingPathComponent("hdr.mkv")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "2",
                                    "-vf", "scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p10le",
                                    "-colorspace", "bt2020nc", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-color_range", "tv",
                                    "-c:v", "libx265", "-x265-params",
                                    "log-level=error:hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400"])
        for name in ["out.mkv", "out.mp4"] {
            let output = dir.appendingPathComponent(name)
            let r = try runTween(["video", input.path, "-o", output.path, "--multi", "2"])
            try #require(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("HDR10 metadata carried (mastering display, content light level)"), "\(r.stdout)")
            let json = try probeJSON(output, "stream=codec_name,pix_fmt,color_space,color_transfer,color_primaries:frame_side_data")
            let stream = try #require((json["streams"] as? [[String: Any]])?.first)
            #expect(stream["codec_name"] as? String == "hevc" && stream["pix_fmt"] as? String == "yuv420p10le")
            #expect(stream["color_transfer"] as? String == "smpte2084" && stream["color_primaries"] as? String == "bt2020"
                    && stream["color_space"] as? String == "bt2020nc")
            let sides = ((json["frames"] as? [[String: Any]])?.first?["side_data_list"] as? [[String: Any]]) ?? []
            let display = sides.first { $0["side_data_type"] as? String == "Mastering display metadata" }
            let light = sides.first { $0["side_data_type"] as? String == "Content light level metadata" }
            #expect(display?["green_x"] as? String == "13250/50000" && display?["max_luminance"] as? String == "10000000/10000"
                    && display?["min_luminance"] as? String == "1/10000", "\(String(describing: display))")
            #expect(light?["max_content"] as? Int == 1000 && light?["max_average"] as? Int == 400, "\(String(describing: light))")
        }
    }

    @Test("--codec: each codec's stream and pixel format; odd sizes 4:4:4; a codec the container cannot hold is refused up front")
    func codecs() throws {
        let dir = Scratch.directory("codecs")
        let input = dir.appendingPathComponent("in.mp4"), odd = dir.appendingPathComponent("odd.mkv")
        try Clips.testsrc(input, rate: "25", frames: 3)
        try MediaTools.make(odd, ["-f", "lavfi", "-i", "testsrc=size=65x49:rate=25", "-frames:v", "2", "-c:v", "libx264", "-pix_fmt", "yuv444p"])
        let cases: [(String, [String], String, String)] = [
            ("h264.mp4", [], "h264", "yuv420p"), ("hevc.mp4", ["--codec", "hevc"], "hevc", "yuv420p"),
            ("ffv1.mkv", ["--codec", "ffv1"], "ffv1", "yuv444p"), ("prores.mov", ["--codec", "prores"], "prores", "yuv422p10le"),
            ("vp9.webm", [], "vp9", "yuv420p"),
        ]
        for (name, options, codec, pixelFormat) in cases {
            let output = dir.appendingPathComponent(name)
            let r = try runTween(["video", input.path, "-o", output.path, "--multi", "2"] + options)
            try #require(r.status == 0, "\(name): \(r.stderr)")
            let stream = try #require((try probeJSON(output, "stream=codec_name,pix_fmt")["streams"] as? [[String: Any]])?.first)
            #expect(stream["codec_name"] as? String == codec && stream["pix_fmt"] as? String == pixelFormat, "\(name): \(stream)")
            #expect(try MediaTools.stream(output, "video")?.frames == 6, "\(name)")
            if name.hasSuffix(".webm") { #expect(try MediaTools.stream(output, "audio")?.codec == "opus", "AAC re-encoded as Opus for WebM") }
        }
        let oddOut = dir.appendingPathComponent("odd-out.mkv")
        let r = try runTween(["video", odd.path, "-o", oddOut.path, "--multi", "2"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect((try probeJSON(oddOut, "stream=pix_fmt")["streams"] as? [[String: Any]])?.first?["pix_fmt"] as? String == "yuv444p")

        let refusedDir = dir.appendingPathComponent("refused")
        try FileManager.default.createDirectory(at: refusedDir, withIntermediateDirectories: true)
        expectCleanFailure(try runTween(["video", input.path, "-o", refusedDir.appendingPathComponent("x.mp4").path, "--multi", "2", "--codec", "ffv1"]),
                           mentions: "--codec ffv1 cannot be written to .mp4 (it goes in .mkv)", directory: refusedDir)
    }
}

@Suite("faithful video: image sequences in, 16-bit PNG out", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct SequenceTests {
    @Test("a folder of frames and a %06d pattern at --input-fps; a gap or a missing rate is one clear line")
    func sequences() throws {
        let dir = Scratch.directory("sequence")
        let frames = dir.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        try MediaTools.make(frames.appendingPathComponent("shot_%04d.png"), ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "5"])
        let out = dir.appendingPathComponent("out.mkv")
        let r = try runTween(["video", frames.path, "-o", out.path, "--multi", "2", "--input-fps", "24000/1001"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("5 frames in → 10 out") && r.stdout.contains("48000/1001 fps"), "\(r.stdout)")
        #expect(try MediaTools.stream(out, "video")?.frames == 10)
        // The t = 0 frames are the images themselves.
        let decoded = try MediaTools.decodeRGB(out, width: 64, height: 48)
        let pattern = dir.appendingPathComponent("pattern")
        let p = try runTween(["video", frames.appendingPathComponent("shot_%04d.png").path, "-o", pattern.path, "--multi", "2", "--input-fps", "25"])
        try #require(p.status == 0, "\(p.stderr)")
        let first = try PNGFile.rgb(frames.appendingPathComponent("shot_0001.png")), written = try PNGFile.rgb(pattern.appendingPathComponent("000001.png"))
        #expect(first == written, "frame 1 of the folder output is the first image, bit for bit")
        #expect(decoded.count == 10)

        let refused = dir.appendingPathComponent("refused")
        try FileManager.default.createDirectory(at: refused, withIntermediateDirectories: true)
        expectCleanFailure(try runTween(["video", frames.path, "-o", refused.appendingPathComponent("x.mp4").path, "--multi", "2"]),
                           mentions: "give --input-fps", directory: refused)
        try FileManager.default.removeItem(at: frames.appendingPathComponent("shot_0003.png"))
        expectCleanFailure(try runTween(["video", frames.path, "-o", refused.appendingPathComponent("x.mp4").path, "--multi", "2", "--input-fps", "25"]),
                           mentions: "gap: shot_0003.png is missing (after shot_0002.png)", directory: refused)
    }

    @Test("a 10-bit source into a PNG folder: 16-bit PNGs, t = 0 frames equal to ffmpeg's own 16-bit decode")
    func sixteenBitPNG() throws {
        let dir = Scratch.directory("png16")
        let input = dir.appendingPathComponent("ten.mkv"), out = dir.appendingPathComponent("frames")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "2",
                                    "-vf", "format=yuv420p10le", "-colorspace", "bt709", "-color_range", "tv", "-c:v", "libx264", "-qp", "0"])
        let r = try runTween(["video", input.path, "-o", out.path, "--multi", "2"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("10-bit source written as 16-bit PNG frames"))
        let written = try MediaTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", out.appendingPathComponent("000001.png").path,
                                                    "-f", "rawvideo", "-pix_fmt", "rgb48le", "-"])
        let reference = try MediaTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", input.path, "-frames:v", "1",
                                                      "-vf", "scale=in_color_matrix=bt709:in_range=tv,format=rgb48le", "-f", "rawvideo", "-"])
        #expect(written.count == 96 * 64 * 6 && written == reference)
    }
}

/// A PNG's pixels as ffmpeg decodes them to rgb24.
enum PNGFile {
    static func rgb(_ url: URL) throws -> Data {
        try MediaTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", url.path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    }
}

@Suite("faithful video: pipes", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct PipeTests {
    @Test("y4m on stdin in, NUT or y4m on stdout out: frame counts exact, messages on stderr only", arguments: ["nut", "y4m"])
    func pipes(format: String) throws {
        let dir = Scratch.directory("pipes-\(format)")
        let y4m = dir.appendingPathComponent("in.y4m"), out = dir.appendingPathComponent("out.\(format)")
        try MediaTools.make(y4m, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "6", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe"])
        let process = Process()
        process.executableURL = try tweenExecutable()
        process.arguments = ["video", "-", "-o", "-", "--multi", "2", "--pipe-format", format]
        process.standardInput = try FileHandle(forReadingFrom: y4m)
        FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        let err = Pipe()
        process.standardError = err
        try process.run()
        let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(said)")
        #expect(said.contains("6 frames in → 12 out") && said.contains("standard output"), "\(said)")
        let head = try FileHandle(forReadingFrom: out).read(upToCount: 9) ?? Data()
        #expect(format != "y4m" || String(decoding: head, as: UTF8.self) == "YUV4MPEG2", "stdout starts \(head as NSData)")
        #expect(try MediaTools.stream(out, "video")?.frames == 12)
    }
}

@Suite("faithful video: --dedup and --slowmo", .enabled(if: videoReady, "needs ffmpeg and the weights (Scripts/setup.sh)"))
struct DedupSlowmoTests {
    /// Per-frame PSNR (RGB, 8-bit) of two equally long decodes.
    static func psnrs(_ a: [[UInt8]], _ b: [[UInt8]]) -> [Double] {
        zip(a, b).map { x, y in
            var squared = 0.0
            for j in x.indices { let d = Double(x[j]) - Double(y[j]); squared += d * d }
            return 10 * log10(255 * 255 / max(squared / Double(x.count), 1e-12))
        }
    }

    @Test("a clip with every frame doubled converts to the same motion as the undoubled one (≥ 40 dB); without --dedup it stutters")
    func doubled() throws {
        let dir = Scratch.directory("dedup")
        let once = dir.appendingPathComponent("once.mkv"), twice = dir.appendingPathComponent("twice.mkv")
        try MediaTools.make(once, ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=12", "-frames:v", "8", "-c:v", "ffv1", "-pix_fmt", "yuv420p"])
        // Every frame shown twice at 24 fps (drawn "on twos"), then coded lossily so the copies are not byte-equal.
        try MediaTools.make(twice, ["-i", once.path, "-vf", "fps=24", "-c:v", "libx264", "-crf", "4", "-pix_fmt", "yuv420p"])
        let a = dir.appendingPathComponent("a.mkv"), b = dir.appendingPathComponent("b.mkv"), c = dir.appendingPathComponent("c.mkv")
        let ra = try runTween(["video", once.path, "-o", a.path, "--fps", "48", "--codec", "ffv1"])
        let rb = try runTween(["video", twice.path, "-o", b.path, "--fps", "48", "--codec", "ffv1", "--dedup"])
        let rc = try runTween(["video", twice.path, "-o", c.path, "--fps", "48", "--codec", "ffv1"])
        try #require(ra.status == 0 && rb.status == 0 && rc.status == 0, "\(ra.stderr)\(rb.stderr)\(rc.stderr)")
        #expect(rb.stdout.contains("8 of 16 source frames repeat the one before and were dropped"), "\(rb.stdout)")
        let fa = try MediaTools.decodeRGB(a, width: 96, height: 64), fb = try MediaTools.decodeRGB(b, width: 96, height: 64)
        let fc = try MediaTools.decodeRGB(c, width: 96, height: 64)
        try #require(fa.count == 32 && fb.count == 32 && fc.count == 32, "frames \(fa.count), \(fb.count), \(fc.count)")
        let deduped = Self.psnrs(fa, fb), stuttering = Self.psnrs(fa, fc)
        print("dedup: worst \(String(format: "%.2f", deduped.min()!)) dB; without --dedup: worst \(String(format: "%.2f", stuttering.min()!)) dB")
        #expect(deduped.min()! >= 40, "\(deduped)")
        #expect(stuttering.min()! < 30, "the test must be able to fail: \(stuttering)")
    }

    @Test("--dedup refuses a still clip and standard input with one line, exit 1, nothing written")
    func refusals() throws {
        let dir = Scratch.directory("dedup-still")
        let still = dir.appendingPathComponent("still.mkv"), out = dir.appendingPathComponent("out.mkv")
        try MediaTools.make(still, ["-f", "lavfi", "-i", "color=c=gray:size=64x48:rate=10", "-frames:v", "5", "-c:v", "ffv1"])
        let r = try runTween(["video", still.path, "-o", out.path, "--multi", "2", "--dedup"])
        #expect(r.status == 1 && r.stderr.contains("all 5 frames show the same picture"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["still.mkv"])
        let p = try runTween(["video", "-", "-o", out.path, "--multi", "2", "--dedup"])
        #expect(p.status == 1 && p.stderr.contains("standard input can be read once"), "\(p.stderr)")
    }

    /// Zero crossings per second of the first channel of `url`'s audio (a sine of f Hz has 2f).
    static func crossingsPerSecond(_ url: URL) throws -> Double {
        let data = try MediaTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", url.path, "-map", "0:a:0", "-ac", "1", "-ar", "48000",
                                                 "-f", "s16le", "-"])
        let samples = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let middle = samples[samples.count / 10..<samples.count * 9 / 10]  // away from the encoder's edges
        var crossings = 0
        for (x, y) in zip(middle, middle.dropFirst()) where (x < 0) != (y < 0) { crossings += 1 }
        return Double(crossings) / (Double(middle.count) / 48000)
    }

    @Test("--slowmo 3: 3× the frames at the source rate, 3× as long; audio dropped by default, or stretched with its pitch kept")
    func slowmo() throws {
        let dir = Scratch.directory("slowmo")
        let input = dir.appendingPathComponent("in.mp4")
        try MediaTools.make(input, ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                                    "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        let quiet = dir.appendingPathComponent("quiet.mp4"), stretched = dir.appendingPathComponent("stretched.mp4")
        let q = try runTween(["video", input.path, "-o", quiet.path, "--slowmo", "3"])
        try #require(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("audio left out"), "\(q.stdout)")
        let video = try #require(try MediaTools.stream(quiet, "video"))
        #expect(video.frames == 72 && video.rate == "24/1" && abs((video.duration ?? 0) - 3) < 0.05, "\(video)")
        #expect(try MediaTools.stream(quiet, "audio") == nil)

        let s = try runTween(["video", input.path, "-o", stretched.path, "--slowmo", "3", "--slowmo-audio", "stretch"])
        try #require(s.status == 0, "\(s.stderr)")
        let audio = try #require(try MediaTools.stream(stretched, "audio"))
        #expect(abs((audio.duration ?? 0) - 3) < 0.1, "audio lasts \(audio.duration ?? 0) s")
        let source = try Self.crossingsPerSecond(input), slowed = try Self.crossingsPerSecond(stretched)
        print("slowmo: \(source) crossings/s in, \(slowed) out")
        #expect(abs(slowed / source - 1) < 0.03, "pitch moved: \(source) → \(slowed) crossings per second")
    }
}
