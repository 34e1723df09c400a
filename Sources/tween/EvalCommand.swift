import ArgumentParser
import Evaluation
import Foundation
import Interpolation
import Metrics
import Models
import Checkpoint
import TensorCore

/// `tween eval DATASET`: scores Tween and simple baselines against ground-truth frames.
/// Parses and checks arguments, then delegates to the Evaluation library.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score interpolation methods against ground-truth frames (PSNR, SSIM, LPIPS, IE).",
        discussion: """
            DATASET is a folder in the Middlebury layout (NAME/frame10.png, frame11.png → frame10i11.png), \
            the UCF101 layout (ID/frame_00.png, frame_02.png → frame_01_gt.png), or a JSON manifest: a list of \
            {"frame0", "frame1", "gt", "t"} objects with paths relative to the manifest. The layout is detected.
            DATASET may also be a video (any file ffprobe reads): the drop-frame protocol then cuts it into \
            non-overlapping windows of --gap frame steps and predicts the middle frame of each from its two \
            outer frames (--gap 2: frame 2k+1 from 2k and 2k+2), or with --all-inner every inner frame at its \
            true t; windows crossing a scene cut or holding a duplicated frame are skipped and counted.
            Prints a Markdown table of mean scores per method; --report writes per-sample JSON, --html a page \
            with the worst samples side by side (thumbnails in a folder beside it).
            """)

    @Argument(help: "Dataset folder, JSON manifest or video.") var dataset: String
    @Option(name: .customLong("method"), help: "tween, blend or repeat; repeat the option for several (default: all three).")
    var methods: [String] = []
    @Option(help: "Evaluate only the first N samples (for a video: the first N windows, skipped ones included).") var limit: Int?
    @Option(help: "Video: frame steps per window; the outer frames predict the middle one (default 2).") var gap: Int?
    @Flag(name: .customLong("all-inner"), help: "Video: predict every inner frame of a window at its true t, not only the middle one.")
    var allInner = false
    @Option(name: .customLong("scene-threshold"), help: "Video: skip windows with a cut, as tween video detects it (default 0.1).")
    var sceneThreshold: Double = SceneCutDetector.defaultThreshold
    @Option(name: .customLong("duplicate-threshold"),
            help: "Video: skip windows where consecutive frames differ by less than this mean absolute difference (0–255; default 0.5).")
    var duplicateThreshold: Double = DropFrameProtocol.defaultDuplicateThreshold
    @Option(help: "Write per-sample scores as JSON to this file.") var report: String?
    @Option(help: "Write an HTML report to this file (thumbnails go to a folder beside it).") var html: String?
    @Option(help: "How many worst samples the HTML report shows.") var worst: Int = 5
    @Option(help: "Flow resolution for tween: 1 = full, 0.5 for 4K, 2 for small images.") var scale: Double = 1
    @Option(help: "RIFE weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(help: "Network for tween: rife-v4.25 or rife-hdv3 (dyadic t only).") var model: String = InterpolationModel.rifeV425.rawValue
    @Option(help: ArgumentHelp(precisionHelp)) var precision: String?
    @Option(help: "Research: reach each time in K steps, each from the previous result (RIFE v4.25; 1 = direct). Measured worse everywhere; see README.")
    var iterative: Int = 1
    @Option(help: "Quality mode for tween (RIFE v4.25): fast, production or advanced (see README, Quality gate).")
    var mode: String = QualityMode.production.rawValue
    @Option(name: .customLong("lpips-weights"), help: "LPIPS AlexNet weights (default: lpips/alex.safetensors in the models directory).")
    var lpipsWeights: String?
    @Flag(name: .customLong("no-lpips"), help: "Leave LPIPS out.") var noLPIPS = false

    func run() throws {
        var chosen: [EvaluationMethod] = []
        for name in methods.isEmpty ? EvaluationMethod.allCases.map(\.rawValue) : methods {
            guard let method = EvaluationMethod(rawValue: name.lowercased()) else {
                throw UserError("--method must be tween, blend or repeat (got \(name))")
            }
            if !chosen.contains(method) { chosen.append(method) }
        }
        if let limit, limit < 1 { throw UserError("--limit must be at least 1 (got \(limit))") }
        guard worst >= 0 else { throw UserError("--worst must be at least 0 (got \(worst))") }
        try checkScale(scale)
        let qualityMode = try parseMode(mode)
        let precision = try parsePrecision(precision, model: parseModel(model), mode: qualityMode)
        if let gap {
            guard gap >= 2 else { throw UserError("--gap must be at least 2 (got \(gap))") }
            guard gap % 2 == 0 || allInner else { throw UserError("--gap \(gap) has no middle frame; use an even gap or --all-inner") }
        }
        guard sceneThreshold >= 0 else { throw UserError("--scene-threshold must be at least 0 (got \(sceneThreshold))") }
        guard duplicateThreshold >= 0 else { throw UserError("--duplicate-threshold must be at least 0 (got \(duplicateThreshold))") }
        try checkReportFolders([("--report", report), ("--html", html)])

        var progressShown = false
        do {
            let source = try EvaluationSource.detect(URL(fileURLWithPath: dataset))
            if case .triplets = source, gap != nil || allInner {
                throw UserError("--gap and --all-inner apply to a video; \(dataset) is a triplet set")
            }
            let interpolator = chosen.contains(.tween) ? try loadEngine(parseModel(model), weights: weights, scale: scale, iterative: iterative, precision: precision) : nil
            let lpips = noLPIPS ? nil : try loadLPIPS()
            var evaluator = Evaluator(methods: chosen, interpolator: interpolator, lpips: lpips, worstCount: html == nil ? 0 : worst)
            evaluator.mode = qualityMode
            // On a terminal the progress line rewrites itself; in a log it is one line per sample.
            let terminal = isatty(2) != 0
            let show = { (i: Int, n: Int, name: String) in
                progressShown = true
                let total = n > 0 ? "\(n)" : "?"
                FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + "[\(i)/\(total)] \(name)" + (terminal ? "" : "\n")).utf8))
            }
            let result: EvaluationRun
            switch source {
            case .triplets(let data):
                result = try evaluator.run(data, limit: limit, progress: show)
            case .video(let url, let info):
                let settings = DropFrameProtocol(gap: gap ?? 2, allInner: allInner, sceneThreshold: sceneThreshold,
                                                 duplicateThreshold: duplicateThreshold)
                result = try evaluator.run(video: url, info: info, protocol: settings, limit: limit, progress: show)
            }
            let count = result.video?.windows ?? result.results.count
            FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + "[\(count)/\(count)] done in \(String(format: "%.1f", result.seconds)) s\n").utf8))
            print(result.table)
            if let report {
                do { try result.json().write(to: URL(fileURLWithPath: report), options: .atomic) } catch {
                    throw UserError("\(report): cannot write (\(error.localizedDescription))")
                }
                print("wrote \(report)")
            }
            if let html {
                let files = try result.writeHTML(to: URL(fileURLWithPath: html))
                print("wrote \(html) and \(files.count) thumbnails")
            }
        } catch let e as EvaluationError {
            if progressShown, isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
            throw UserError(e.message)
        }
    }

    private func loadLPIPS() throws -> LPIPS {
        let url = lpipsWeights.map { URL(fileURLWithPath: $0) } ?? ModelDirectory.lpipsAlex
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw UserError(lpipsWeights == nil
                ? "no LPIPS weights at \(url.path); run Scripts/setup.sh (or pass --lpips-weights, or --no-lpips)"
                : "\(url.path): no such file")
        }
        do { return try LPIPS(contentsOf: url) } catch let e as CheckpointError {
            throw UserError("cannot load LPIPS weights: \(e.message)")
        }
    }
}
