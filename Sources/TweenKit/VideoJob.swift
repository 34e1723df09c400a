public import Foundation
public import Interpolation
public import Evaluation
public import MediaIO
import Models
public import TensorCore

/// What `tween video` is asked to do; `Codable`, so a service can store a job and run it later.
public struct VideoOptions: Codable, Sendable, Equatable {
    /// How many output frames: a factor, or a rate (`60`, `60000/1001`, `59.94`).
    public enum Target: Codable, Sendable, Equatable {
        case multiply(Int)
        case fps(String)
        /// `--slowmo N`: N× as many frames, played at the source's rate (N× longer).
        case slowmo(Int)
    }

    /// What happens to the audio of a `--slowmo` job.
    public enum SlowmoAudio: String, Codable, Sendable, CaseIterable {
        /// Left out, with a note.
        case drop
        /// Slowed to match with its pitch kept (ffmpeg's atempo), re-encoded.
        case stretch
    }

    public var input: String
    /// `.mp4`, `.mov`, `.mkv` (H.264), or a path without extension for a folder of PNG frames.
    public var output: String
    public var target: Target
    public var engine = EngineSettings()
    public var sceneThreshold: Double = SceneCutDetector.defaultThreshold
    public var crf: Int = 18
    public var preset: String = "medium"
    /// The frame rate of an image-sequence input (a folder of numbered frames or a printf pattern).
    public var inputFPS: String? = nil
    /// With output `-`: the stream written to stdout, "nut" (raw video and the source's audio) or
    /// "y4m" (raw video only).
    public var pipeFormat: String = "nut"
    /// The output's video codec; nil: H.264 (HEVC for HDR sources, VP9 for .webm).
    public var codec: VideoCodec? = nil
    /// `MASK.png:CURVE` arguments (RIFE v4.25).
    public var timeCurves: [String] = []
    public var timeMapMode: TimeMapMode = .flowBlend
    /// `--dedup`: drop source frames that repeat the one before (mean absolute difference below
    /// `duplicateThreshold`, 0–255) and place the distinct frames at their own times.
    public var dedup: Bool = false
    public var duplicateThreshold: Double = DuplicateScan.defaultThreshold
    public var slowmoAudio: SlowmoAudio = .drop
    /// Where to write the summary as JSON, and the review page.
    public var report: String? = nil
    public var review: String? = nil
    /// Replace an existing output (only what Tween itself writes there; see `StagedOutput`).
    public var force: Bool = false

    public init(input: String, output: String, target: Target) {
        self.input = input
        self.output = output
        self.target = target
    }
}

/// Progress of a running video job.
public struct VideoProgress: Sendable, Equatable {
    public var framesOut: Int
    /// Expected output frames, when the input's frame count is known.
    public var total: Int?
    public var elapsed: Double
    public var framesPerSecond: Double { Double(framesOut) / max(elapsed, 1e-9) }
    /// Seconds left at the current rate, when the total is known.
    public var remaining: Double? {
        guard let total, framesPerSecond > 0 else { return nil }
        return Double(max(total - framesOut, 0)) / framesPerSecond
    }
}

/// One whole video conversion: validate → probe → plan → decode → interpolate → gate → encode →
/// commit atomically → report. Checks that need no file are done in `init`, so a bad option fails
/// before anything is read; nothing is written before the probe has accepted the input.
public struct VideoJob: Sendable {
    public enum Event: Sendable {
        case progress(VideoProgress)
        case finished(VideoReport)
    }

    public let options: VideoOptions
    public let input: URL
    /// What is read: the file, or the image sequence at `--input-fps`.
    public let source: MediaInput
    public let output: URL
    /// Output `-`: the frames stream to stdout (not atomic: a failure leaves a cut stream and exit 1).
    public let toStandardOutput: Bool
    let kind: OutputKind
    let target: Timeline.Target
    /// `--time-curve` arguments split into the mask's path and the parsed curve.
    let curves: [(maskPath: String, curve: TimeCurve)]
    /// The quality gate's settings; nil when the renderer's frames are not gated (HDv3, time curves).
    let gate: QualityGate?
    public let precision: Precision

    public init(_ options: VideoOptions) throws(TweenError) {
        self.options = options
        switch options.target {
        case .multiply(let n):
            guard n >= 2, n <= 64 else { throw TweenError("--multi must be between 2 and 64 (got \(n))") }
            target = .multiply(n)
        case .fps(let f):
            guard let rate = Rational(frameRate: f), rate.doubleValue <= 1000 else {
                throw TweenError("--fps must be a positive rate such as 60, 60000/1001 or 59.94 (got \(f))")
            }
            target = .rate(rate)
        case .slowmo(let n):
            guard n >= 2, n <= 64 else { throw TweenError("--slowmo must be between 2 and 64 (got \(n))") }
            target = .multiply(n)
        }
        guard options.duplicateThreshold > 0, options.duplicateThreshold < 255 else {
            throw TweenError("--duplicate-threshold must be in (0, 255) (got \(options.duplicateThreshold))")
        }
        if options.dedup && options.input == "-" {
            throw TweenError("--dedup reads the input twice (once to find the repeated frames), and standard input can be read once; give the file")
        }
        guard options.sceneThreshold >= 0, options.sceneThreshold <= 1 else {
            throw TweenError("--scene-threshold must be in [0, 1] (got \(options.sceneThreshold))")
        }
        let crfRange = options.codec == .vp9 || options.codec == .av1 ? 0...63 : 0...51
        guard crfRange.contains(options.crf) else {
            throw TweenError("--crf must be in \(crfRange.lowerBound)…\(crfRange.upperBound)\(options.codec.map { " for \($0.rawValue)" } ?? "") (got \(options.crf))")
        }
        guard EncoderSettings.presets.contains(options.preset) else {
            throw TweenError("--preset must be one of \(EncoderSettings.presets.joined(separator: ", ")) (got \(options.preset))")
        }
        try checkScale(options.engine.scale)
        if !options.timeCurves.isEmpty, options.engine.model != .rifeV425 {
            throw TweenError("--time-curve needs --model rife-v4.25 (it takes t per pixel)")
        }
        curves = try options.timeCurves.map { argument throws(TweenError) in
            let (path, text) = try splitMaskArgument(argument, option: "--time-curve", valueName: "CURVE")
            do throws(TimeCurveError) { return (path, try TimeCurve(parsing: text)) } catch {
                throw TweenError("--time-curve \(argument): \(error.description)")
            }
        }
        precision = try Precision.choose(options.engine.precision, model: options.engine.model, mode: options.engine.mode)
        // The gate scores frames made in one v4.25 pass at one t (its parts need both warped candidates).
        if options.engine.model == .rifeV425 && curves.isEmpty {
            var settings = QualityGate(mode: options.engine.mode)
            settings.keepsCandidates = options.review != nil  // only the review's pictures need them
            gate = settings
        } else {
            gate = nil
            if options.engine.mode == .advanced || options.review != nil {
                throw TweenError("\(options.engine.mode == .advanced ? "--mode advanced" : "--review") needs --model rife-v4.25 without --time-curve: "
                                 + "the quality gate scores frames made in one pass at one time")
            }
        }
        input = URL(fileURLWithPath: options.input == "-" ? "/dev/stdin" : options.input).standardizedFileURL
        toStandardOutput = options.output == "-"
        guard options.pipeFormat == "nut" || options.pipeFormat == "y4m" else {
            throw TweenError("--pipe-format must be nut or y4m (got \(options.pipeFormat))")
        }
        var isFolder: ObjCBool = false
        let isSequence = options.input.contains("%") || (FileManager.default.fileExists(atPath: input.path, isDirectory: &isFolder) && isFolder.boolValue)
        if isSequence {
            guard let text = options.inputFPS else {
                throw TweenError("\(options.input): an image sequence has no frame rate of its own; give --input-fps (e.g. 24 or 24000/1001)")
            }
            guard let rate = Rational(frameRate: text), rate.doubleValue <= 1000 else {
                throw TweenError("--input-fps must be a positive rate such as 24, 24000/1001 or 23.976 (got \(text))")
            }
            do { source = try MediaInput.sequence(input.path.contains("%") ? options.input : input.path, rate: "\(rate.numerator)/\(rate.denominator)") }
            catch { throw TweenError((error as? MediaError)?.message ?? "\(options.input): \(error)") }
        } else {
            if options.inputFPS != nil { throw TweenError("--input-fps is for image sequences; a video file has its own rate") }
            // Standard input is read ahead for the probe when the job runs, not here.
            source = options.input == "-" ? MediaInput(pipePlaceholder: input) : .file(input)
        }
        var outputPath = options.output
        while outputPath.count > 1 && outputPath.hasSuffix("/") { outputPath.removeLast() }
        output = URL(fileURLWithPath: outputPath).standardizedFileURL
        switch toStandardOutput ? "-" : output.pathExtension.lowercased() {
        case "-": kind = .file
        case "mp4", "m4v", "mov", "mkv", "webm": kind = .file
        case "": kind = .frameFolder
        default: throw TweenError("\(options.output): output must be .mp4, .mov, .mkv, .webm or a directory for PNG frames")
        }
        if let codec = options.codec {
            guard let container else { throw TweenError("--codec \(codec.rawValue): a folder of PNG frames has no codec; give a video file as output") }
            if let reason = VideoWriter.refusal(codec: codec, container: container, width: 2, height: 2) { throw TweenError(reason) }
        }
        try checkReportFiles([("--report", options.report), ("--review", options.review)], inputs: [source.url])
        if !toStandardOutput {
            do { try StagedOutput.check(output, kind: kind, inputs: [source.url], force: options.force) } catch { throw error.asTweenError }
        }
    }

    var container: String? {
        if toStandardOutput { return options.pipeFormat == "y4m" ? "yuv4mpegpipe" : "nut" }
        return switch output.pathExtension.lowercased() {
        case "mp4", "m4v": "mp4"
        case "mov": "mov"
        case "mkv": "matroska"
        case "webm": "webm"
        default: nil
        }
    }

    /// Runs the job as a stream of events: progress while frames are made, then `.finished` with the
    /// report. The work runs on its own thread (it is CPU-bound for minutes). Cancelling the task
    /// that iterates the stream, or dropping the stream, stops the job within a frame: the ffmpeg
    /// children are stopped and the partial output removed. (A cancelled iteration simply ends,
    /// without `.finished`, as every `AsyncThrowingStream` does; `run(progress:)` throws instead.)
    public func events() -> AsyncThrowingStream<Event, any Error> {
        let cancellation = JobCancellation()
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { _ in cancellation.cancel() }
            let thread = Thread {
                do {
                    let report = try self.run(cancellation: cancellation) { continuation.yield(.progress($0)) }
                    continuation.yield(.finished(report))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs the job off the caller's thread and returns its report; `progress` is called for every
    /// progress event. Throws `JobCancelled` when the calling task is cancelled (the job stops
    /// within a frame and its partial output is removed), else what `run(cancellation:progress:)` throws.
    public func run(progress: (VideoProgress) -> Void) async throws -> VideoReport {
        for try await event in events() {
            switch event {
            case .progress(let p): progress(p)
            case .finished(let report): return report
            }
        }
        throw JobCancelled()  // the stream ended without a report: the task was cancelled
    }

    /// Runs the whole job on the calling thread.
    ///
    /// - Parameters:
    ///   - cancellation: polled between frames; once set, the job stops and throws `JobCancelled`.
    ///   - progress: called after every output frame (at most every 0.2 s, and for the last frame).
    /// - Throws: `TweenError` (one line naming the file, frame or option) or `JobCancelled`.
    public func run(cancellation: JobCancellation = JobCancellation(),
                    progress: (VideoProgress) -> Void = { _ in }) throws -> VideoReport {
        do {
            return try runChecked(cancellation: cancellation, progress: progress)
        } catch {
            // ffmpeg stopped under us (the host killed the children on a signal) reads as a failed
            // pipe; once cancelled, every failure is the cancellation.
            if cancellation.isCancelled { throw JobCancelled() }
            throw TweenError.wrapping(error, context: input.path)
        }
    }

    private func runChecked(cancellation: JobCancellation, progress: (VideoProgress) -> Void) throws -> VideoReport {
        ProcessSettings.ignoreBrokenPipes()
        let media: MediaInput
        do { media = source.isPipe ? try MediaInput.standardInput() : source } catch let e as MediaError { throw TweenError(e.message) }
        let info: VideoInfo
        do { info = try VideoProbe.probe(media) } catch let e as MediaError { throw TweenError(e.message) }
        // A variable-rate source is placed in time by its frames' own timestamps (a decoding pass
        // of ffprobe's, cheap beside the network); a constant-rate one by its rate, as always.
        var sourceTimes: [Rational]?
        var gapsNote: String?
        if info.isVariableFrameRate {
            guard let base = info.timeBase, base.numerator > 0, base.denominator > 0 else {
                throw TweenError("\(input.path): variable frame rate, and the stream gives no time base to read its timestamps by")
            }
            if media.isPipe {
                throw TweenError("standard input: variable frame rate, and a pipe's timestamps cannot be read ahead; give the file instead")
            }
            let stamps: [Int]
            do { stamps = try VideoProbe.frameTimestamps(media, info: info) } catch let e as MediaError { throw TweenError(e.message) }
            try cancellation.check()
            if stamps.count == 1 { throw TweenError("\(input.path): only one frame; at least two are needed to interpolate") }
            if stamps.count >= 2 {
                let unit = Rational(base.numerator, base.denominator)
                sourceTimes = stamps.map { Rational($0 - stamps[0]) * unit }
                if let periods = info.missingFramePeriods {
                    gapsNote = "frames are missing (gaps of up to \(periods) frames at \(info.frameRateNumerator)/\(info.frameRateDenominator) fps): "
                        + "placed by their timestamps, the gaps filled by interpolation"
                } else if let gaps = info.frameDurations {
                    gapsNote = String(format: "variable frame rate (frames %.1f to %.1f ms apart): each output frame placed between the source frames whose timestamps bracket it",
                                      gaps.lowerBound * 1000, gaps.upperBound * 1000)
                } else {
                    gapsNote = "variable frame rate: each output frame placed between the source frames whose timestamps bracket it"
                }
            }
        }
        if let n = info.frameCount, n == 1 {
            throw TweenError("\(input.path): only one frame; at least two are needed to interpolate")
        }
        let sourceRate = Rational(info.frameRateNumerator, info.frameRateDenominator)
        // --dedup: a scan finds the repeated frames; the distinct ones keep their own times and
        // the last lasts until the source ends, so motion between them is even and the length kept.
        // Set only when the scan dropped frames: the kept frames' indices and the frames scanned.
        var deduped: (kept: [Int], frames: Int)?
        var sourceEnd: Rational?
        var dedupNote: String?
        if options.dedup {
            let scan: (kept: [Int], frames: Int)
            do { scan = try DuplicateScan.distinctFrames(media, info: info, threshold: options.duplicateThreshold) { try cancellation.check() } }
            catch let e as MediaError { throw TweenError(e.message) }
            if scan.frames >= 2 && scan.kept.count < 2 {
                throw TweenError("\(input.path): --dedup: all \(scan.frames) frames show the same picture (mean difference below \(options.duplicateThreshold)); there is no motion to interpolate")
            }
            if scan.kept.count < scan.frames {
                let all = sourceTimes ?? (0..<scan.frames).map { Rational($0) / sourceRate }
                guard all.count == scan.frames else {
                    throw TweenError("\(input.path): the decoder gave \(scan.frames) frames but listed \(all.count) timestamps; the frames cannot be placed in time")
                }
                let end = Timeline(sourceRate: sourceRate, target: target, sourceTimes: sourceTimes).sourceDuration(sourceFrames: scan.frames)
                sourceTimes = scan.kept.map { all[$0] }
                sourceEnd = end
                deduped = scan
            }
            dedupNote = "--dedup: \(scan.frames - scan.kept.count) of \(scan.frames) source frames repeat the one before and were dropped; "
                + (scan.kept.count < scan.frames ? "the \(scan.kept.count) distinct frames placed at their own times" : "none to drop")
        }
        let timeline = Timeline(sourceRate: sourceRate, target: target, sourceTimes: sourceTimes, sourceEnd: sourceEnd)
        // --slowmo N: N× the frames at the source's own rate; otherwise at the timeline's rate.
        let slowmo: Int? = if case .slowmo(let n) = options.target { n } else { nil }
        let playbackRate = slowmo == nil ? timeline.outputRate : sourceRate
        // In flight: two source frames and the output frames of one pair.
        let perPair = Int((timeline.outputRate.doubleValue / sourceRate.doubleValue).rounded(.up))
        try MemoryBudget.check(input.path, width: info.width, height: info.height, engine: options.engine, framesInFlight: 2 + perPair)
        let estimatedPeak = MemoryBudget.jobPeak(width: info.width, height: info.height, model: options.engine.model,
                                                 scale: options.engine.scale, framesInFlight: 2 + perPair)
        let renderer = try makeRenderer(timeline: timeline, info: info)
        try cancellation.check()

        // Claim the temporary output now, so an unwritable directory fails before any work.
        var staged: StagedOutput?
        if !toStandardOutput {
            do { staged = try StagedOutput(output, kind: kind, inputs: [source.url], force: options.force) } catch { throw error.asTweenError }
        }
        defer { staged?.discard() }  // a no-op once committed

        let reader: VideoReader
        // Sources deeper than 8 bits are decoded at 16 and written at their depth (10-bit video,
        // 16-bit PNG). 8-bit sources keep the exact 8-bit path.
        do { reader = try VideoReader(input: media, info: info, deep: true) } catch let e as MediaError { throw TweenError(e.message) }
        defer { reader.cancel() }
        var source = ReaderSource(reader: reader, cancellation: cancellation, keep: deduped.map { Set($0.kept) })

        let started = Date()
        let expectedOut = (sourceTimes?.count ?? info.expectedFrameCount).map { timeline.outputFrameCount(sourceFrames: $0) }
        var lastReport = Date.distantPast
        let report = { (stats: PipelineStatistics) in
            let now = Date()
            guard now.timeIntervalSince(lastReport) >= 0.2 || stats.framesOut == expectedOut else { return }
            lastReport = now
            progress(VideoProgress(framesOut: stats.framesOut, total: expectedOut, elapsed: now.timeIntervalSince(started)))
        }
        let pipeline = VideoPipeline(renderer: renderer, timeline: timeline, detector: SceneCutDetector(threshold: options.sceneThreshold))
        var collector = gate.map { ReviewCollector(gate: $0, makesPictures: options.review != nil) }
        let outputRate = playbackRate.doubleValue
        let observe = { (out: RenderedOutput) in
            guard let gated = out.frame.gated else { return }
            collector?.observe(gated, at: .init(frame: out.index, seconds: Double(out.index) / outputRate,
                                                sourceFrame: out.sourceIndex, t: out.t))
        }
        let stats: PipelineStatistics
        var dropped: [String] = []
        var transcoded: [String] = []
        var encoded: (codec: VideoCodec, pixelFormat: String)?
        do {
            if let container {
                let writer = try VideoWriter(
                    destination: staged?.staging ?? output, container: container, width: info.width, height: info.height,
                    rate: (playbackRate.numerator, playbackRate.denominator),
                    settings: EncoderSettings(crf: options.crf, preset: options.preset, codec: options.codec),
                    inputBytesPerComponent: reader.bytesPerComponent, source: media, sourceInfo: info, toStandardOutput: toStandardOutput,
                    audio: slowmo.map { options.slowmoAudio == .stretch ? .slowed($0) : .drop } ?? .copy)
                defer { writer.cancel() }
                encoded = (writer.codec, writer.pixelFormat)
                let deep = reader.bytesPerComponent == 2
                var sink = FrameWriterSink(cancellation: cancellation, source: input, write: { frame in
                    if deep { try writer.write(pixels16: RGBImage.pixels16(frame)) } else { try writer.write(RGBImage(tensor: frame)) }
                })
                stats = try pipeline.run(source: &source, sink: &sink, progress: report, observe: observe)
                try writer.finish()
                dropped = writer.droppedSubtitles
                transcoded = writer.transcodedAudio
            } else {
                var frames = PNGSequenceWriter(directory: staged!.staging)
                let deep = reader.bytesPerComponent == 2
                var sink = FrameWriterSink(cancellation: cancellation, source: input, write: { frame in
                    if deep { try frames.write(pixels16: RGBImage.pixels16(frame), width: frame.w, height: frame.h) }
                    else { try frames.write(RGBImage(tensor: frame)) }
                })
                stats = try pipeline.run(source: &source, sink: &sink, progress: report, observe: observe)
            }
        } catch let e as MediaError {
            throw TweenError(e.message)
        } catch let e as VideoPipelineError {
            throw TweenError("\(input.path): \(e.message)")
        } catch let e as UnsupportedTimeError {  // refused up front in makeRenderer; kept as one line all the same
            throw TweenError(e.description)
        }
        try cancellation.check()
        if let deduped, source.decoded != deduped.frames {
            throw TweenError("\(input.path): the decoder gave \(source.decoded) frames this time and \(deduped.frames) in the --dedup scan; the frames cannot be matched")
        }
        if let times = sourceTimes, times.count != stats.framesIn {
            throw TweenError("\(input.path): the decoder gave \(stats.framesIn) frames but listed \(times.count) timestamps; the frames cannot be placed in time")
        }
        do { try staged?.commit() } catch { throw error.asTweenError }
        let seconds = Date().timeIntervalSince(started)

        var summary = VideoReport(
            input: media.isPipe ? "standard input" : input.path, output: toStandardOutput ? "standard output" : output.path, width: info.width, height: info.height,
            sourceFPS: sourceRate.description, outputFPS: playbackRate.description, model: options.engine.model.rawValue,
            precision: precision.rawValue, cpuPath: Precision.cpuInstructionSet,
            framesIn: stats.framesIn, framesOut: stats.framesOut, interpolated: stats.interpolated, networkPasses: stats.networkPasses,
            sceneCuts: stats.sceneCuts, heldAtCuts: stats.heldAtCuts, seconds: seconds, engineSeconds: stats.engineSeconds,
            outputFramesPerSecond: Double(stats.framesOut) / max(seconds, 1e-9),
            inputDuration: timeline.sourceDuration(sourceFrames: stats.framesIn).doubleValue,
            outputDuration: Double(stats.framesOut) / playbackRate.doubleValue,
            audioCopied: info.hasAudio && container != nil && (slowmo == nil || options.slowmoAudio == .stretch), subtitlesDropped: dropped)
        summary.estimatedPeakMiB = estimatedPeak >> 20
        summary.peakMemoryMiB = MemoryBudget.peakResidentMiB()
        if info.hasAudio && container == nil { summary.notes.append("audio is not written to a PNG directory") }
        if info.hasAudio && container == "yuv4mpegpipe" {
            summary.audioCopied = false
            summary.notes.append("y4m holds video only: the audio is not written (--pipe-format nut keeps it)")
        }
        summary.colorConversion = "\(info.color.conversionMatrix(width: info.width, height: info.height))/\(info.color.conversionRange(pixelFormat: info.pixelFormat))"
        summary.sourceColor = info.color
        summary.sampleAspectRatio = info.sampleAspectRatio?.description
        summary.variableFrameRate = sourceTimes != nil
        if let gapsNote { summary.notes.append(gapsNote) }
        if let dedupNote { summary.notes.append(dedupNote) }
        summary.duplicatesDropped = deduped.map { $0.frames - $0.kept.count } ?? 0
        if let slowmo {
            summary.notes.append("--slowmo \(slowmo): \(stats.framesOut) frames played at the source's \(sourceRate) fps, \(slowmo)× as long")
            if info.hasAudio && container != nil {
                summary.notes.append(options.slowmoAudio == .stretch
                    ? "audio slowed \(slowmo)× with its pitch kept (ffmpeg atempo) and re-encoded"
                    : "audio left out (a \(slowmo)× slower picture; --slowmo-audio stretch keeps it, slowed with its pitch kept)")
            }
        }
        if !transcoded.isEmpty {
            summary.notes.append("\(transcoded.joined(separator: ", ")) audio re-encoded as AAC 192 kb/s (\(output.pathExtension.uppercased()) cannot hold it as it is; .mkv keeps it)")
        }
        summary.codec = encoded?.codec.rawValue
        summary.pixelFormat = encoded?.pixelFormat
        if info.bitDepth > 8 && container == nil { summary.notes.append("\(info.bitDepth)-bit source written as 16-bit PNG frames") }
        if let encoded, info.bitDepth > encoded.codec.outputDepth(sourceDepth: info.bitDepth) {
            summary.notes.append("\(info.bitDepth)-bit source written at \(encoded.codec.outputDepth(sourceDepth: info.bitDepth)) bits (\(encoded.pixelFormat))")
        }
        if info.color.isHDR {
            var note = "HDR source (\(info.color.transfer ?? "")): pixels interpolated as they are coded (RIFE was trained on SDR), colour tags kept"
            if let hdr = info.hdrMetadata {
                note += encoded?.codec == .hevc ? "; HDR10 metadata carried (\([hdr.masteringDisplay.map { _ in "mastering display" }, hdr.contentLight.map { _ in "content light level" }].compactMap { $0 }.joined(separator: ", ")))"
                    : "; its mastering-display and light-level metadata are carried only by --codec hevc"
            }
            summary.notes.append(note)
        }
        if !dropped.isEmpty && slowmo != nil {
            summary.notes.append("\(dropped.joined(separator: ", ")) subtitles not copied (their times do not match a --slowmo picture)")
        } else if !dropped.isEmpty {
            summary.notes.append("\(dropped.joined(separator: ", ")) subtitles not copied (MP4/MOV take mov_text only; use .mkv)")
        }
        if let review = collector?.review() {
            var thumbnails: [Int: [String: String]] = [:]
            if let path = options.review {
                do { thumbnails = try review.writeHTML(to: URL(fileURLWithPath: path), video: input.path) } catch let e as EvaluationError {
                    throw TweenError(e.message)
                }
                summary.notes.append("wrote \(path) (\(review.flagged.count) flagged frames)")
            }
            summary.gate = review.report(thumbnails: thumbnails)
            summary.gateLine = review.line
        }
        if let path = options.report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try StagedOutput.write(try encoder.encode(summary), to: URL(fileURLWithPath: path), inputs: [self.source.url]) } catch let e as OutputError {
                throw TweenError("\(path): cannot write the report (\(e.message))")
            }
        }
        return summary
    }

    /// The model's renderer, after the checks that need the input's rate and size: HDv3 takes only
    /// dyadic times, and time-curve masks must match the frames.
    func makeRenderer(timeline: Timeline, info: VideoInfo) throws(TweenError) -> any PairRenderer {
        switch options.engine.model {
        case .rifeHDv3:
            if let t = BisectionRenderer.firstUnsupportedTime(in: timeline) {
                let conversion = switch options.target {
                case .multiply(let n): "--multi \(n)"
                case .fps(let f): "--fps \(f) from \(timeline.sourceRate) fps"
                case .slowmo(let n): "--slowmo \(n)"
                }
                throw TweenError("--model rife-hdv3 makes only dyadic times (1/2, 1/4, 3/4, 1/8, …) by bisection, but \(conversion) needs t = \(t) ("
                                 + String(format: "%.4g", t.doubleValue) + "); use --model rife-v4.25")
            }
            return BisectionRenderer(interpolator: try EngineLoader.rifeHDv3(weights: options.engine.weights, scale: options.engine.scale))
        case .rifeV425:
            let regions = try curves.map { curve throws(TweenError) in
                TimeCurveRenderer.Region(mask: try readMask(curve.maskPath, width: info.width, height: info.height), curve: curve.curve)
            }
            let interpolator = try EngineLoader.rifeV425(weights: options.engine.weights, scale: options.engine.scale, precision: precision)
            if regions.isEmpty { return UniformRenderer(interpolator: interpolator, gate: gate) }
            return TimeCurveRenderer(interpolator: interpolator, regions: regions, mode: options.timeMapMode)
        }
    }
}

/// Decoded frames as the pipeline's `FrameSource`; stops at a cancellation. With `keep`, only
/// those frames (0-based decode order) are handed on (`--dedup`).
struct ReaderSource: FrameSource {
    let reader: VideoReader
    let cancellation: JobCancellation
    var keep: Set<Int>? = nil
    /// Frames decoded so far, kept or not.
    private(set) var decoded = 0

    init(reader: VideoReader, cancellation: JobCancellation, keep: Set<Int>? = nil) {
        self.reader = reader
        self.cancellation = cancellation
        self.keep = keep
    }

    mutating func next() throws -> Tensor? {
        while true {
            try cancellation.check()
            guard let frame = try reader.nextTensor() else { return nil }
            decoded += 1
            if keep?.contains(decoded - 1) ?? true { return frame }
        }
    }
}

/// The pipeline's frames into an encoder or a PNG sequence, converted by `write` (8-bit
/// `RGBImage(tensor:)` or 16-bit `RGBImage.pixels16`, the two rounding rules; t = 0 frames
/// round-trip exactly); stops at a cancellation, and refuses a frame with a non-finite value
/// rather than writing it as black.
struct FrameWriterSink: FrameSink {
    let cancellation: JobCancellation
    /// The input, for messages.
    let source: URL
    let write: (Tensor) throws -> Void
    private var written = 0

    init(cancellation: JobCancellation, source: URL, write: @escaping (Tensor) throws -> Void) {
        self.cancellation = cancellation
        self.source = source
        self.write = write
    }

    mutating func write(_ frame: Tensor) throws {
        try cancellation.check()
        try requireFinite(frame, "\(source.path): output frame \(written)")
        try write(frame)
        written += 1
    }
}

/// Throws when `frame` holds a NaN or an infinity (a network given corrupt weights or input), naming it.
func requireFinite(_ frame: Tensor, _ what: String) throws(TweenError) {
    let bad = frame.scalars.withUnsafeBufferPointer { values in values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }
    guard bad == 0 else {
        throw TweenError("\(what): the network produced \(bad) non-finite value\(bad == 1 ? "" : "s") (NaN or infinity); nothing was written")
    }
}

/// The summary of a finished video job: printed by the CLI, written by `--report`.
public struct VideoReport: Codable, Sendable {
    public var input: String
    public var output: String
    public var width: Int
    public var height: Int
    public var sourceFPS: String
    public var outputFPS: String
    public var model: String
    /// The convolutions' precision (f32, bf16) and the CPU path oneDNN ran them on.
    public var precision: String
    public var cpuPath: String
    public var framesIn: Int
    public var framesOut: Int
    public var interpolated: Int
    /// Runs of the network: one per interpolated frame for rife-v4.25, one per midpoint for rife-hdv3
    /// (--multi 4: 3 per pair for 3 frames), one per distinct t of a frame with --time-curve.
    public var networkPasses: Int
    public var sceneCuts: Int
    public var heldAtCuts: Int
    public var seconds: Double
    /// Of `seconds`, the time spent in the network; the rest is decoding, encoding and glue.
    public var engineSeconds: Double
    public var outputFramesPerSecond: Double
    public var inputDuration: Double
    public var outputDuration: Double
    public var audioCopied: Bool
    public var subtitlesDropped: [String]
    /// The quality gate: its settings, totals and flagged frames (rife-v4.25 at one t per frame).
    public var gate: ReviewReport? = nil
    /// The gate's summary line, as the terminal shows it.
    public var gateLine: String? = nil
    /// What a person should know (audio not written, subtitles left out, a page written).
    public var notes: [String] = []
    /// The memory the job was budgeted (`MemoryBudget.jobPeak`) and the process's peak resident
    /// set at the end (VmHWM; includes whatever else the process did before).
    public var estimatedPeakMiB: Int = 0
    public var peakMemoryMiB: Int = 0
    /// The source's colour tags, and the matrix/range its frames were converted with both ways
    /// (e.g. "bt709/tv"); the output is tagged with them.
    public var sourceColor: VideoColor? = nil
    public var colorConversion: String? = nil
    /// The source's (and so the output's) sample aspect ratio when not square, e.g. "32:27".
    public var sampleAspectRatio: String? = nil
    /// The video codec and pixel format written (nil for PNG frames).
    public var codec: String? = nil
    public var pixelFormat: String? = nil
    /// Whether the source's frames were placed by their timestamps (variable frame rate).
    public var variableFrameRate = false
    /// Source frames `--dedup` dropped as repeats of the frame before.
    public var duplicatesDropped = 0

    /// The summary line.
    public var text: String {
        String(format: "wrote %@: %d frames in → %d out (%d interpolated, %d scene cuts) at %@ fps, %.1f s (%@ %@ on %@, network %.1f s, %d passes), %.2f frames/s",
               output, framesIn, framesOut, interpolated, sceneCuts, outputFPS, seconds, model, precision, cpuPath, engineSeconds,
               networkPasses, outputFramesPerSecond)
    }
}
