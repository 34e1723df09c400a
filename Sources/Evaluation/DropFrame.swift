public import Foundation
public import Interpolation
public import MediaIO
import ImageMetrics

/// The drop-frame protocol on a video: frames are dropped and predicted back from their
/// neighbours, so any clip is its own ground truth.
///
/// The video is cut into non-overlapping windows of `gap` frame steps — frames kN … kN+N for
/// window k, consecutive windows sharing an end frame — and in each window the outer frames kN and
/// kN+N are the inputs and the inner frames are the ground truth: the middle one (frame kN+N/2,
/// t = 0.5; N must be even) or, with `allInner`, every inner frame kN+i at its true time t = i/N.
/// `--gap 2` is the classic protocol (frame 2k+1 from 2k and 2k+2).
///
/// A window is skipped, and counted, when it cannot be a fair test:
/// - **scene cut**: two consecutive frames of the window are a cut by `SceneCutDetector` (no method
///   can predict across a cut, and the score would measure the cut, not the interpolator);
/// - **duplicated frame**: two consecutive frames of the window differ by less than
///   `duplicateThreshold` mean absolute difference (0–255 scale, all pixels and channels): the
///   video repeats a frame (a telecine or a frame-rate conversion did it), so its "motion" is a
///   stutter that the true frame keeps and any interpolator smooths. The default 0.5 sits well
///   apart from both sides, as measured: a frame duplicated in an H.264 clip differs from its copy
///   by 0.03 (coding noise), while consecutive frames of the carphone clip and of ffmpeg's
///   testsrc2 differ by more than 1. (A nearly static scene can fall below it and is skipped too:
///   it tests nothing.)
public struct DropFrameProtocol: Sendable, Equatable {
    /// Frame steps per window (≥ 2).
    public var gap: Int
    /// Predict every inner frame at its true t, not only the middle one.
    public var allInner: Bool
    /// `SceneCutDetector`'s threshold (mean absolute difference of 32×32 luma thumbnails, 0…1).
    public var sceneThreshold: Double
    /// Below this mean absolute difference (0–255) two consecutive frames count as one frame shown twice.
    public var duplicateThreshold: Double

    public static let defaultDuplicateThreshold = DuplicateScan.defaultThreshold

    public init(gap: Int, allInner: Bool = false, sceneThreshold: Double = SceneCutDetector.defaultThreshold,
                duplicateThreshold: Double = DropFrameProtocol.defaultDuplicateThreshold) {
        precondition(gap >= 2, "the gap must be at least 2")
        precondition(allInner || gap % 2 == 0, "without allInner the gap must be even (the middle frame is predicted)")
        self.gap = gap
        self.allInner = allInner
        self.sceneThreshold = sceneThreshold
        self.duplicateThreshold = duplicateThreshold
    }

    /// The inner frames predicted in each window: offset from the window's first frame, and t.
    public var targets: [(offset: Int, t: Double)] {
        (allInner ? Array(1..<gap) : [gap / 2]).map { ($0, Double($0) / Double(gap)) }
    }
}

/// What the drop-frame protocol did with a video: how many windows it looked at, used and skipped.
public struct DropFrameSummary: Sendable {
    public var settings: DropFrameProtocol
    /// Frames decoded (with `--limit`, only as many as the windows needed).
    public var framesRead: Int
    /// Windows looked at: used + skipped.
    public var windows: Int
    public var used: Int
    /// Why a window was skipped.
    public enum Reason: String, Sendable {
        case sceneCut = "scene cut"
        case duplicate = "duplicated frame"
    }
    /// A skipped window: its number, its first and last frame, why, and the measure that decided
    /// (the cut's thumbnail distance, or the duplicate pair's mean absolute difference).
    public struct Skip: Sendable {
        public var window: Int, first: Int, last: Int
        public var reason: Reason
        public var value: Double
    }
    public var skips: [Skip]

    public func skipped(_ reason: Reason) -> Int { skips.filter { $0.reason == reason }.count }

    /// One line: "gap 4, all inner frames: 29 windows, 28 used, 1 skipped (1 scene cut, 0 duplicated frame)".
    public var line: String {
        "gap \(settings.gap)" + (settings.allInner ? ", all inner frames" : ", middle frame") + ": \(windows) windows, \(used) used, "
            + "\(skips.count) skipped (\(skipped(.sceneCut)) scene cut, \(skipped(.duplicate)) duplicated frame)"
    }
}

/// Where `tween eval` reads its samples from.
public enum EvaluationSource {
    case triplets(EvaluationDataset)
    case video(URL, VideoInfo)

    /// A folder is a triplet set; a `.json` file a manifest; any other file a video when ffprobe
    /// accepts it, else a manifest if it holds JSON.
    /// - Throws: `EvaluationError` with the dataset's or ffprobe's one-line reason.
    public static func detect(_ path: URL) throws -> EvaluationSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw EvaluationError("\(path.path): no such file or directory")
        }
        if isDirectory.boolValue || path.pathExtension.lowercased() == "json" {
            return .triplets(try EvaluationDataset.load(path))
        }
        do {
            return .video(path, try VideoProbe.probe(path))
        } catch let e as MediaError {
            // Not a video: a manifest under another name is still a manifest.
            if let head = try? FileHandle(forReadingFrom: path).read(upToCount: 64),
               let first = String(decoding: head, as: UTF8.self).first(where: { !$0.isWhitespace }), first == "[" {
                return .triplets(try EvaluationDataset.load(path))
            }
            throw EvaluationError(e.message)
        }
    }
}

extension Evaluator {
    /// Evaluates a video by the drop-frame protocol, decoding it as a stream: one window's
    /// frames (gap + 1) are in memory at a time, and each window's two input frames are encoded
    /// for tween once, however many inner frames are predicted from them.
    /// - Parameters:
    ///   - limit: look at the first `limit` windows only (skipped ones included), and decode no further.
    ///   - progress: called before each window with (window from 1, expected windows or 0 when
    ///     unknown, a label).
    /// - Throws: `EvaluationError` for a video that ffmpeg cannot decode, that is too short for
    ///   one window, or whose frames are too small to score.
    public func run(video url: URL, info: VideoInfo, protocol settings: DropFrameProtocol, limit: Int? = nil,
                    progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> EvaluationRun {
        let started = Date()
        guard min(info.width, info.height) >= LPIPS.minimumSide else {
            throw EvaluationError("\(url.path): \(info.width)x\(info.height) is too small to score (at least \(LPIPS.minimumSide) px a side)")
        }
        let ranking: EvaluationMethod = methods.contains(.tween) ? .tween : methods[0]
        var tally = Tally(worstCount: worstCount, ranking: ranking, mode: mode)
        let gap = settings.gap, targets = settings.targets
        var expected = info.expectedFrameCount.map { max(($0 - 1) / gap, 0) } ?? 0
        if let limit { expected = expected == 0 ? limit : min(expected, limit) }
        let detector = SceneCutDetector(threshold: settings.sceneThreshold)
        var skips: [DropFrameSummary.Skip] = []
        var windows = 0

        do {
            let reader = try VideoReader(url: url, info: info)
            defer { reader.cancel() }
            guard let first = try reader.next() else { throw EvaluationError("\(url.path): the video has no frames") }
            // The window's frames with their cut signatures; the last frame starts the next window.
            var frames = [first]
            var signatures = [SceneCutDetector.signature(first.tensor)]
            windowLoop: while limit.map({ windows < $0 }) ?? true {
                while frames.count < gap + 1 {
                    guard let frame = try reader.next() else { break windowLoop }
                    frames.append(frame)
                    signatures.append(SceneCutDetector.signature(frame.tensor))
                }
                let k = windows, start = k * gap
                windows += 1
                progress(windows, expected, "frames \(start)–\(start + gap)")
                if let skip = skipReason(frames, signatures, detector: detector, threshold: settings.duplicateThreshold) {
                    skips.append(.init(window: k, first: start, last: start + gap, reason: skip.reason, value: skip.value))
                } else {
                    let a = frames[0], b = frames[gap]
                    var prepared: (a: Interpolator.PreparedFrame, b: Interpolator.PreparedFrame, seconds: Double)?
                    // v4.25 encodes each window's two frames once for all its inner frames; other
                    // engines (HDv3's bisection) run through the generic path per sample.
                    if methods.contains(.tween), let interpolator = interpolator as? Interpolator {
                        let t0 = Date()
                        let pa = try interpolator.prepare(a.tensor), pb = try interpolator.prepare(b.tensor)
                        prepared = (pa, pb, Date().timeIntervalSince(t0) / Double(targets.count))
                    }
                    for (offset, t) in targets {
                        let sample = EvaluationSample(
                            name: "frame \(start + offset) (\(start)–\(start + gap))", frame0: url, frame1: url, groundTruth: url, t: t,
                            videoFrames: .init(frame0: start, frame1: start + gap, groundTruth: start + offset))
                        try score(sample, a, b, frames[offset], prepared: prepared, into: &tally)
                    }
                }
                frames = [frames[gap]]
                signatures = [signatures[gap]]
            }
            if windows == 0 {
                throw EvaluationError("\(url.path): \(reader.framesRead) frame\(reader.framesRead == 1 ? "" : "s"), too short for one window of --gap \(gap) (\(gap + 1) frames)")
            }
            let summary = DropFrameSummary(settings: settings, framesRead: reader.framesRead, windows: windows,
                                           used: windows - skips.count, skips: skips)
            var run = EvaluationRun(dataset: EvaluationDataset(location: url, layout: .video, samples: []), methods: methods,
                                    results: [], worst: [], rankingMethod: ranking, seconds: 0, tweenModel: interpolator?.modelName)
            tally.finish(into: &run)
            run.seconds = Date().timeIntervalSince(started)
            run.video = summary
            return run
        } catch let e as MediaError {
            throw EvaluationError(e.message)
        }
    }

    /// Why a window is skipped, if it is: the first cut between consecutive frames, else the
    /// first duplicated pair (with the measure that decided).
    private func skipReason(_ frames: [RGBImage], _ signatures: [SceneCutDetector.Signature], detector: SceneCutDetector,
                            threshold: Double) -> (reason: DropFrameSummary.Reason, value: Double)? {
        for i in 1..<frames.count where detector.isCut(signatures[i - 1], signatures[i]) {
            return (.sceneCut, SceneCutDetector.distance(signatures[i - 1], signatures[i]))
        }
        for i in 1..<frames.count {
            let difference = RGBImage.meanAbsoluteDifference(frames[i - 1], frames[i])
            if difference < threshold { return (.duplicate, difference) }
        }
        return nil
    }
}
