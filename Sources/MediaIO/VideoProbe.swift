public import Foundation

/// What ffprobe says about a file's first video stream and its other streams.
public struct VideoInfo: Sendable, Equatable {
    /// Index of the video stream in the file (attached cover pictures are skipped).
    public var streamIndex: Int
    public var codec: String
    /// Size of the decoded frames, after rotation (ffmpeg applies the display rotation when decoding).
    public var width: Int
    public var height: Int
    /// The stream's frame rate as a fraction, e.g. 30000/1001 (`r_frame_rate`).
    public var frameRateNumerator: Int
    public var frameRateDenominator: Int
    /// `avg_frame_rate` (frames / duration), when known; differs from the frame rate for variable-rate video.
    public var averageFrameRateNumerator: Int?
    public var averageFrameRateDenominator: Int?
    /// Frames in the stream from the container's index (`nb_frames`), when it says.
    public var frameCount: Int?
    /// Stream duration in seconds (else the container's), when known.
    public var duration: Double?
    public var pixelFormat: String
    /// Display rotation in degrees (0, 90, 180, 270).
    public var rotation: Int
    public var audioCodecs: [String]
    /// Subtitle streams: (index in the file, codec name).
    public var subtitleStreams: [SubtitleStream]
    public var formatName: String
    /// The colour description (tags as the file states them; the conversion rule in `VideoColor`).
    public var color = VideoColor()
    /// Bits per colour component of the decoded stream (`bits_per_raw_sample`, else from the pixel
    /// format's name: `…10le` is 10), 8 when nothing says otherwise.
    public var bitDepth = 8
    /// Pixel shape, width:height, when not square (anamorphic DVD and broadcast video: 720×480 at
    /// 32:27 is shown 16:9); after rotation, as the frames are decoded.
    public var sampleAspectRatio: SampleAspectRatio? = nil
    /// The stream's time base (seconds per timestamp unit) as numerator/denominator, e.g. 1/90000.
    public var timeBase: TimeBase? = nil
    /// HDR10 static metadata of a PQ/HLG source (read from its first frame), to write back.
    public var hdrMetadata: HDRMetadata? = nil

    /// Seconds from the start of the file (where its audio starts, typically) to the video's first
    /// frame: B-frame delays and edits leave 20–100 ms. The output's video starts as late, so the
    /// audio copied beside it stays in sync.
    public var videoStartOffset: Double = 0

    public struct TimeBase: Sendable, Equatable {
        public var numerator: Int
        public var denominator: Int
    }


    public struct SampleAspectRatio: Sendable, Equatable, Codable {
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
        public var description: String { "\(width):\(height)" }
    }

    public struct SubtitleStream: Sendable, Equatable {
        public var index: Int
        public var codec: String
    }

    public var hasAudio: Bool { !audioCodecs.isEmpty }

    /// The number of frames to expect, for progress: the index's count, else duration × rate.
    public var expectedFrameCount: Int? {
        if let frameCount, frameCount > 0 { return frameCount }
        guard let duration else { return nil }
        let frames = (duration * Double(frameRateNumerator) / Double(frameRateDenominator)).rounded()
        // A file may claim any duration; only a count that fits is a count.
        return frames.isFinite && frames >= 0 && frames < 1e12 ? Int(frames) : nil
    }

    /// The shortest and longest time between consecutive frames (seconds, presentation order)
    /// among the first frames of the stream (`VideoProbe.timestampSample`), when ffprobe lists them.
    public var frameDurations: ClosedRange<Double>? = nil

    /// When the frames are evenly spaced at the nominal rate except for holes a whole number of
    /// frames long (lost packets, dropped frames): the longest hole in frames. Nil otherwise.
    public var missingFramePeriods: Int? {
        guard let durations = frameDurations, durations.lowerBound > 0 else { return nil }
        let period = Double(frameRateDenominator) / Double(frameRateNumerator)
        guard abs(durations.lowerBound - period) < 0.02 * period else { return nil }
        let ratio = durations.upperBound / durations.lowerBound
        guard ratio >= 1.5, ratio < 1e6, abs(ratio - ratio.rounded()) < 0.02 * ratio.rounded() else { return nil }
        return Int(ratio.rounded())
    }

    /// Whether the frame rate varies: the average rate differs from the nominal rate by more than
    /// 0.5 %, or the frames' own timestamps are uneven (the longest gap over 1.5× the shortest).
    /// The timestamps matter because Matroska files report the nominal rate as the average too
    /// (a 12 → 30 fps concatenation read as constant, and came out 3.5 s long from 2.0 s); a
    /// timebase's rounding (33 and 34 ms at 29.97 fps) stays far below 1.5×.
    public var isVariableFrameRate: Bool {
        if let durations = frameDurations, durations.lowerBound > 0, durations.upperBound > 1.5 * durations.lowerBound { return true }
        guard let n = averageFrameRateNumerator, let d = averageFrameRateDenominator, n > 0, d > 0 else { return false }
        let nominal = Double(frameRateNumerator) / Double(frameRateDenominator)
        let average = Double(n) / Double(d)
        return abs(average - nominal) / nominal > 0.005
    }
}

/// Reads stream information with `ffprobe -of json`.
public enum VideoProbe {
    public static func probe(_ url: URL) throws -> VideoInfo { try probe(.file(url)) }

    public static func probe(_ input: MediaInput) throws -> VideoInfo {
        let path = input.url.path
        if input.isSequence || input.isPipe { return try probeSequence(input) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MediaError("\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw MediaError("\(path): is a directory, not a video") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw MediaError("\(path): empty file (0 bytes)") }

        let child = try ChildProcess(tool: "ffprobe", arguments: [
            "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", path,
        ], input: false, output: true)
        let data = (try? child.output!.fileHandleForReading.readToEnd()) ?? Data()
        let status = child.wait()
        guard status == 0 else { throw MediaError("\(path): not a video ffmpeg can read (\(child.lastErrorLine))") }
        var info = try parse(data, path: path)
        info.frameDurations = frameDurations(input, stream: info.streamIndex)
        if info.color.isHDR { info.hdrMetadata = hdrMetadata(input, stream: info.streamIndex) }
        return info
    }

    /// A numbered image sequence (one stream at the rate given, as many frames as images), or a
    /// pipe (probed from the bytes read ahead: its length is unknown, its colour and HDR side data
    /// and the first frames' timestamps are read from them).
    static func probeSequence(_ input: MediaInput) throws -> VideoInfo {
        let child = try ChildProcess(tool: "ffprobe", arguments: ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
                                     + input.arguments, reading: input, output: true, relay: false)
        let data = (try? child.output!.fileHandleForReading.readToEnd()) ?? Data()
        let name = input.isPipe ? "standard input" : input.url.path
        guard child.wait() == 0 else {
            throw MediaError("\(name): not \(input.isPipe ? "a stream" : "an image sequence") ffmpeg can read (\(child.lastErrorLine))")
        }
        var info = try parse(data, path: name)
        if input.isPipe {
            info.frameCount = nil
            info.duration = nil
            info.frameDurations = frameDurations(input, stream: info.streamIndex)
            if info.color.isHDR { info.hdrMetadata = hdrMetadata(input, stream: info.streamIndex) }
        }
        return info
    }

    /// The mastering-display and content-light side data of the stream's first frame, when any.
    static func hdrMetadata(_ input: MediaInput, stream: Int) -> HDRMetadata? {
        guard let child = try? ChildProcess(tool: "ffprobe", arguments: [
            "-v", "error", "-select_streams", "\(stream)", "-read_intervals", "%+#1",
            "-show_entries", "frame_side_data", "-of", "json",
        ] + input.arguments, reading: input, output: true, relay: false) else { return nil }
        let data = (try? child.output!.fileHandleForReading.readToEnd()) ?? Data()
        guard child.wait() == 0 else { return nil }
        return HDRMetadata(ffprobeFrames: data)
    }

    /// How many packets' timestamps are read to judge the rate (a second ffprobe pass, ~10 s of video).
    public static let timestampSample = 300

    /// The range of gaps between consecutive presentation timestamps of the first
    /// `timestampSample` packets of stream `stream`; nil when ffprobe gives fewer than 3.
    static func frameDurations(_ input: MediaInput, stream: Int) -> ClosedRange<Double>? {
        guard let child = try? ChildProcess(tool: "ffprobe", arguments: [
            "-v", "error", "-select_streams", "\(stream)", "-show_entries", "packet=pts_time",
            "-read_intervals", "%+#\(timestampSample)", "-of", "csv=p=0",
        ] + input.arguments, reading: input, output: true, relay: false) else { return nil }
        let data = (try? child.output!.fileHandleForReading.readToEnd()) ?? Data()
        guard child.wait() == 0 else { return nil }
        return frameDurations(fromPacketTimes: String(decoding: data, as: UTF8.self))
    }

    /// Every decoded frame's presentation timestamp, in `info.timeBase` units, in the order the
    /// decoder gives the frames (the order `VideoReader` reads them). A whole decoding pass, so
    /// only run for variable-rate sources. Throws when a frame has no timestamp or the times do
    /// not increase (the frames could not be placed in time).
    public static func frameTimestamps(_ input: MediaInput, info: VideoInfo) throws -> [Int] {
        let url = input.url
        let child = try ChildProcess(tool: "ffprobe", arguments: [
            "-v", "error", "-select_streams", "\(info.streamIndex)", "-show_entries", "frame=best_effort_timestamp",
            "-of", "csv=p=0",
        ] + input.arguments, input: false, output: true)
        let data = (try? child.output!.fileHandleForReading.readToEnd()) ?? Data()
        guard child.wait() == 0 else { throw MediaError("\(url.path): reading the frames' timestamps failed (\(child.lastErrorLine))") }
        return try timestamps(fromFrameList: String(decoding: data, as: UTF8.self), path: url.path)
    }

    /// Parses ffprobe's `best_effort_timestamp` lines (one per frame), checking that they increase.
    public static func timestamps(fromFrameList text: String, path: String) throws -> [Int] {
        var times: [Int] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let field = line.split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard let time = Int(field.trimmingCharacters(in: .whitespaces)) else {
                throw MediaError("\(path): frame \(i) has no timestamp (\(field.isEmpty ? "empty" : field)); it cannot be placed in time")
            }
            if let previous = times.last, time <= previous {
                throw MediaError("\(path): frame \(i)'s timestamp \(time) does not follow frame \(i - 1)'s (\(previous)); "
                                 + "frames out of order or repeated cannot be placed in time")
            }
            times.append(time)
        }
        return times
    }

    /// The gaps' range from ffprobe's `pts_time` lines (any order; N/A and junk skipped).
    public static func frameDurations(fromPacketTimes text: String) -> ClosedRange<Double>? {
        let times = text.split(whereSeparator: \.isNewline)
            .compactMap { Double($0.split(separator: ",").first ?? "") }.filter(\.isFinite).sorted()
        guard times.count >= 3 else { return nil }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }
        guard let shortest = gaps.min(), let longest = gaps.max() else { return nil }
        return shortest...longest
    }

    /// Reads ffprobe's JSON report (`-print_format json -show_format -show_streams`) for `path`.
    /// The report describes an untrusted file, so every number in it is checked before use.
    public static func parse(_ data: Data, path: String) throws -> VideoInfo {
        let report: ProbeReport
        do { report = try JSONDecoder().decode(ProbeReport.self, from: data) } catch {
            throw MediaError("\(path): ffprobe's report could not be read (\(error))")
        }
        let streams = report.streams ?? []
        guard let video = streams.first(where: { $0.codec_type == "video" && $0.disposition?.attached_pic != 1 }) else {
            let kinds = Set(streams.compactMap(\.codec_type)).sorted()
            throw MediaError("\(path): no video stream" + (kinds.isEmpty ? "" : " (only \(kinds.joined(separator: ", ")))"))
        }
        guard let w = video.width, let h = video.height, w > 0, h > 0 else {
            throw MediaError("\(path): the video stream has no frame size")
        }
        guard w <= 65536, h <= 65536 else { throw MediaError("\(path): the video stream claims a \(w)x\(h) frame size") }
        guard let rate = parseRate(video.r_frame_rate) else {
            throw MediaError("\(path): the video stream has no frame rate")
        }
        // The timeline works in exact fractions: numbers this large would overflow them.
        guard rate.0 <= 1 << 31, rate.1 <= 1 << 31, Double(rate.0) / Double(rate.1) <= 10_000 else {
            throw MediaError("\(path): the video stream claims an implausible frame rate (\(rate.0)/\(rate.1))")
        }
        let average = parseRate(video.avg_frame_rate)
        var rotation = 0
        if let r = video.side_data_list?.compactMap(\.rotation).first, r.isFinite { rotation = Int(r.truncatingRemainder(dividingBy: 360)) }
        else if let r = video.tags?["rotate"].flatMap({ Int($0) }) { rotation = r % 360 }
        rotation = (rotation + 360) % 360
        let swapped = rotation == 90 || rotation == 270
        var sar: VideoInfo.SampleAspectRatio?
        if let parts = video.sample_aspect_ratio?.split(separator: ":"), parts.count == 2,
           let x = Int(parts[0]), let y = Int(parts[1]), (1...65535).contains(x), (1...65535).contains(y), x != y {
            sar = swapped ? .init(width: y, height: x) : .init(width: x, height: y)
        }
        let pixelFormat = video.pix_fmt ?? "unknown"
        var depth = video.bits_per_raw_sample.flatMap { Int($0) } ?? 0
        if !(1...16).contains(depth) {
            depth = [9, 10, 12, 14, 16].first { pixelFormat.hasSuffix("\($0)le") || pixelFormat.hasSuffix("\($0)be") }
                ?? (["rgb48", "bgr48", "rgba64", "bgra64", "ya16"].contains { pixelFormat.hasPrefix($0) } ? 16 : 8)
        }
        var info = VideoInfo(
            streamIndex: video.index ?? 0, codec: video.codec_name ?? "unknown",
            width: swapped ? h : w, height: swapped ? w : h,
            frameRateNumerator: rate.0, frameRateDenominator: rate.1,
            averageFrameRateNumerator: average?.0, averageFrameRateDenominator: average?.1,
            frameCount: video.nb_frames.flatMap { Int($0) },
            duration: (video.duration.flatMap { Double($0) } ?? report.format?.duration.flatMap { Double($0) }).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
            pixelFormat: pixelFormat, rotation: rotation,
            audioCodecs: streams.filter { $0.codec_type == "audio" }.map { $0.codec_name ?? "unknown" },
            subtitleStreams: streams.filter { $0.codec_type == "subtitle" }
                .map { VideoInfo.SubtitleStream(index: $0.index ?? 0, codec: $0.codec_name ?? "unknown") },
            formatName: report.format?.format_name ?? "unknown")
        info.color = VideoColor(matrix: video.color_space, range: video.color_range, primaries: video.color_primaries,
                                transfer: video.color_transfer, chromaLocation: video.chroma_location)
        info.bitDepth = depth
        info.sampleAspectRatio = sar
        if let start = video.start_time.flatMap({ Double($0) }), let fileStart = report.format?.start_time.flatMap({ Double($0) }),
           start.isFinite, fileStart.isFinite, start - fileStart > 0, start - fileStart < 60 {
            info.videoStartOffset = start - fileStart
        }
        if let base = parseRate(video.time_base), base.0 <= 1 << 31, base.1 <= 1 << 31 { info.timeBase = .init(numerator: base.0, denominator: base.1) }
        return info
    }

    /// "30000/1001" → (30000, 1001); nil for "0/0" and malformed text.
    static func parseRate(_ text: String?) -> (Int, Int)? {
        guard let parts = text?.split(separator: "/"), parts.count == 2,
              let n = Int(parts[0]), let d = Int(parts[1]), n > 0, d > 0 else { return nil }
        return (n, d)
    }

    // The subset of ffprobe's JSON we use (its field names).
    private struct ProbeReport: Decodable {
        var streams: [Stream]?
        var format: Format?
    }
    private struct Stream: Decodable {
        var index: Int?
        var codec_name: String?
        var codec_type: String?
        var width: Int?
        var height: Int?
        var pix_fmt: String?
        var r_frame_rate: String?
        var avg_frame_rate: String?
        var nb_frames: String?
        var duration: String?
        var tags: [String: String]?
        var side_data_list: [SideData]?
        var disposition: Disposition?
        var color_space: String?
        var color_range: String?
        var color_primaries: String?
        var color_transfer: String?
        var chroma_location: String?
        var sample_aspect_ratio: String?
        var bits_per_raw_sample: String?
        var time_base: String?
        var start_time: String?
    }
    private struct SideData: Decodable { var rotation: Double? }
    private struct Disposition: Decodable { var attached_pic: Int? }
    private struct Format: Decodable {
        var duration: String?
        var start_time: String?
        var format_name: String?
    }
}

/// HDR10 static metadata in x265's notation: mastering display primaries, white point and
/// luminance (`G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)`, chromaticity in units of 0.00002 and
/// luminance of 0.0001 cd/m²) and content light level (`MaxCLL,MaxFALL` in cd/m²).
public struct HDRMetadata: Sendable, Equatable, Codable {
    public var masteringDisplay: String?
    public var contentLight: String?

    public init(masteringDisplay: String?, contentLight: String?) {
        self.masteringDisplay = masteringDisplay
        self.contentLight = contentLight
    }

    /// From ffprobe's `-show_entries frame=side_data_list -of json`; nil when neither is there.
    public init?(ffprobeFrames data: Data) {
        struct Report: Decodable { var frames: [Frame]? }
        struct Frame: Decodable { var side_data_list: [Side]? }
        struct Side: Decodable {
            var side_data_type: String?
            var red_x, red_y, green_x, green_y, blue_x, blue_y, white_point_x, white_point_y, min_luminance, max_luminance: String?
            var max_content, max_average: Int?
        }
        guard let sides = (try? JSONDecoder().decode(Report.self, from: data))?.frames?.first?.side_data_list else { return nil }
        /// "34000/50000" in units of 1/`scale`, rounded; nil when malformed or out of range.
        func units(_ text: String?, _ scale: Double) -> Int? {
            guard let parts = text?.split(separator: "/"), parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d > 0 else { return nil }
            let value = (n / d * scale).rounded()
            return value.isFinite && value >= 0 && value < 1e9 ? Int(value) : nil
        }
        var display: String?
        if let m = sides.first(where: { $0.side_data_type == "Mastering display metadata" }),
           let gx = units(m.green_x, 50000), let gy = units(m.green_y, 50000), let bx = units(m.blue_x, 50000), let by = units(m.blue_y, 50000),
           let rx = units(m.red_x, 50000), let ry = units(m.red_y, 50000), let wx = units(m.white_point_x, 50000), let wy = units(m.white_point_y, 50000),
           let high = units(m.max_luminance, 10000), let low = units(m.min_luminance, 10000) {
            display = "G(\(gx),\(gy))B(\(bx),\(by))R(\(rx),\(ry))WP(\(wx),\(wy))L(\(high),\(low))"
        }
        var light: String?
        if let c = sides.first(where: { $0.side_data_type == "Content light level metadata" }),
           let cll = c.max_content, let fall = c.max_average, (0...100_000).contains(cll), (0...100_000).contains(fall) {
            light = "\(cll),\(fall)"
        }
        guard display != nil || light != nil else { return nil }
        self.init(masteringDisplay: display, contentLight: light)
    }
}
