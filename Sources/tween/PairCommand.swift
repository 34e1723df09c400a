import ArgumentParser
import Checkpoint
import Foundation
import Interpolation
import MediaIO
import Models
import TensorCore

/// `tween pair A B -o OUT (--t T | --count N)`: frames between two images.
struct PairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pair",
        abstract: "Interpolate between two PNG images.",
        discussion: """
            With --t, writes one frame at time t (0 = A, 1 = B) to OUT.
            With --count N, writes N evenly spaced frames (t = 1/(N+1) … N/(N+1)) as OUT_001.png, OUT_002.png, …
            Outputs are written to temporary files and renamed at the end; nothing is left behind on failure.
            --model rife-hdv3 makes only the midpoint natively: other times come from recursive bisection, so
            --t must be dyadic (0.5, 0.25, 0.375, …) and --count must be 2^k − 1 (1, 3, 7, 15, …).
            """)

    @Argument(help: "The first image (PNG).") var first: String
    @Argument(help: "The second image (PNG), same size as the first.") var second: String
    @Option(name: .shortAndLong, help: "Output PNG path (with --count, the base name of the numbered files).") var output: String
    @Option(name: .customLong("t"), help: "Time of the output frame, in [0, 1].") var time: Double?
    @Option(help: "Number of evenly spaced frames to write (≥ 1).") var count: Int?
    @Option(help: "Flow resolution: 1 = full, 0.5 for 4K, 2 for small images.") var scale: Double = 1
    @Option(help: "Weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(help: "Network: rife-v4.25 (any t) or rife-hdv3 (dyadic t by bisection).") var model: String = InterpolationModel.rifeV425.rawValue
    @Option(help: ArgumentHelp(precisionHelp)) var precision: String?
    @Option(name: .customLong("time-map"),
            help: "MASK.png:T — pixels of the grayscale mask (white = 1, soft edges allowed) follow time T; repeatable, later maps on top; --t is the background time.")
    var timeMaps: [String] = []
    @Option(help: "How a time map is rendered: flow-blend (one pass per distinct t, flows and masks mixed; exact inside regions) or single (one pass with a per-pixel t; smears near edges).")
    var timeMapMode: String = TimeMapMode.flowBlend.rawValue
    @Option(help: "Quality mode (RIFE v4.25): fast, production (default) or advanced; see README, Quality gate.")
    var mode: String = QualityMode.production.rawValue
    @Flag(help: "Overwrite existing output files.") var force = false

    func run() throws {
        let chosen = try parseModel(model)
        let qualityMode = try parseMode(mode)
        let precision = try parsePrecision(precision, model: chosen, mode: qualityMode)
        if chosen == .rifeHDv3, let n = count, n >= 1, (n + 1) & n != 0 {
            throw UserError("--model rife-hdv3 makes frames by recursive bisection: --count must be 2^k − 1 (1, 3, 7, 15, …), got \(n)")
        }
        if chosen == .rifeHDv3, let t = time, MidpointInterpolator.dyadic(t) == nil {
            throw UserError("--model rife-hdv3 makes only dyadic times (0.5, 0.25, 0.75, 0.125, …) by recursive bisection; --t \(t) is not one (use --model rife-v4.25)")
        }
        let plan = try OutputPlan(output: output, time: time, count: count, inputs: [first, second], force: force)
        try checkScale(scale)
        let imageA = try readImage(first), imageB = try readImage(second)
        guard imageA.width == imageB.width, imageA.height == imageB.height else {
            throw UserError("\(first) is \(imageA.width)x\(imageA.height) but \(second) is \(imageB.width)x\(imageB.height); the two images must be the same size")
        }
        if !timeMaps.isEmpty {
            guard chosen == .rifeV425 else { throw UserError("--time-map needs --model rife-v4.25 (it takes t per pixel)") }
            guard count == nil else { throw UserError("--time-map makes one frame: give --t for the background, not --count") }
            guard let mode = TimeMapMode(rawValue: timeMapMode) else {
                throw UserError("--time-map-mode must be flow-blend or single (got \(timeMapMode))")
            }
            let regions = try timeMaps.map { try readTimeRegion($0, width: imageA.width, height: imageA.height) }
            let engine = try loadInterpolator(weights: weights, scale: scale, precision: precision)
            let started = Date()
            let frame = try engine.interpolate(engine.prepare(imageA.tensor), engine.prepare(imageB.tensor),
                                               background: Float(plan.times[0]), regions: regions, mode: mode)
            let seconds = Date().timeIntervalSince(started)
            try plan.write([RGBImage(tensor: frame)])
            print("wrote \(plan.destinations[0].path) (\(imageA.width)x\(imageA.height), \(regions.count) time region\(regions.count == 1 ? "" : "s"), \(timeMapMode), \(String(format: "%.3f", seconds)) s)")
            return
        }
        let started = Date()
        let frames: [Tensor]
        var verdicts: [String] = []
        if chosen == .rifeV425 {
            // v4.25 frames go through the quality gate: scored, held when catastrophic, re-run in advanced mode.
            let engine = try loadInterpolator(weights: weights, scale: scale, precision: precision)
            let a = try engine.prepare(imageA.tensor), b = try engine.prepare(imageB.tensor)
            var gate = QualityGate(mode: qualityMode)
            frames = try plan.times.map { t in
                if t == 0 || t == 1 { return t == 0 ? imageA.tensor : imageB.tensor }
                let out = try gate.frame(a, b, t: Float(t), with: engine)
                verdicts.append(verdict(out, gate: gate, t: t))
                return out.image
            }
        } else {
            frames = try loadEngine(chosen, weights: weights, scale: scale, precision: precision)
                .interpolate(imageA.tensor, imageB.tensor, times: plan.times.map(Float.init))
        }
        let seconds = Date().timeIntervalSince(started)
        try plan.write(frames.map(RGBImage.init(tensor:)))
        let perFrame = String(format: "%.3f", seconds / Double(frames.count))
        print("wrote \(plan.destinations.map(\.path).joined(separator: ", ")) (\(imageA.width)x\(imageA.height), \(perFrame) s per frame)")
        for line in verdicts { print(line) }
    }

    /// One line per gated frame: its score and parts, and what the gate did.
    private func verdict(_ out: GatedFrame, gate: QualityGate, t: Double) -> String {
        let p = out.quality.parts
        var line = String(format: "t = %.4g: score %.3f (disagreement p99 %.3f, sharpness %.2f, flow asymmetry %.2f px)",
                          t, out.quality.score, p.disagreement, p.sharpness, p.flowAsymmetry)
        switch out.action {
        case .heldSource:
            line += String(format: "; HELD: the warped candidates disagree almost everywhere (median %.3f ≥ %.2f: a cut or a flash?), so the nearer input was written",
                           p.wholesaleDisagreement, gate.catastrophicDisagreement)
        case .reversed:
            line += "; the time-reversed run scored better and was kept"
        case .kept:
            break
        }
        if out.flagged && out.action != .heldSource {
            line += String(format: "; FLAGGED: below the %@ floor %.2f, check it", gate.mode.rawValue, gate.floor)
        }
        return line
    }
}

/// Parses `MASK.png:T` and reads the mask as weights in [0, 1] (the first channel of a grayscale PNG / 255).
func readTimeRegion(_ argument: String, width: Int, height: Int) throws -> TimeRegion {
    let (path, value) = try splitMaskArgument(argument, option: "--time-map", valueName: "T")
    guard let t = Double(value) else { throw UserError("--time-map must look like MASK.png:T (got \(argument))") }
    guard t >= 0, t <= 1 else { throw UserError("--time-map \(argument): T must be in [0, 1]") }
    return TimeRegion(mask: try readMask(path, width: width, height: height), t: Float(t))
}

/// Splits `MASK.png:VALUE` at the last colon (so a path may contain colons).
func splitMaskArgument(_ argument: String, option: String, valueName: String) throws -> (path: String, value: String) {
    guard let colon = argument.lastIndex(of: ":") else {
        throw UserError("\(option) must look like MASK.png:\(valueName) (got \(argument))")
    }
    return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
}

/// A grayscale mask PNG of the frames' size as weights [1, 1, H, W] in [0, 1] (its first channel / 255).
func readMask(_ path: String, width: Int, height: Int) throws -> Tensor {
    let image = try readImage(path)
    guard image.width == width, image.height == height else {
        throw UserError("\(path) is \(image.width)x\(image.height) but the frames are \(width)x\(height); a mask must be the same size")
    }
    let mask = (0..<(width * height)).map { Float(image.pixels[$0 * 3]) / 255 }
    return Tensor(shape: [1, 1, height, width], scalars: mask)
}

/// The flow resolutions RIFE is used at (`--scale`); anything else is refused with one line.
func checkScale(_ scale: Double) throws {
    guard [0.25, 0.5, 1, 2, 4].contains(scale) else {
        throw UserError("--scale must be one of 0.25, 0.5, 1, 2, 4 (got \(scale))")
    }
}

/// Refuses, before any work, a report file (`--report`, `--html`, `--review`) whose folder is missing or not writable.
func checkReportFolders(_ files: [(flag: String, path: String?)]) throws {
    for (flag, path) in files {
        guard let path else { continue }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.isWritableFile(atPath: directory) else {
            throw UserError("\(flag) \(path): the folder \(directory) does not exist or is not writable")
        }
    }
}

/// Reads a PNG, turning a failure into one user-facing line.
func readImage(_ path: String) throws -> RGBImage {
    guard FileManager.default.fileExists(atPath: path) else { throw UserError("\(path): no such file") }
    do { return try PNG.read(URL(fileURLWithPath: path)) } catch let e as ImageError { throw UserError(e.message) }
}

/// The `--model` value, or a user error listing the choices.
func parseModel(_ name: String) throws -> InterpolationModel {
    guard let model = InterpolationModel(rawValue: name) else {
        throw UserError("--model must be one of \(InterpolationModel.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name))")
    }
    return model
}

/// The `--mode` value, or a user error listing the choices.
func parseMode(_ name: String) throws -> QualityMode {
    guard let mode = QualityMode(rawValue: name) else {
        throw UserError("--mode must be one of \(QualityMode.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name))")
    }
    return mode
}

/// `--precision`'s help, shared by every command that runs the network.
let precisionHelp = "Convolution precision: f32 or bf16 (RIFE v4.25 only; needs AVX512-BF16 or AMX; faster, slightly less exact — see README). Default: bf16 in --mode fast where the CPU has it, else f32."

/// The `--precision` value, or the mode's default when it is not given: `fast` takes bf16 where the
/// CPU runs it natively (and the model has a bf16 path), every other mode f32. An explicit bf16 on a
/// CPU without native bf16, or with a model that has no bf16 path, is refused with one line rather
/// than run slowly (emulated) or silently in f32.
func parsePrecision(_ name: String?, model: InterpolationModel = .rifeV425, mode: QualityMode = .production) throws -> Precision {
    guard let name else {
        return mode == .fast && model == .rifeV425 && Precision.bfloat16.isSupported ? .bfloat16 : .float32
    }
    guard let precision = Precision(rawValue: name) else {
        throw UserError("--precision must be \(Precision.allCases.map(\.rawValue).joined(separator: " or ")) (got \(name))")
    }
    if precision != .float32, model != .rifeV425 {
        throw UserError("--precision \(name) needs --model rife-v4.25")
    }
    do { try precision.requireSupported() } catch let e as UnsupportedPrecisionError { throw UserError("--precision \(e)") }
    return precision
}

/// Loads `model` from `weights` or the models directory.
/// - Parameters:
///   - iterative: steps of iterative estimation (RIFE v4.25 only); 1 = direct.
///   - precision: from `parsePrecision` (bf16 only with RIFE v4.25).
func loadEngine(_ model: InterpolationModel, weights: String?, scale: Double, iterative: Int = 1,
                precision: Precision = .float32) throws -> any FrameInterpolating {
    guard (1...16).contains(iterative) else { throw UserError("--iterative must be between 1 and 16 (got \(iterative))") }
    if iterative > 1 {
        guard model == .rifeV425 else { throw UserError("--iterative needs --model rife-v4.25 (it asks for arbitrary times)") }
        return IterativeInterpolator(base: try loadInterpolator(weights: weights, scale: scale, precision: precision), steps: iterative)
    }
    if model == .rifeV425 { return try loadInterpolator(weights: weights, scale: scale, precision: precision) }
    return try loadWeights(weights, default: model.defaultWeights) { try model.load(contentsOf: $0, scale: scale) }
}

/// `weights` or the default path, checked to exist.
func weightsURL(_ weights: String?, default fallback: URL) throws -> URL {
    let url = weights.map { URL(fileURLWithPath: $0) } ?? fallback
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw UserError(weights == nil
            ? "no weights at \(url.path); run Scripts/setup.sh (or set TWEEN_MODELS, or pass --weights)"
            : "\(url.path): no such file")
    }
    return url
}

/// Loads a checkpoint from `weights` or `fallback` with `load`, turning a bad file into one user-facing line.
func loadWeights<Engine>(_ weights: String?, default fallback: URL, _ load: (URL) throws -> Engine) throws -> Engine {
    let url = try weightsURL(weights, default: fallback)
    do { return try load(url) } catch let e as CheckpointError {
        throw UserError("cannot load weights: \(e.message)")
    }
}

/// Loads RIFE v4.25 from `weights` or the models directory.
func loadInterpolator(weights: String?, scale: Double, precision: Precision = .float32) throws -> Interpolator {
    try loadWeights(weights, default: ModelDirectory.rifeV425) { try Interpolator(contentsOf: $0, scale: scale, precision: precision) }
}

/// Loads RIFE HDv3 from `weights` or the models directory.
func loadMidpointInterpolator(weights: String?, scale: Double) throws -> MidpointInterpolator {
    try loadWeights(weights, default: ModelDirectory.rifeHDv3) { try MidpointInterpolator(contentsOf: $0, scale: scale) }
}

/// Which times to render and where each frame goes; checks everything before any work is done.
struct OutputPlan {
    let times: [Double]
    let destinations: [URL]

    init(output: String, time: Double?, count: Int?, inputs: [String], force: Bool) throws {
        switch (time, count) {
        case (.some, .some): throw UserError("give either --t or --count, not both")
        case (nil, nil): times = [0.5]
        case (let t?, nil):
            guard t >= 0, t <= 1 else { throw UserError("--t must be in [0, 1] (got \(t))") }
            times = [t]
        case (nil, let n?):
            guard n >= 1 else { throw UserError("--count must be at least 1 (got \(n))") }
            guard n <= 10_000 else { throw UserError("--count must be at most 10000 (got \(n))") }
            times = (1...n).map { Double($0) / Double(n + 1) }
        }
        let base = URL(fileURLWithPath: output)
        guard base.pathExtension.lowercased() == "png" else { throw UserError("\(output): output must be a .png file") }
        if count == nil {
            destinations = [base]
        } else {
            let stem = base.deletingPathExtension().lastPathComponent
            let width = max(3, String(times.count).count)
            destinations = (1...times.count).map { i in
                base.deletingLastPathComponent().appendingPathComponent(
                    "\(stem)_\(String(repeating: "0", count: max(0, width - String(i).count)))\(i).png")
            }
        }
        let inputPaths = Set(inputs.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        for url in destinations {
            if inputPaths.contains(url.standardizedFileURL.path) { throw UserError("\(url.path): output would overwrite an input") }
            if !force, FileManager.default.fileExists(atPath: url.path) {
                throw UserError("\(url.path) already exists (use --force to overwrite)")
            }
        }
        let directory = base.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UserError("\(directory): output directory does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw UserError("\(directory): output directory is not writable")
        }
    }

    /// Writes all frames, or none: each is staged under a hidden temporary name beside its
    /// destination and only renamed into place once every frame has been written.
    func write(_ images: [RGBImage]) throws {
        let staged = destinations.map {
            $0.deletingLastPathComponent().appendingPathComponent(".\($0.lastPathComponent).\(getpid()).partial")
        }
        defer { for url in staged { try? FileManager.default.removeItem(at: url) } }
        do {
            for (image, url) in zip(images, staged) { try PNG.write(image, to: url) }
        } catch let e as ImageError {
            throw UserError(e.message)
        }
        for (from, to) in zip(staged, destinations) where rename(from.path, to.path) != 0 {
            throw UserError("\(to.path): cannot move the finished frame into place (\(String(cString: strerror(errno))))")
        }
    }
}
