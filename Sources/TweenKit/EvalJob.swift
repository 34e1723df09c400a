import Foundation
public import Evaluation
public import Interpolation
import Checkpoint
import MediaIO
import ImageMetrics
import Models
public import TensorCore

/// What `tween eval` is asked to do.
public struct EvalOptions: Codable, Sendable, Equatable {
    /// A triplet folder (Middlebury or UCF101 layout), a JSON manifest, or a video (drop-frame protocol).
    public var dataset: String
    /// Empty: all methods.
    public var methods: [EvaluationMethod] = []
    public var limit: Int? = nil
    /// Video: frame steps per window (default 2) and whether every inner frame is predicted.
    public var gap: Int? = nil
    public var allInner: Bool = false
    public var sceneThreshold: Double = SceneCutDetector.defaultThreshold
    public var duplicateThreshold: Double = DropFrameProtocol.defaultDuplicateThreshold
    public var report: String? = nil
    public var html: String? = nil
    /// How many worst samples the HTML page shows.
    public var worst: Int = 5
    public var engine = EngineSettings()
    /// Research: reach each time in K steps (RIFE v4.25; 1 = direct).
    public var iterative: Int = 1
    public var lpipsWeights: String? = nil
    public var lpips: Bool = true

    public init(dataset: String) { self.dataset = dataset }
}

/// Scores Tween and simple baselines against ground-truth frames.
public struct EvalJob {
    public let options: EvalOptions
    let methods: [EvaluationMethod]
    let precision: Precision

    public init(_ options: EvalOptions) throws(TweenError) {
        self.options = options
        var chosen: [EvaluationMethod] = []
        for method in options.methods.isEmpty ? EvaluationMethod.allCases : options.methods where !chosen.contains(method) {
            chosen.append(method)
        }
        methods = chosen
        if let limit = options.limit, limit < 1 { throw TweenError("--limit must be at least 1 (got \(limit))") }
        guard options.worst >= 0 else { throw TweenError("--worst must be at least 0 (got \(options.worst))") }
        try checkScale(options.engine.scale)
        precision = try Precision.choose(options.engine.precision, model: options.engine.model, mode: options.engine.mode)
        if let gap = options.gap {
            guard gap >= 2 else { throw TweenError("--gap must be at least 2 (got \(gap))") }
            guard gap % 2 == 0 || options.allInner else { throw TweenError("--gap \(gap) has no middle frame; use an even gap or --all-inner") }
        }
        guard options.sceneThreshold >= 0 else { throw TweenError("--scene-threshold must be at least 0 (got \(options.sceneThreshold))") }
        guard options.duplicateThreshold >= 0 else {
            throw TweenError("--duplicate-threshold must be at least 0 (got \(options.duplicateThreshold))")
        }
        try checkReportFiles([("--report", options.report), ("--html", options.html)], inputs: [URL(fileURLWithPath: options.dataset)])
    }

    /// Runs the evaluation; `progress(done, total, name)` is called before each sample (total 0 when unknown).
    /// Writes `--report` and `--html` when asked; their paths come back in `written`.
    public func run(progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> (run: EvaluationRun, written: [String]) {
        do {
            let source = try EvaluationSource.detect(URL(fileURLWithPath: options.dataset))
            if case .triplets = source, options.gap != nil || options.allInner {
                throw TweenError("--gap and --all-inner apply to a video; \(options.dataset) is a triplet set")
            }
            let interpolator = methods.contains(.tween)
                ? try EngineLoader.engine(options.engine.model, weights: options.engine.weights, scale: options.engine.scale, iterative: options.iterative,
                                          precision: precision)
                : nil
            let lpips = options.lpips ? try loadLPIPS() : nil
            var evaluator = Evaluator(methods: methods, interpolator: interpolator, lpips: lpips,
                                      worstCount: options.html == nil ? 0 : options.worst)
            evaluator.mode = options.engine.mode
            let result: EvaluationRun
            switch source {
            case .triplets(let data):
                result = try evaluator.run(data, limit: options.limit, progress: progress)
            case .video(let url, let info):
                let settings = DropFrameProtocol(gap: options.gap ?? 2, allInner: options.allInner, sceneThreshold: options.sceneThreshold,
                                                 duplicateThreshold: options.duplicateThreshold)
                result = try evaluator.run(video: url, info: info, protocol: settings, limit: options.limit, progress: progress)
            }
            var written: [String] = []
            if let report = options.report {
                do { try StagedOutput.write(try result.json(), to: URL(fileURLWithPath: report)) } catch let e as OutputError {
                    throw TweenError("\(report): cannot write (\(e.message))")
                }
                written.append("wrote \(report)")
            }
            if let html = options.html {
                let files = try result.writeHTML(to: URL(fileURLWithPath: html))
                written.append("wrote \(html) and \(files.count) thumbnails")
            }
            return (result, written)
        } catch let e as EvaluationError {
            throw TweenError(e.message)
        } catch {
            throw TweenError.wrapping(error, context: options.dataset)
        }
    }

    private func loadLPIPS() throws(TweenError) -> LPIPS {
        let url = options.lpipsWeights.map { URL(fileURLWithPath: $0) } ?? ModelDirectory.lpipsAlex
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TweenError(options.lpipsWeights == nil
                ? "no LPIPS weights at \(url.path); run Scripts/setup.sh (or pass --lpips-weights, or --no-lpips)"
                : "\(url.path): no such file")
        }
        do { return try LPIPS(contentsOf: url) } catch let e as CheckpointError {
            throw TweenError("cannot load LPIPS weights: \(e.message)")
        } catch { throw TweenError("cannot load LPIPS weights from \(url.path): \(error)") }
    }
}
