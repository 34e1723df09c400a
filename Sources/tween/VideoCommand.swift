import ArgumentParser
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
    @Option(help: "Weights file (default: the RIFE v4.25 checkpoint in the models directory).") var weights: String?
    @Option(help: ArgumentHelp(precisionHelp)) var precision: String = Precision.float32.rawValue
    @Option(help: "Also write the summary as JSON to this file.") var report: String?
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
        let interpolator = try loadInterpolator(weights: command.weights, scale: command.scale,
                                                precision: parsePrecision(command.precision))

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
        let pipeline = VideoPipeline(interpolator: interpolator, timeline: timeline, detector: detector)
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
                stats = try pipeline.run(source: &source, sink: &sink, progress: progress.update)
                try writer.finish()
                dropped = writer.droppedSubtitles
            case .pngDirectory:
                var sink = PNGSink(writer: PNGSequenceWriter(directory: staging))
                stats = try pipeline.run(source: &source, sink: &sink, progress: progress.update)
            }
        } catch let e as MediaError {
            progress.clear()
            throw UserError(e.message)
        } catch let e as VideoPipelineError {
            progress.clear()
            throw UserError("\(input.path): \(e.message)")
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

        let summary = VideoReport(
            input: input.path, output: output.path, width: info.width, height: info.height,
            sourceFPS: sourceRate.description, outputFPS: timeline.outputRate.description,
            framesIn: stats.framesIn, framesOut: stats.framesOut, interpolated: stats.interpolated,
            sceneCuts: stats.sceneCuts, heldAtCuts: stats.heldAtCuts, seconds: seconds, engineSeconds: stats.engineSeconds,
            outputFramesPerSecond: Double(stats.framesOut) / max(seconds, 1e-9),
            inputDuration: Double(stats.framesIn) / sourceRate.doubleValue,
            outputDuration: Double(stats.framesOut) / timeline.outputRate.doubleValue,
            audioCopied: info.hasAudio && { if case .video = kind { return true } else { return false } }(),
            subtitlesDropped: dropped)
        if let path = command.report { try summary.write(to: URL(fileURLWithPath: path)) }
        if !command.quiet {
            print(summary.text)
            if info.hasAudio, case .pngDirectory = kind { print("note: audio is not written to a PNG directory") }
            if !dropped.isEmpty { print("note: \(dropped.joined(separator: ", ")) subtitles not copied (MP4/MOV take mov_text only; use .mkv)") }
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
    var framesIn: Int
    var framesOut: Int
    var interpolated: Int
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

    var text: String {
        String(format: "wrote %@: %d frames in → %d out (%d interpolated, %d scene cuts) at %@ fps, %.1f s (network %.1f s), %.2f frames/s",
               output, framesIn, framesOut, interpolated, sceneCuts, outputFPS, seconds, engineSeconds, outputFramesPerSecond)
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
