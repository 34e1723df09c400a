import Foundation
public import Interpolation
public import MediaIO
public import ImageMetrics

/// The scores of one prediction against its ground truth.
public struct Scores: Sendable, Equatable {
    /// dB on 8 bits, full frame; +∞ for a perfect prediction.
    public var psnr: Double
    /// scikit-image's default SSIM (7×7 uniform window), the one REFERENCE.md reports.
    public var ssim: Double
    /// Wang et al.'s SSIM (11×11 Gaussian, σ = 1.5), the one VFI papers report.
    public var ssimGaussian: Double
    /// LPIPS v0.1 AlexNet; nil when no LPIPS model was given.
    public var lpips: Double?
    /// Mean absolute error on the 0–255 scale (Middlebury's interpolation error).
    public var ie: Double
    /// Seconds spent making the prediction.
    public var seconds: Double

    /// Scores every metric of `prediction` against `truth`.
    public static func measure(_ prediction: Image8, against truth: Image8, lpips: LPIPS?, seconds: Double) throws -> Scores {
        Scores(psnr: Metrics.psnr(truth, prediction), ssim: Metrics.ssimUniform7(truth, prediction),
               ssimGaussian: Metrics.ssimGaussian(truth, prediction), lpips: try lpips?.distance(truth, prediction),
               ie: Metrics.interpolationError(truth, prediction), seconds: seconds)
    }
}

/// The outcome of one sample: its size and each method's scores.
public struct SampleResult: Sendable {
    public var sample: EvaluationSample
    public var width: Int
    public var height: Int
    public var scores: [EvaluationMethod: Scores]
    /// The quality gate's verdict on the tween frame (RIFE v4.25 only; nil otherwise).
    public var quality: FrameQuality? = nil
    /// What the gate did with the tween frame (kept, reversed, held-source).
    public var gateAction: GateAction? = nil
    /// Flagged by the gate against the whole run (set when the run ends).
    public var flagged = false
    /// Network runs the tween frame took (2 when advanced mode re-ran it); nil when not gated.
    public var networkPasses: Int? = nil
}

/// Small pictures of one sample for the HTML report: inputs, ground truth, each method's output
/// and error heat map, all downscaled alike.
public struct SampleThumbnails: Sendable {
    public var frame0: RGBImage, frame1: RGBImage, groundTruth: RGBImage
    public var outputs: [EvaluationMethod: RGBImage]
    public var errors: [EvaluationMethod: RGBImage]
}

/// A finished evaluation: per-sample results, means per method, and the worst samples' thumbnails.
public struct EvaluationRun: Sendable {
    public var dataset: EvaluationDataset
    public var methods: [EvaluationMethod]
    public var results: [SampleResult]
    /// The samples with the lowest PSNR for `rankingMethod`, worst first, with their thumbnails.
    public var worst: [(result: SampleResult, thumbnails: SampleThumbnails)]
    /// The method the worst samples are ranked by: tween when evaluated, else the first method.
    public var rankingMethod: EvaluationMethod
    /// Wall-clock seconds for the whole run (reading, predicting, scoring).
    public var seconds: Double
    /// For a video: the drop-frame protocol's windows, used and skipped; nil for triplet sets.
    public var video: DropFrameSummary? = nil

    /// The network behind the tween method ("rife-v4.25"), nil when tween was not run.
    public var tweenModel: String? = nil

    /// The quality gate's final state (its log and settings) when the tween frames went through it.
    public var gate: QualityGate? = nil
    /// Seconds spent in the gate's measurements (network time excluded).
    public var gateSeconds = 0.0

    /// A method's name in tables: the tween row names the network it ran.
    public func label(_ method: EvaluationMethod) -> String {
        guard method == .tween, let tweenModel, tweenModel != InterpolationModel.rifeV425.rawValue else { return method.label }
        return "tween (\(tweenModel == InterpolationModel.rifeHDv3.rawValue ? "RIFE HDv3" : tweenModel))"
    }

    /// Mean of each score over the samples for `method`.
    public func mean(_ method: EvaluationMethod) -> Scores {
        let all = results.compactMap { $0.scores[method] }
        let n = Double(max(all.count, 1))
        func avg(_ f: (Scores) -> Double) -> Double { all.map(f).reduce(0, +) / n }
        let lpips: Double? = all.allSatisfy { $0.lpips != nil } ? avg { $0.lpips! } : nil
        return Scores(psnr: avg(\.psnr), ssim: avg(\.ssim), ssimGaussian: avg(\.ssimGaussian), lpips: lpips,
                      ie: avg(\.ie), seconds: avg(\.seconds))
    }
}

/// Runs methods over a dataset and scores them: the engine behind `tween eval`.
public struct Evaluator: Sendable {
    public var methods: [EvaluationMethod]
    /// Needed when `methods` contains `.tween`.
    public var interpolator: (any FrameInterpolating)?
    /// When nil, LPIPS is left out of the scores.
    public var lpips: LPIPS?
    /// How many worst samples keep thumbnails (0: none, and no thumbnails are made).
    public var worstCount: Int
    /// Thumbnails are shrunk by a whole factor until at most this wide.
    public var thumbnailWidth: Int
    /// The quality mode the tween frames (RIFE v4.25) are made in; see `QualityGate`.
    public var mode: QualityMode = .production

    public init(methods: [EvaluationMethod], interpolator: (any FrameInterpolating)?, lpips: LPIPS?, worstCount: Int = 0, thumbnailWidth: Int = 320) {
        precondition(!methods.isEmpty, "no methods to evaluate")
        precondition(!methods.contains(.tween) || interpolator != nil, "the tween method needs an interpolator")
        self.methods = methods
        self.interpolator = interpolator
        self.lpips = lpips
        self.worstCount = worstCount
        self.thumbnailWidth = thumbnailWidth
    }

    /// Evaluates every sample of `dataset` (the first `limit` when given).
    /// - Parameter progress: called before each sample with (index from 1, count, sample name).
    /// - Throws: `EvaluationError` naming an unreadable image or a sample whose images differ in
    ///   size or are too small to score.
    public func run(_ dataset: EvaluationDataset, limit: Int? = nil,
                    progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> EvaluationRun {
        let started = Date()
        let samples = Array(dataset.samples.prefix(limit ?? dataset.samples.count))
        let ranking: EvaluationMethod = methods.contains(.tween) ? .tween : methods[0]
        var tally = Tally(worstCount: worstCount, ranking: ranking, mode: mode)
        for (i, sample) in samples.enumerated() {
            progress(i + 1, samples.count, sample.name)
            let a = try read(sample.frame0), b = try read(sample.frame1), truth = try read(sample.groundTruth)
            for (url, image) in [(sample.frame1, b), (sample.groundTruth, truth)]
            where image.width != a.width || image.height != a.height {
                throw EvaluationError("\(url.path) is \(image.width)x\(image.height) but \(sample.frame0.path) is \(a.width)x\(a.height); a sample's images must be the same size")
            }
            guard min(a.width, a.height) >= LPIPS.minimumSide else {
                throw EvaluationError("\(sample.frame0.path): \(a.width)x\(a.height) is too small to score (at least \(LPIPS.minimumSide) px a side)")
            }
            try score(sample, a, b, truth, prepared: nil, into: &tally)
        }
        var run = EvaluationRun(dataset: dataset, methods: methods, results: [], worst: [], rankingMethod: ranking,
                                seconds: 0, tweenModel: interpolator?.modelName)
        tally.finish(into: &run)
        run.seconds = Date().timeIntervalSince(started)
        return run
    }

    /// Results so far and the thumbnails of the worst samples seen so far (only those, so memory stays small).
    struct Tally {
        let worstCount: Int
        let ranking: EvaluationMethod
        var results: [SampleResult] = []
        var worst: [(result: SampleResult, thumbnails: SampleThumbnails)] = []
        /// Every tween frame of the run goes through one gate, so "relative" means relative to the run.
        var gate: QualityGate
        var gateSeconds = 0.0
        init(worstCount: Int, ranking: EvaluationMethod, mode: QualityMode) {
            self.worstCount = worstCount
            self.ranking = ranking
            gate = QualityGate(mode: mode)
        }

        /// Hands the results to `run`, with the gate's whole-run flags when it saw frames.
        func finish(into run: inout EvaluationRun) {
            run.results = results
            run.worst = worst
            guard !gate.records.isEmpty else { return }
            run.gate = gate
            run.gateSeconds = gateSeconds
            // Gate records follow the samples that have a quality, in order.
            let gated = results.indices.filter { results[$0].quality != nil }
            for i in gate.flaggedIndices() { run.results[gated[i]].flagged = true }
            for i in run.worst.indices {
                let name = run.worst[i].result.sample.name
                if let match = run.results.first(where: { $0.sample.name == name }) { run.worst[i].result.flagged = match.flagged }
            }
        }
    }

    /// Predicts `sample` with every method, scores it against `truth` and adds it to `tally`.
    /// - Parameter prepared: the two frames already encoded for tween (the inner frames of one
    ///   video window share them) and the share of the encoding time charged to this sample, or
    ///   nil to encode them here.
    func score(_ sample: EvaluationSample, _ a: RGBImage, _ b: RGBImage, _ truth: RGBImage,
               prepared: (a: Interpolator.PreparedFrame, b: Interpolator.PreparedFrame, seconds: Double)?, into tally: inout Tally) throws {
        let truth8 = image8(truth)
        var scores: [EvaluationMethod: Scores] = [:]
        var outputs: [EvaluationMethod: RGBImage] = [:]
        var quality: FrameQuality?, action: GateAction?, passes: Int?
        for method in methods {
            let t0 = Date()
            let prediction: RGBImage
            var seconds = 0.0
            if method == .tween, let engine = interpolator as? Interpolator {
                let (pa, pb) = try prepared.map { ($0.a, $0.b) } ?? (engine.prepare(a.tensor), engine.prepare(b.tensor))
                let out = try tally.gate.frame(pa, pb, t: Float(sample.t), with: engine)
                prediction = RGBImage(tensor: out.image)
                seconds = prepared?.seconds ?? 0
                (quality, action, passes) = (out.quality, out.action, out.networkPasses)
                tally.gateSeconds += out.gateSeconds
            } else {
                prediction = try predict(method, a, b, t: sample.t, interpolator: interpolator)
            }
            seconds += Date().timeIntervalSince(t0)
            scores[method] = try Scores.measure(image8(prediction), against: truth8, lpips: lpips, seconds: seconds)
            outputs[method] = prediction
        }
        let result = SampleResult(sample: sample, width: a.width, height: a.height, scores: scores, quality: quality, gateAction: action, networkPasses: passes)
        tally.results.append(result)
        guard tally.worstCount > 0 else { return }
        let ranking = tally.ranking
        let psnr = scores[ranking]!.psnr
        if tally.worst.count < tally.worstCount || psnr < tally.worst.last!.result.scores[ranking]!.psnr {
            tally.worst.append((result, thumbnails(a, b, truth, outputs)))
            tally.worst.sort { $0.result.scores[ranking]!.psnr < $1.result.scores[ranking]!.psnr }
            if tally.worst.count > tally.worstCount { tally.worst.removeLast() }
        }
    }

    private func read(_ url: URL) throws -> RGBImage {
        do { return try PNG.read(url) } catch let e as ImageError { throw EvaluationError(e.message) }
    }

    private func thumbnails(_ a: RGBImage, _ b: RGBImage, _ truth: RGBImage, _ outputs: [EvaluationMethod: RGBImage]) -> SampleThumbnails {
        let factor = max(1, (a.width + thumbnailWidth - 1) / thumbnailWidth)
        return SampleThumbnails(
            frame0: downscaled(a, by: factor), frame1: downscaled(b, by: factor), groundTruth: downscaled(truth, by: factor),
            outputs: outputs.mapValues { downscaled($0, by: factor) },
            errors: outputs.mapValues { downscaled(errorHeatMap($0, truth), by: factor) })
    }
}

func image8(_ image: RGBImage) -> Image8 { Image8(width: image.width, height: image.height, interleavedRGB: image.pixels) }

/// Box-filters `image` by a whole `factor` (the last partial block averages what it has).
func downscaled(_ image: RGBImage, by factor: Int) -> RGBImage {
    guard factor > 1 else { return image }
    let w = (image.width + factor - 1) / factor, h = (image.height + factor - 1) / factor
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    for y in 0..<h {
        for x in 0..<w {
            var sum = [0, 0, 0], count = 0
            for sy in (y * factor)..<min((y + 1) * factor, image.height) {
                for sx in (x * factor)..<min((x + 1) * factor, image.width) {
                    for c in 0..<3 { sum[c] += Int(image.pixels[(sy * image.width + sx) * 3 + c]) }
                    count += 1
                }
            }
            for c in 0..<3 { pixels[(y * w + x) * 3 + c] = UInt8((sum[c] + count / 2) / count) }
        }
    }
    return RGBImage(width: w, height: h, pixels: pixels)
}

/// The per-pixel error |prediction − truth| (mean over R, G, B) as a heat map: black for 0,
/// through red and yellow to white at 48 or more (of 255), so ghosting and blur stand out.
func errorHeatMap(_ prediction: RGBImage, _ truth: RGBImage) -> RGBImage {
    var errors = [Float](repeating: 0, count: prediction.width * prediction.height)
    for i in errors.indices {
        var e = 0
        for c in 0..<3 { e += abs(Int(prediction.pixels[i * 3 + c]) - Int(truth.pixels[i * 3 + c])) }
        errors[i] = Float(e) / 3
    }
    return heatMap(errors, width: prediction.width, height: prediction.height, fullScale: 48)
}

/// Values as a heat map: black at 0, through red and yellow to white at `fullScale` and above.
func heatMap(_ values: [Float], width: Int, height: Int, fullScale: Float) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<(width * height) {
        let v = Double(min(max(values[i], 0) / fullScale, 1)) * 3  // 0…3: black → red → yellow → white
        pixels[i * 3] = UInt8(min(v, 1) * 255)
        pixels[i * 3 + 1] = UInt8(min(max(v - 1, 0), 1) * 255)
        pixels[i * 3 + 2] = UInt8(min(max(v - 2, 0), 1) * 255)
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}
