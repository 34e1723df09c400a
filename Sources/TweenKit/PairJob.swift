import Foundation
public import Interpolation
import MediaIO
import Models
public import TensorCore

/// What `tween pair` is asked to do; `Codable` like every job's options.
public struct PairOptions: Codable, Sendable, Equatable {
    public var first: String
    public var second: String
    /// The PNG to write; with `count`, the base name of the numbered files (`OUT_001.png` …).
    public var output: String
    /// One frame at this time in [0, 1] (default 0.5) …
    public var t: Double? = nil
    /// … or this many evenly spaced frames.
    public var count: Int? = nil
    public var engine = EngineSettings()
    /// `MASK.png:T` arguments: regions on their own clock (RIFE v4.25, one frame).
    public var timeMaps: [String] = []
    public var timeMapMode: TimeMapMode = .flowBlend
    public var force: Bool = false

    public init(first: String, second: String, output: String) {
        self.first = first
        self.second = second
        self.output = output
    }
}

/// The outcome of a pair job.
public struct PairReport: Codable, Sendable {
    public var outputs: [String]
    public var width: Int
    public var height: Int
    public var precision: String
    public var secondsPerFrame: Double
    /// One line per gated frame (score, parts, what the gate did); empty for ungated models.
    public var verdicts: [String]
    /// The summary line.
    public var text: String
}

/// Frames between two PNG images, written all or none.
public struct PairJob {
    public let options: PairOptions
    let times: [Double]
    let destinations: [URL]
    let precision: Precision

    public init(_ options: PairOptions) throws(TweenError) {
        self.options = options
        precision = try Precision.choose(options.engine.precision, model: options.engine.model, mode: options.engine.mode)
        if options.engine.model == .rifeHDv3, let n = options.count, n >= 1, (n + 1) & n != 0 {
            throw TweenError("--model rife-hdv3 makes frames by recursive bisection: --count must be 2^k − 1 (1, 3, 7, 15, …), got \(n)")
        }
        if options.engine.model == .rifeHDv3, let t = options.t, MidpointInterpolator.dyadic(t) == nil {
            throw TweenError("--model rife-hdv3 makes only dyadic times (0.5, 0.25, 0.75, 0.125, …) by recursive bisection; --t \(t) is not one (use --model rife-v4.25)")
        }
        switch (options.t, options.count) {
        case (.some, .some): throw TweenError("give either --t or --count, not both")
        case (nil, nil): times = [0.5]
        case (let t?, nil):
            guard t >= 0, t <= 1 else { throw TweenError("--t must be in [0, 1] (got \(t))") }
            times = [t]
        case (nil, let n?):
            guard n >= 1 else { throw TweenError("--count must be at least 1 (got \(n))") }
            guard n <= 10_000 else { throw TweenError("--count must be at most 10000 (got \(n))") }
            times = (1...n).map { Double($0) / Double(n + 1) }
        }
        let base = URL(fileURLWithPath: options.output)
        guard base.pathExtension.lowercased() == "png" else { throw TweenError("\(options.output): output must be a .png file") }
        if options.count == nil {
            destinations = [base]
        } else {
            let stem = base.deletingPathExtension().lastPathComponent
            let width = max(3, String(times.count).count)
            destinations = (1...times.count).map { i in
                base.deletingLastPathComponent().appendingPathComponent(
                    "\(stem)_\(String(repeating: "0", count: max(0, width - String(i).count)))\(i).png")
            }
        }
        let inputs = [options.first, options.second].map { URL(fileURLWithPath: $0) }
        do {
            for url in destinations { try StagedOutput.check(url, kind: .file, inputs: inputs, force: options.force) }
        } catch { throw error.asTweenError }
        let directory = base.deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw TweenError("\(directory): output directory is not writable")
        }
        try checkScale(options.engine.scale)
        if !options.timeMaps.isEmpty {
            guard options.engine.model == .rifeV425 else { throw TweenError("--time-map needs --model rife-v4.25 (it takes t per pixel)") }
            guard options.count == nil else { throw TweenError("--time-map makes one frame: give --t for the background, not --count") }
        }
    }

    /// Makes and writes the frames. Each is written to its staging name as soon as it is made (so
    /// memory holds two inputs and one frame, however many are asked for) and all are renamed into
    /// place at the end; a failure or cancellation removes every staged file.
    public func run(cancellation: JobCancellation = JobCancellation()) throws -> PairReport {
        do { return try runChecked(cancellation: cancellation) } catch {
            throw TweenError.wrapping(error, context: options.first)
        }
    }

    private func runChecked(cancellation: JobCancellation) throws -> PairReport {
        // The size from the headers first: a frame too large for the budget is refused before a
        // byte of its pixel data is inflated.
        for path in [options.first, options.second] {
            guard FileManager.default.fileExists(atPath: path) else { throw TweenError("\(path): no such file") }
            let size: (width: Int, height: Int)
            do { size = try PNG.dimensions(URL(fileURLWithPath: path)) } catch let e as ImageError { throw TweenError(e.message) }
            // In flight: both inputs and the frame being written.
            try MemoryBudget.check(path, width: size.width, height: size.height, engine: options.engine, framesInFlight: 3)
        }
        let imageA = try readImage(options.first), imageB = try readImage(options.second)
        guard imageA.width == imageB.width, imageA.height == imageB.height else {
            throw TweenError("\(options.first) is \(imageA.width)x\(imageA.height) but \(options.second) is \(imageB.width)x\(imageB.height); the two images must be the same size")
        }
        let inputs = [options.first, options.second].map { URL(fileURLWithPath: $0) }
        var staged: [StagedOutput] = []
        defer { for output in staged { output.discard() } }
        var written = 0
        let write = { (frame: Tensor) throws in
            try cancellation.check()
            try requireFinite(frame, "\(destinations[written].path)")
            let output: StagedOutput
            do { output = try StagedOutput(destinations[written], kind: .file, inputs: inputs, force: options.force) } catch let e as OutputError {
                throw e.asTweenError
            }
            staged.append(output)
            do { try PNG.encode(RGBImage(tensor: frame), to: output.staging, reportedAs: output.destination) } catch let e as ImageError {
                throw TweenError(e.message)
            }
            written += 1
        }

        let started = Date()
        var verdicts: [String] = []
        var summary = ""
        if !options.timeMaps.isEmpty {
            let regions = try options.timeMaps.map { map throws(TweenError) in try readTimeRegion(map, width: imageA.width, height: imageA.height) }
            let engine = try EngineLoader.rifeV425(weights: options.engine.weights, scale: options.engine.scale, precision: precision)
            let frame = try engine.interpolate(engine.prepare(imageA.tensor), engine.prepare(imageB.tensor),
                                               background: Float(times[0]), regions: regions, mode: options.timeMapMode)
            try write(frame)
            summary = "\(regions.count) time region\(regions.count == 1 ? "" : "s"), \(options.timeMapMode.rawValue)"
        } else if options.engine.model == .rifeV425 {
            // v4.25 frames go through the quality gate: scored, held when catastrophic, re-run in advanced mode.
            let engine = try EngineLoader.rifeV425(weights: options.engine.weights, scale: options.engine.scale, precision: precision)
            let a = try engine.prepare(imageA.tensor), b = try engine.prepare(imageB.tensor)
            var gate = QualityGate(mode: options.engine.mode)
            for t in times {
                if t == 0 || t == 1 { try write(t == 0 ? imageA.tensor : imageB.tensor); continue }
                let out = try gate.frame(a, b, t: Float(t), with: engine)
                verdicts.append(PairJob.verdict(out, gate: gate, t: t))
                try write(out.image)
            }
        } else {
            // HDv3 shares midpoints between times, so its frames come together.
            let engine = try EngineLoader.engine(options.engine.model, weights: options.engine.weights, scale: options.engine.scale, precision: precision)
            for frame in try engine.interpolate(imageA.tensor, imageB.tensor, times: times.map(Float.init)) { try write(frame) }
        }
        let seconds = Date().timeIntervalSince(started)
        do throws(OutputError) { for output in staged { try output.commit() } } catch { throw error.asTweenError }
        let perFrame = seconds / Double(max(written, 1))
        let paths = destinations.map(\.path)
        let detail = summary.isEmpty ? String(format: "%.3f s per frame", perFrame) : summary + String(format: ", %.3f s", seconds)
        return PairReport(outputs: paths, width: imageA.width, height: imageA.height, precision: precision.rawValue,
                          secondsPerFrame: perFrame, verdicts: verdicts,
                          text: "wrote \(paths.joined(separator: ", ")) (\(imageA.width)x\(imageA.height), \(detail))")
    }

    /// One line per gated frame: its score and parts, then what the gate decided and why.
    static func verdict(_ out: GatedFrame, gate: QualityGate, t: Double) -> String {
        let p = out.quality.parts
        var line = String(format: "t = %.4g: score %.3f (disagreement p99 %.3f, sharpness %.2f, flow asymmetry %.2f px)",
                          t, out.quality.score, p.disagreement, p.sharpness, p.flowAsymmetry)
        let decision = out.decision
        if decision.action == .heldSource {
            line += "; HELD"
        } else if decision.flagged {
            line += "; FLAGGED, check it"
        }
        if !decision.reasons.isEmpty { line += ": " + decision.reasons.joined(separator: "; ") }
        return line
    }
}
