import ArgumentParser
import Foundation
import Interpolation
import MediaIO
import TweenKit

/// `tween video IN -o OUT (--multi N | --fps F)`: parses, then hands the job to TweenKit's `VideoJob`.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Interpolate a video to a higher frame rate (audio and subtitles are copied unchanged).",
        discussion: """
            OUT ending in .mp4, .mov, .mkv or .webm is encoded with --codec (H.264 by default; HEVC for HDR, \
            VP9 for .webm) at the source's colour matrix, range, tags, pixel shape and bit depth (8 or 10 bits); \
            OUT with no extension (or ending in /) is a directory of numbered PNG frames (lossless, no audio). \
            A variable-frame-rate source is placed in time by its frames' timestamps. IN may be - (a stream on \
            stdin: y4m, NUT…) and OUT - (raw video and audio as NUT on stdout; messages then go to stderr).
            The output is written under a temporary name beside OUT and renamed when complete; a failure or \
            Ctrl-C leaves nothing behind. --force replaces only a file, or a folder of Tween's own numbered frames.
            --model rife-hdv3 makes only midpoints: other times come from recursive bisection, so it takes \
            --multi 2, 4, 8, … or an --fps whose times are all dyadic (30 → 60 or 120 fps); anything else is refused.
            --time-curve MASK.png:CURVE gives the masked region its own time inside each source pair: CURVE maps the \
            background's t to the region's, as a time in [0, 1] (constant), linear (= t), hold (= 0, the earlier \
            source frame), ease (3t² − 2t³) or keyframes PHASE=TIME,… (phases from 0 to 1, increasing; linear between), \
            e.g. face.png:0=0,0.5=0.1,1=1. Split at the last colon; repeatable, later masks on top; rife-v4.25 only.
            """)

    @Argument(help: "The input video (any container and codec ffmpeg reads), or an image sequence: a folder of numbered frames or a pattern such as frames/%06d.png (with --input-fps).")
    var input: String
    @Option(help: "Frame rate of an image-sequence input: 24, 24000/1001, 23.976 …") var inputFps: String?
    @Option(help: "With -o -: the stream written to stdout: nut (raw video with the source's audio) or y4m (video only).")
    var pipeFormat: String = "nut"
    @Option(name: .shortAndLong, help: "Output video (.mp4, .mov, .mkv) or PNG directory.") var output: String
    @Option(help: "Output frames per input frame (N-1 new frames in each pair), ≥ 2.") var multi: Int?
    @Option(help: "Output frame rate: an integer, a fraction (60000/1001) or a decimal (59.94 means 60000/1001).")
    var fps: String?
    @Option(help: "Slow motion: N× as many frames (N-1 new in each pair) played at the source's rate, N× as long; 2…64.")
    var slowmo: Int?
    @Option(help: "With --slowmo: drop the audio (default) or stretch it (slowed with its pitch kept, re-encoded).")
    var slowmoAudio: VideoOptions.SlowmoAudio = .drop
    @Flag(help: "Drop source frames that repeat the one before (anime on twos/threes, copies a CFR conversion inserted) and place the distinct frames at their own times, so motion is even.")
    var dedup = false
    @Option(help: "With --dedup: below this mean absolute difference (0–255, all pixels) a frame repeats the last kept one.")
    var duplicateThreshold: Double = DuplicateScan.defaultThreshold
    @OptionGroup var engine: EngineOptions
    @Option(help: "Scene-cut threshold: mean absolute luma difference of 32×32 thumbnails, 0…1 (0 = never interpolate).")
    var sceneThreshold: Double = SceneCutDetector.defaultThreshold
    @Option(help: "Video codec: h264, hevc (default for HDR sources), ffv1 (lossless, .mkv), prores (422 HQ, .mov/.mkv), vp9 (default for .webm) or av1.")
    var codec: VideoCodec?
    @Option(help: "Constant rate factor for h264/hevc (0…51) and vp9/av1 (0…63); lower is better and bigger.") var crf: Int = 18
    @Option(help: "x264/x265 preset (ultrafast … veryslow).") var preset: String = "medium"
    @Option(name: .customLong("time-curve"),
            help: "MASK.png:CURVE — inside each source pair, the mask's region is at time CURVE(t) while the rest is at t; CURVE is a time in [0, 1], linear, hold, ease or keyframes such as 0=0,0.5=0.1,1=1. Repeatable, later masks on top.")
    var timeCurves: [String] = []
    @Option(help: "How --time-curve frames are rendered: flow-blend (one pass per distinct t, flows and masks mixed; exact inside regions) or single (one pass with a per-pixel t; smears near edges).")
    var timeMapMode: TimeMapMode = .flowBlend
    @Option(help: "Also write the summary, with the quality gate's flagged frames, as JSON to this file.") var report: String?
    @Option(help: "Write an HTML page of the flagged frames (thumbnails of the output, both warped frames and their disagreement) to this file.")
    var review: String?
    @Flag(help: "No progress line and no summary.") var quiet = false
    @Flag(help: "Overwrite an existing output (only a file, or a folder of Tween's own frames).") var force = false

    func run() throws {
        let target: VideoOptions.Target
        switch (multi, fps, slowmo) {
        case (let n?, nil, nil): target = .multiply(n)
        case (nil, let f?, nil): target = .fps(f)
        case (nil, nil, let n?): target = .slowmo(n)
        case (nil, nil, nil): throw TweenError("give --multi N, --fps F or --slowmo N")
        default: throw TweenError("give one of --multi, --fps and --slowmo")
        }
        var options = VideoOptions(input: input, output: output, target: target)
        options.engine = engine.settings
        options.sceneThreshold = sceneThreshold
        options.crf = crf
        options.codec = codec
        options.inputFPS = inputFps
        options.pipeFormat = pipeFormat
        options.preset = preset
        options.timeCurves = timeCurves
        options.timeMapMode = timeMapMode
        options.report = report
        options.review = review
        options.force = force
        options.dedup = dedup
        options.duplicateThreshold = duplicateThreshold
        options.slowmoAudio = slowmoAudio
        if slowmo == nil && slowmoAudio != .drop { throw TweenError("--slowmo-audio goes with --slowmo") }

        let job = try VideoJob(options)
        let live = !quiet && Terminal.isTerminal
        let summary = try job.run { progress in
            guard live else { return }
            var line = "\(progress.framesOut)"
            if let total = progress.total { line += "/\(total)" }
            line += String(format: " frames, %.2f fps", progress.framesPerSecond)
            if let remaining = progress.remaining { line += ", ETA " + Terminal.clock(remaining) }
            Terminal.show(line)
        }
        if live { Terminal.clearLine() }
        guard !quiet else { return }
        // With -o - the frames own stdout: everything said goes to stderr.
        let say: (String) -> Void = output == "-" ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : { print($0) }
        say(summary.text)
        if let line = summary.gateLine { say(line) }
        for note in summary.notes { say(note.hasPrefix("wrote ") ? note : "note: \(note)") }
    }
}
