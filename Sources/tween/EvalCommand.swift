import ArgumentParser
import Evaluation
import Foundation
import Interpolation
import TweenKit

/// `tween eval DATASET`: parses, then hands the job to TweenKit's `EvalJob`.
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
    var methods: [EvaluationMethod] = []
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
    @OptionGroup var engine: EngineOptions
    @Option(help: "Research: reach each time in K steps, each from the previous result (RIFE v4.25; 1 = direct). Measured worse everywhere; see README.")
    var iterative: Int = 1
    @Option(name: .customLong("lpips-weights"), help: "LPIPS AlexNet weights (default: lpips/alex.safetensors in the models directory).")
    var lpipsWeights: String?
    @Flag(name: .customLong("no-lpips"), help: "Leave LPIPS out.") var noLPIPS = false

    func run() throws {
        var options = EvalOptions(dataset: dataset)
        options.methods = methods
        options.limit = limit
        options.gap = gap
        options.allInner = allInner
        options.sceneThreshold = sceneThreshold
        options.duplicateThreshold = duplicateThreshold
        options.report = report
        options.html = html
        options.worst = worst
        options.engine = engine.settings
        options.iterative = iterative
        options.lpipsWeights = lpipsWeights
        options.lpips = !noLPIPS
        let job = try EvalJob(options)

        // On a terminal the progress line rewrites itself; in a log it is one line per sample.
        var progressShown = false
        let show = { (i: Int, n: Int, name: String) in
            progressShown = true
            let line = "[\(i)/\(n > 0 ? "\(n)" : "?")] \(name)"
            if Terminal.isTerminal { Terminal.show(line) } else { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let result: (run: EvaluationRun, written: [String])
        do { result = try job.run(progress: show) } catch {
            if progressShown, Terminal.isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
            throw error
        }
        let count = result.run.video?.windows ?? result.run.results.count
        let done = "[\(count)/\(count)] done in \(String(format: "%.1f", result.run.seconds)) s"
        if Terminal.isTerminal { Terminal.show(done + "\n") } else { FileHandle.standardError.write(Data((done + "\n").utf8)) }
        print(result.run.table)
        for line in result.written { print(line) }
    }
}
