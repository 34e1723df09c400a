import ArgumentParser
import Evaluation
import Foundation
import Interpolation
import Metrics
import Models
import Checkpoint

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
            Prints a Markdown table of mean scores per method; --report writes per-sample JSON, --html a page \
            with the worst samples side by side (thumbnails in a folder beside it).
            """)

    @Argument(help: "Dataset folder or JSON manifest.") var dataset: String
    @Option(name: .customLong("method"), help: "tween, blend or repeat; repeat the option for several (default: all three).")
    var methods: [String] = []
    @Option(help: "Evaluate only the first N samples.") var limit: Int?
    @Option(help: "Write per-sample scores as JSON to this file.") var report: String?
    @Option(help: "Write an HTML report to this file (thumbnails go to a folder beside it).") var html: String?
    @Option(help: "How many worst samples the HTML report shows.") var worst: Int = 5
    @Option(help: "Flow resolution for tween: 1 = full, 0.5 for 4K, 2 for small images.") var scale: Double = 1
    @Option(help: "RIFE weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(help: "Network for tween: rife-v4.25 or rife-hdv3 (dyadic t only).") var model: String = InterpolationModel.rifeV425.rawValue
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
        guard [0.25, 0.5, 1, 2, 4].contains(scale) else { throw UserError("--scale must be one of 0.25, 0.5, 1, 2, 4 (got \(scale))") }
        for (flag, path) in [("--report", report), ("--html", html)] {
            guard let path else { continue }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: directory) else {
                throw UserError("\(flag) \(path): the folder \(directory) does not exist or is not writable")
            }
        }

        var progressShown = false
        do {
            let data = try EvaluationDataset.load(URL(fileURLWithPath: dataset))
            let interpolator = chosen.contains(.tween) ? try loadEngine(parseModel(model), weights: weights, scale: scale) : nil
            let lpips = noLPIPS ? nil : try loadLPIPS()
            let evaluator = Evaluator(methods: chosen, interpolator: interpolator, lpips: lpips, worstCount: html == nil ? 0 : worst)
            // On a terminal the progress line rewrites itself; in a log it is one line per sample.
            let terminal = isatty(2) != 0
            let result = try evaluator.run(data, limit: limit) { i, n, name in
                progressShown = true
                FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + "[\(i)/\(n)] \(name)" + (terminal ? "" : "\n")).utf8))
            }
            let count = result.results.count
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
