import Foundation
public import Interpolation

/// How well the quality gate did on a run with ground truth: does its score rank frames as LPIPS
/// does, and does it flag the frames LPIPS calls worst?
public struct GateSummary: Sendable, Equatable {
    /// Tween frames that went through the gate.
    public var frames: Int
    /// Frames flagged against the whole run (held frames included).
    public var flagged: Int
    /// Frames held (catastrophic) and frames where advanced mode kept the reversed run.
    public var held: Int
    public var reversed: Int
    /// Frames re-run time-reversed (advanced mode), whether or not the second run was kept.
    public var rerun: Int
    /// Spearman ρ between the score and LPIPS (negative is good: a higher score, a lower LPIPS);
    /// nil without LPIPS or with fewer than 3 frames.
    public var spearman: Double?
    /// Of the flagged frames, the share among the worst 10 % by LPIPS; and of those worst, the share flagged.
    public var precision: Double?
    public var recall: Double?

    /// One line for the table's footer.
    public func line(_ gate: QualityGate, seconds: Double) -> String {
        var text = String(format: "gate (%@, floor %.2f, z > %@): %d of %d frames flagged (%.1f %%), %d held, %d re-run, %d reversed kept; %.3f s in the gate",
                          gate.mode.rawValue, gate.floor, gate.relativeZ.map { String(format: "%.1f", $0) } ?? "off",
                          flagged, frames, 100 * Double(flagged) / Double(max(frames, 1)), held, rerun, reversed, seconds)
        if let spearman { text += String(format: "; Spearman ρ(score, LPIPS) = %.3f", spearman) }
        if let recall {
            text += "; worst 10 % by LPIPS: precision " + (precision.map { String(format: "%.2f", $0) } ?? "– (none flagged)")
                + String(format: ", recall %.2f", recall)
        }
        return text
    }
}

extension EvaluationRun {
    /// The gate's performance on this run, nil when no frame went through it.
    public var gateSummary: GateSummary? {
        let gated = results.filter { $0.quality != nil }
        guard !gated.isEmpty else { return nil }
        var summary = GateSummary(frames: gated.count, flagged: gated.filter(\.flagged).count,
                                  held: gated.filter { $0.gateAction == .heldSource }.count,
                                  reversed: gated.filter { $0.gateAction == .reversed }.count,
                                  rerun: gated.filter { ($0.networkPasses ?? 1) > 1 }.count)
        let withLPIPS = gated.filter { $0.scores[.tween]?.lpips != nil }
        guard withLPIPS.count >= 3 else { return summary }
        let lpips = withLPIPS.map { $0.scores[.tween]!.lpips! }, scores = withLPIPS.map { Double($0.quality!.score) }
        summary.spearman = spearmanCorrelation(scores, lpips)
        // The worst 10 % by LPIPS (at least one frame; ties at the cut-off included).
        let cutoff = lpips.sorted(by: >)[max(Int((0.1 * Double(lpips.count)).rounded()), 1) - 1]
        let worst = lpips.map { $0 >= cutoff }, flagged = withLPIPS.map(\.flagged)
        let hits = zip(worst, flagged).filter { $0 && $1 }.count
        summary.precision = flagged.contains(true) ? Double(hits) / Double(flagged.filter { $0 }.count) : nil
        summary.recall = Double(hits) / Double(worst.filter { $0 }.count)
        return summary
    }
}

/// Spearman's rank correlation (ties get their average rank).
func spearmanCorrelation(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count && x.count >= 2, "spearman needs two equal-length series")
    func ranks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var r = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            for k in i...j { r[order[k]] = Double(i + j) / 2 }
            i = j + 1
        }
        return r
    }
    let (a, b) = (ranks(x), ranks(y))
    let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var (sab, saa, sbb) = (0.0, 0.0, 0.0)
    for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
    return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
}
