import ArgumentParser
import Evaluation
import Foundation
import Interpolation
import MediaIO
import Models
import TensorCore

/// `tween video IN -o OUT (--multi N | --fps F)`: frame-rate conversion of a whole video.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Interpolate a video to a higher frame rate (audio and subtitles are copied unchanged).",
        discussion: """
            OUT ending in .mp4, .mov or .mkv is encoded with H.264 (--crf, --preset); OUT with no extension \
            (or ending in /) is a directory of numbered PNG frames (lossless, no audio).
            The output is written under a temporary name beside OUT and renamed when complete; a failure or \
            Ctrl-C leaves nothing behind.
            --model rife-hdv3 makes only midpoints: other times come from recursive bisection, so it takes \
            --multi 2, 4, 8, … or an --fps whose times are all dyadic (30 → 60 or 120 fps); anything else is refused.
            --time-curve MASK.png:CURVE gives the masked region its own time inside each source pair: CURVE maps the \
            background's t to the region's, as a time in [0, 1] (constant), linear (= t), hold (= 0, the earlier \
            source frame), ease (3t² − 2t³) or keyframes PHASE=TIME,… (phases from 0 to 1, increasing; linear between), \
            e.g. face.png:0=0,0.5=0.1,1=1. Split at the last colon; repeatable, later masks on top; rife-v4.25 only.
            """)

    @Argument(help: "The input video (any container and codec ffmpeg reads).") var input: String
    @Option(name: .shortAndLong, help: "Output video (.mp4, .mov, .mkv) or PNG directory.") var output: String
    @Option(help: "Output frames per input frame (N-1 new frames in each pair), ≥ 2.") var multi: Int?
    @Option(help: "Output frame rate: an integer, a fraction (60000/1001) or a decimal (59.94 means 60000/1001).")
    var fps: String?
    @Option(help: "Scene-cut threshold: mean absolute luma difference of 32×32 thumbnails, 0…1 (0 = never interpolate).")
    var sceneThreshold: Double = SceneCutDetector.defaultThreshold
    @Option(help: "H.264 constant rate factor, 0…51 (lower is better and bigger).") var crf: Int = 18
    @Option(help: "H.264 preset (ultrafast … veryslow).") var preset: String = "medium"
    @Option(help: "Flow resolution: 1 = full, 0.5 for 4K, 2 for small video.") var scale: Double = 1
    @Option(help: "Weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(help: "Network: rife-v4.25 (any t) or rife-hdv3 (dyadic t only, by bisection).")
    var model: String = InterpolationModel.rifeV425.rawValue
    @Option(name: .customLong("time-curve"),
            help: "MASK.png:CURVE — inside each source pair, the mask's region is at time CURVE(t) while the rest is at t; CURVE is a time in [0, 1], linear, hold, ease or keyframes such as 0=0,0.5=0.1,1=1. Repeatable, later masks on top.")
    var timeCurves: [String] = []
    @Option(help: "How --time-curve frames are rendered: flow-blend (one pass per distinct t, flows and masks mixed; exact inside regions) or single (one pass with a per-pixel t; smears near edges).")
    var timeMapMode: String = TimeMapMode.flowBlend.rawValue
    @Option(help: ArgumentHelp(precisionHelp)) var precision: String?
    @Option(help: "Quality mode: fast, production (default) or advanced; see README, Quality gate.")
    var mode: String = QualityMode.production.rawValue
    @Option(help: "Also write the summary, with the quality gate's flagged frames, as JSON to this file.") var report: String?
    @Option(help: "Write an HTML page of the flagged frames (thumbnails of the output, both warped frames and their disagreement) to this file.")
    var review: String?
    @Flag(help: "No progress line and no summary.") var quiet = false
    @Flag(help: "Overwrite an existing output.") var force = false

    func run() throws {
        let job = try VideoJob(command: self)
        try job.run()
    }
}

/// Everything `tween video` checks and does, in order: validate the options, probe the input,
/// claim a temporary output beside the target, stream, rename, report.
struct VideoJob {
    enum OutputKind { case video(container: String), pngDirectory }

    let input: URL
    let output: URL
    let kind: OutputKind
    let target: Timeline.Target
    let model: InterpolationModel
    /// `--time-curve` arguments split into the mask's path and the parsed curve; masks are read once the frame size is known.
    let curves: [(maskPath: String, curve: TimeCurve)]
    let timeMapMode: TimeMapMode
    /// The quality gate's settings; nil when the chosen renderer's frames are not gated (HDv3, time curves).
    let gate: QualityGate?
    let precision: Precision
    let detector: SceneCutDetector
    let settings: EncoderSettings
    let command: VideoCommand

    init(command: VideoCommand) throws {
        self.command = command
        switch (command.multi, command.fps) {
        case (.some, .some): throw UserError("give either --multi or --fps, not both")
        case (nil, nil): throw UserError("give --multi N or --fps F")
        case (let n?, nil):
            guard n >= 2, n <= 64 else { throw UserError("--multi must be between 2 and 64 (got \(n))") }
            target = .multiply(n)
        case (nil, let f?):
            guard let rate = Rational(frameRate: f), rate.doubleValue <= 1000 else {
                throw UserError("--fps must be a positive rate such as 60, 60000/1001 or 59.94 (got \(f))")
            }
            target = .rate(rate)
        }
        guard command.sceneThreshold >= 0, command.sceneThreshold <= 1 else {
            throw UserError("--scene-threshold must be in [0, 1] (got \(command.sceneThreshold))")
        }
        guard (0...51).contains(command.crf) else { throw UserError("--crf must be in 0…51 (got \(command.crf))") }
        guard EncoderSettings.presets.contains(command.preset) else {
            throw UserError("--preset must be one of \(EncoderSettings.presets.joined(separator: ", ")) (got \(command.preset))")
        }
        try checkScale(command.scale)
        model = try parseModel(command.model)
        guard let mode = TimeMapMode(rawValue: command.timeMapMode) else {
            throw UserError("--time-map-mode must be flow-blend or single (got \(command.timeMapMode))")
        }
        timeMapMode = mode
        if !command.timeCurves.isEmpty, model != .rifeV425 {
            throw UserError("--time-curve needs --model rife-v4.25 (it takes t per pixel)")
        }
        curves = try command.timeCurves.map { argument in
            let (path, text) = try splitMaskArgument(argument, option: "--time-curve", valueName: "CURVE")
            do throws(TimeCurveError) { return (path, try TimeCurve(parsing: text)) } catch {
                throw UserError("--time-curve \(argument): \(error.description)")
            }
        }
        // The gate scores frames made in one v4.25 pass at one t (its parts need both warped candidates).
        let qualityMode = try parseMode(command.mode)
        precision = try parsePrecision(command.precision, model: model, mode: qualityMode)
        if model == .rifeV425 && curves.isEmpty {
            var settings = QualityGate(mode: qualityMode)
            settings.keepsCandidates = command.review != nil  // only the review's pictures need them
            gate = settings
        } else {
            gate = nil
            if qualityMode == .advanced || command.review != nil {
                throw UserError("\(qualityMode == .advanced ? "--mode advanced" : "--review") needs --model rife-v4.25 without --time-curve: "
                                + "the quality gate scores frames made in one pass at one time")
            }
        }
        try checkReportFolders([("--report", command.report), ("--review", command.review)])
        detector = SceneCutDetector(threshold: command.sceneThreshold)
        settings = EncoderSettings(crf: command.crf, preset: command.preset)

        input = URL(fileURLWithPath: command.input).standardizedFileURL
        var outputPath = command.output
        while outputPath.count > 1 && outputPath.hasSuffix("/") { outputPath.removeLast() }
        output = URL(fileURLWithPath: outputPath).standardizedFileURL
        switch output.pathExtension.lowercased() {
        case "mp4", "m4v": kind = .video(container: "mp4")
        case "mov": kind = .video(container: "mov")
        case "mkv": kind = .video(container: "matroska")
        case "": kind = .pngDirectory
        default: throw UserError("\(command.output): output must be .mp4, .mov, .mkv or a directory for PNG frames")
        }
        if input.resolvingSymlinksInPath().path == output.resolvingSymlinksInPath().path {
            throw UserError("\(command.output): output would overwrite the input")
        }
        if !command.force, FileManager.default.fileExists(atPath: output.path) {
            throw UserError("\(output.path) already exists (use --force to overwrite)")
        }
        let directory = output.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UserError("\(directory): output directory does not exist")
        }
    }

    func run() throws {
        let info: VideoInfo
        do { info = try VideoProbe.probe(input) } catch let e as MediaError { throw UserError(e.message) }
        if info.isVariableFrameRate {
            throw UserError("\(input.path): variable frame rate (nominal \(info.frameRateNumerator)/\(info.frameRateDenominator) fps, "
                + "average \(info.averageFrameRateNumerator!)/\(info.averageFrameRateDenominator!)); convert it to a constant rate first, "
                + "e.g. ffmpeg -i IN -fps_mode cfr -r RATE OUT")
        }
        if let n = info.frameCount, n == 1 {
            throw UserError("\(input.path): only one frame; at least two are needed to interpolate")
        }
        let sourceRate = Rational(info.frameRateNumerator, info.frameRateDenominator)
        let timeline = Timeline(sourceRate: sourceRate, target: target)
        let renderer = try makeRenderer(timeline: timeline, info: info)

        // Claim the temporary output now, so an unwritable directory fails before any work.
        let staging = output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).tween-\(getpid()).partial"
                                    + (output.pathExtension.isEmpty ? "" : ".\(output.pathExtension)"))
        do {
            switch kind {
            case .pngDirectory: try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
            case .video: guard FileManager.default.createFile(atPath: staging.path, contents: nil) else {
                throw UserError("\(output.deletingLastPathComponent().path): output directory is not writable (cannot create \(staging.lastPathComponent))")
            }
            }
        } catch let e as UserError { throw e } catch {
            throw UserError("\(output.deletingLastPathComponent().path): output directory is not writable (\(reason(error)))")
        }
        Interruption.shared.stage(staging)
        defer { Interruption.shared.unstage() }
        var succeeded = false
        defer { if !succeeded { try? FileManager.default.removeItem(at: staging) } }

        let reader: VideoReader
        do { reader = try VideoReader(url: input, info: info) } catch let e as MediaError { throw UserError(e.message) }
        defer { reader.cancel() }
        var source = ReaderSource(reader: reader)

        let started = Date()
        let expectedOut = info.expectedFrameCount.map { timeline.outputFrameCount(sourceFrames: $0) }
        let progress = ProgressLine(enabled: !command.quiet && isatty(STDERR_FILENO) != 0, total: expectedOut, started: started)
        let pipeline = VideoPipeline(renderer: renderer, timeline: timeline, detector: detector)
        var collector = gate.map { ReviewCollector(gate: $0, makesPictures: command.review != nil) }
        let outputRate = timeline.outputRate.doubleValue
        let observe = { (out: RenderedOutput) in
            guard let gated = out.frame.gated else { return }
            collector?.observe(gated, at: .init(frame: out.index, seconds: Double(out.index) / outputRate,
                                                sourceFrame: out.sourceIndex, t: out.t))
        }
        let stats: PipelineStatistics
        var dropped: [String] = []
        do {
            switch kind {
            case .video(let container):
                let writer = try VideoWriter(
                    destination: staging, container: container, width: info.width, height: info.height,
                    rate: (timeline.outputRate.numerator, timeline.outputRate.denominator),
                    settings: settings, source: input, sourceInfo: info)
                defer { writer.cancel() }
                var sink = EncoderSink(writer: writer)
                stats = try pipeline.run(source: &source, sink: &sink, progress: progress.update, observe: observe)
                try writer.finish()
                dropped = writer.droppedSubtitles
            case .pngDirectory:
                var sink = PNGSink(writer: PNGSequenceWriter(directory: staging))
                stats = try pipeline.run(source: &source, sink: &sink, progress: progress.update, observe: observe)
            }
        } catch let e as MediaError {
            progress.clear()
            throw UserError(e.message)
        } catch let e as VideoPipelineError {
            progress.clear()
            throw UserError("\(input.path): \(e.message)")
        } catch let e as UnsupportedTimeError {  // refused up front in makeRenderer; kept as one line all the same
            progress.clear()
            throw UserError(e.description)
        }
        progress.clear()

        if command.force, FileManager.default.fileExists(atPath: output.path) {
            try? FileManager.default.removeItem(at: output)
        }
        guard rename(staging.path, output.path) == 0 else {
            throw UserError("\(output.path): cannot move the finished output into place (\(String(cString: strerror(errno))))")
        }
        succeeded = true
        let seconds = Date().timeIntervalSince(started)

        var summary = VideoReport(
            input: input.path, output: output.path, width: info.width, height: info.height,
            sourceFPS: sourceRate.description, outputFPS: timeline.outputRate.description, model: model.rawValue,
            framesIn: stats.framesIn, framesOut: stats.framesOut, interpolated: stats.interpolated, networkPasses: stats.networkPasses,
            sceneCuts: stats.sceneCuts, heldAtCuts: stats.heldAtCuts, seconds: seconds, engineSeconds: stats.engineSeconds,
            outputFramesPerSecond: Double(stats.framesOut) / max(seconds, 1e-9),
            inputDuration: Double(stats.framesIn) / sourceRate.doubleValue,
            outputDuration: Double(stats.framesOut) / timeline.outputRate.doubleValue,
            audioCopied: info.hasAudio && { if case .video = kind { return true } else { return false } }(),
            subtitlesDropped: dropped)
        let review = collector?.review()
        if let review {
            var thumbnails: [Int: [String: String]] = [:]
            if let path = command.review {
                do { thumbnails = try review.writeHTML(to: URL(fileURLWithPath: path), video: input.path) } catch let e as EvaluationError {
                    throw UserError(e.message)
                }
            }
            summary.gate = review.report(thumbnails: thumbnails)
        }
        if let path = command.report { try summary.write(to: URL(fileURLWithPath: path)) }
        if !command.quiet {
            print(summary.text)
            if let review { print(review.line) }
            if let path = command.review { print("wrote \(path) (\(review?.flagged.count ?? 0) flagged frames)") }
            if info.hasAudio, case .pngDirectory = kind { print("note: audio is not written to a PNG directory") }
            if !dropped.isEmpty { print("note: \(dropped.joined(separator: ", ")) subtitles not copied (MP4/MOV take mov_text only; use .mkv)") }
        }
    }
}

extension VideoJob {
    /// The model's renderer, after the checks that need the input's rate and size: HDv3 takes only
    /// dyadic times, and time-curve masks must match the frames.
    func makeRenderer(timeline: Timeline, info: VideoInfo) throws -> any PairRenderer {
        switch model {
        case .rifeHDv3:
            if let t = BisectionRenderer.firstUnsupportedTime(in: timeline) {
                let conversion = switch target {
                case .multiply(let n): "--multi \(n)"
                case .rate: "--fps \(command.fps ?? "") from \(timeline.sourceRate) fps"
                }
                throw UserError("--model rife-hdv3 makes only dyadic times (1/2, 1/4, 3/4, 1/8, …) by bisection, but \(conversion) needs t = \(t) ("
                                + String(format: "%.4g", t.doubleValue) + "); use --model rife-v4.25")
            }
            return BisectionRenderer(interpolator: try loadMidpointInterpolator(weights: command.weights, scale: command.scale))
        case .rifeV425:
            let regions = try curves.map {
                TimeCurveRenderer.Region(mask: try readMask($0.maskPath, width: info.width, height: info.height), curve: $0.curve)
            }
            let interpolator = try loadInterpolator(weights: command.weights, scale: command.scale, precision: precision)
            if regions.isEmpty { return UniformRenderer(interpolator: interpolator, gate: gate) }
            return TimeCurveRenderer(interpolator: interpolator, regions: regions, mode: timeMapMode)
        }
    }
}

private func reason(_ error: any Error) -> String {
    (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
}

/// Decoded frames as the pipeline's `FrameSource`.
struct ReaderSource: FrameSource {
    let reader: VideoReader
    mutating func next() throws -> Tensor? { try reader.next()?.tensor }
}

/// The pipeline's frames into the H.264 encoder (8-bit, rounded; t = 0 frames round-trip exactly).
struct EncoderSink: FrameSink {
    let writer: VideoWriter
    mutating func write(_ frame: Tensor) throws { try writer.write(RGBImage(tensor: frame)) }
}

/// The pipeline's frames into numbered PNG files.
struct PNGSink: FrameSink {
    var writer: PNGSequenceWriter
    mutating func write(_ frame: Tensor) throws { try writer.write(RGBImage(tensor: frame)) }
}

/// The summary printed at the end and written by `--report`.
struct VideoReport: Codable {
    var input: String
    var output: String
    var width: Int
    var height: Int
    var sourceFPS: String
    var outputFPS: String
    var model: String
    var framesIn: Int
    var framesOut: Int
    var interpolated: Int
    /// Runs of the network: one per interpolated frame for rife-v4.25, one per midpoint for rife-hdv3
    /// (--multi 4: 3 per pair for 3 frames), one per distinct t of a frame with --time-curve.
    var networkPasses: Int
    var sceneCuts: Int
    var heldAtCuts: Int
    var seconds: Double
    /// Of `seconds`, the time spent in the network; the rest is decoding, encoding and glue.
    var engineSeconds: Double
    var outputFramesPerSecond: Double
    var inputDuration: Double
    var outputDuration: Double
    var audioCopied: Bool
    var subtitlesDropped: [String]
    /// The quality gate: its settings, totals and flagged frames (rife-v4.25 at one t per frame).
    var gate: ReviewReport? = nil

    var text: String {
        String(format: "wrote %@: %d frames in → %d out (%d interpolated, %d scene cuts) at %@ fps, %.1f s (%@ network %.1f s, %d passes), %.2f frames/s",
               output, framesIn, framesOut, interpolated, sceneCuts, outputFPS, seconds, model, engineSeconds, networkPasses,
               outputFramesPerSecond)
    }

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial")
        do {
            try encoder.encode(self).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw UserError("\(url.path): cannot write the report (\(reason(error)))")
        }
    }
}

/// The live line on stderr: frames done/total, output fps, ETA. Only on a terminal, at most 5 times a second.
final class ProgressLine {
    let enabled: Bool
    let total: Int?
    let started: Date
    private var lastDraw = Date.distantPast

    init(enabled: Bool, total: Int?, started: Date) {
        self.enabled = enabled
        self.total = total
        self.started = started
    }

    func update(_ stats: PipelineStatistics) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let fps = Double(stats.framesOut) / max(elapsed, 1e-9)
        var line = "\(stats.framesOut)"
        if let total { line += "/\(total)" }
        line += String(format: " frames, %.2f fps", fps)
        if let total, fps > 0 { line += ", ETA " + clock(Double(max(total - stats.framesOut, 0)) / fps) }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Ctrl-C and SIGTERM: stop the ffmpeg children, delete the partial output, exit 130.
///
/// Signals are taken on a dispatch queue (not in an async-signal handler), so the clean-up
/// can use ordinary calls; the main thread may be deep inside the network when it happens.
final class Interruption: @unchecked Sendable {  // `staged` is guarded by `lock`
    static let shared = Interruption()
    private let lock = NSLock()
    private var staged: URL?
    private var sources: [any DispatchSourceSignal] = []

    func stage(_ url: URL) {
        lock.lock(); staged = url; lock.unlock()
        installOnce()
    }

    func unstage() { lock.lock(); staged = nil; lock.unlock() }

    private func installOnce() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                FFmpeg.terminateAll()
                lock.lock(); let url = staged; lock.unlock()
                if let url { try? FileManager.default.removeItem(at: url) }
                let erase = isatty(STDERR_FILENO) != 0 ? "\r\u{1B}[K" : ""
                FileHandle.standardError.write(Data("\(erase)tween: error: interrupted; partial output removed\n".utf8))
                _exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
