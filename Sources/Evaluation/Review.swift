public import Foundation
public import Interpolation
public import MediaIO
import TensorCore

/// Collects what a person needs to review a video's generated frames: every gated frame's place
/// in the output, and small pictures of the worst ones (the output, both warped candidates and
/// their disagreement), kept for at most `keep` frames so memory stays bounded on long videos.
///
/// Flagged frames are among the worst by score (both the floor and the relative test are
/// thresholds on it), so keeping the pictures of the `keep` lowest-scoring frames covers the
/// `keep` worst flagged ones; held (catastrophic) frames are flagged whatever their score and get
/// their pictures regardless.
public struct ReviewCollector {
    /// Where one gated frame sits in the output.
    public struct Placement: Sendable, Codable, Equatable {
        /// 0-based output frame number.
        public var frame: Int
        /// Presentation time in seconds.
        public var seconds: Double
        /// The source frame it follows (0-based) and its time toward the next one.
        public var sourceFrame: Int
        public var t: Float

        public init(frame: Int, seconds: Double, sourceFrame: Int, t: Float) {
            self.frame = frame
            self.seconds = seconds
            self.sourceFrame = sourceFrame
            self.t = t
        }
    }

    public let keep: Int
    public let thumbnailWidth: Int
    /// The gate's settings and, as frames are observed, its log: the whole-video flags come from it.
    public private(set) var gate: QualityGate
    /// Whether pictures are made at all (`--review`); placements are always recorded.
    public let makesPictures: Bool
    /// One per gated frame, in the order the gate saw them (its `records` order).
    public private(set) var placements: [Placement] = []
    private var pictures: [Int: ReviewPictures] = [:]   // by gated-frame number
    private var pictureScores: [(score: Float, index: Int)] = []
    private var heldPictures = 0
    /// Seconds the gate spent measuring the observed frames.
    public private(set) var gateSeconds = 0.0

    /// - Parameter gate: the settings the frames were gated with (its log is rebuilt here, so a
    ///   gate inside a renderer need not be handed back).
    public init(gate: QualityGate, makesPictures: Bool, keep: Int = 100, thumbnailWidth: Int = 320) {
        var settings = gate
        settings.clearLog()
        self.gate = settings
        self.makesPictures = makesPictures
        self.keep = keep
        self.thumbnailWidth = thumbnailWidth
    }

    /// Records a gated frame; makes its pictures when it is among the `keep` worst so far.
    public mutating func observe(_ frame: GatedFrame, at placement: Placement) {
        let index = placements.count
        placements.append(placement)
        gate.add(frame.quality, action: frame.action, t: placement.t)
        gateSeconds += frame.gateSeconds
        guard makesPictures, keep > 0 else { return }
        // Held frames are flagged whatever their score; they are rare, so each gets its pictures (up to `keep`).
        if frame.action == .heldSource {
            if heldPictures < keep { pictures[index] = ReviewPictures(frame, width: thumbnailWidth); heldPictures += 1 }
            return
        }
        let score = frame.quality.score
        if pictureScores.count == keep {
            guard let best = pictureScores.last, score < best.score else { return }
            pictureScores.removeLast()
            pictures[best.index] = nil
        }
        let position = pictureScores.firstIndex { $0.score > score } ?? pictureScores.count
        pictureScores.insert((score, index), at: position)
        pictures[index] = ReviewPictures(frame, width: thumbnailWidth)
    }

    /// The review of a finished run: the gate's flags against the whole video, worst first.
    public func review() -> Review {
        let decisions = gate.finalDecisions()
        let flagged = gate.records.indices.filter { decisions[$0].flagged }
            .sorted { gate.records[$0].quality.score < gate.records[$1].quality.score }
        let entries = flagged.map { i in
            Review.Entry(placement: placements[i], quality: gate.records[i].quality, action: gate.records[i].action,
                         reasons: decisions[i].reasons)
        }
        return Review(mode: gate.mode, floor: gate.floor, relativeZ: gate.relativeZ,
                      catastrophicDisagreement: gate.catastrophicDisagreement, generated: gate.records.count,
                      held: gate.records.filter { $0.action == .heldSource }.count,
                      reversed: gate.records.filter { $0.action == .reversed }.count,
                      gateSeconds: gateSeconds, flagged: entries,
                      pictures: Dictionary(uniqueKeysWithValues: flagged.compactMap { i in pictures[i].map { (placements[i].frame, $0) } }))
    }
}

/// Thumbnails of one generated frame (the candidates and their disagreement only when the gate kept them).
public struct ReviewPictures: Sendable {
    public var output: RGBImage
    public var warped0: RGBImage?, warped1: RGBImage?, disagreement: RGBImage?

    init(_ frame: GatedFrame, width: Int) {
        let (h, w) = (frame.image.h, frame.image.w)
        let factor = max(1, (w + width - 1) / width)
        func thumbnail(_ x: Tensor) -> RGBImage { downscaled(RGBImage(tensor: cropped(x, height: h, width: w)), by: factor) }
        output = thumbnail(frame.image)
        guard let (w0, w1) = frame.candidates else { return }
        warped0 = thumbnail(w0)
        warped1 = thumbnail(w1)
        // Full scale at 0.25 (64 of 255): where the candidates differ that much, the blend ghosts.
        let map = GateParts.disagreementMap(w0, w1, height: h, width: w)
        disagreement = downscaled(heatMap(map, width: w, height: h, fullScale: 0.25), by: factor)
    }
}

/// The flagged frames of a run, worst first, with the gate's settings and totals.
public struct Review: Sendable {
    public struct Entry: Sendable, Codable, Equatable {
        public var placement: ReviewCollector.Placement
        public var quality: FrameQuality
        public var action: GateAction
        /// Why it was flagged, in words and numbers (`GateDecision.reasons`, judged on the whole video).
        public var reasons: [String]
    }

    public var mode: QualityMode
    public var floor: Float
    public var relativeZ: Float?
    public var catastrophicDisagreement: Float
    /// Frames the network made (and the gate scored).
    public var generated: Int
    public var held: Int
    public var reversed: Int
    public var gateSeconds: Double
    /// Worst (lowest score) first.
    public var flagged: [Entry]
    /// Thumbnails by output frame number, for the flagged frames that have them.
    public var pictures: [Int: ReviewPictures]

    /// The summary line printed after a run.
    public var line: String {
        var text = String(format: "gate (%@): %d of %d generated frames flagged (%.1f %%), %d held as catastrophic, %d re-run and replaced; %.2f s in the gate",
                          mode.rawValue, flagged.count, generated, 100 * Double(flagged.count) / Double(max(generated, 1)),
                          held, reversed, gateSeconds)
        if let worst = flagged.first {
            text += String(format: "; worst: frame %d at %@ (score %.3f)", worst.placement.frame, timestamp(worst.placement.seconds), worst.quality.score)
        }
        return text
    }

    /// The review as `--report` writes it (thumbnail paths when `thumbnails` names them by frame).
    public func report(thumbnails: [Int: [String: String]] = [:]) -> ReviewReport {
        ReviewReport(
            mode: mode.rawValue, floor: floor, relativeZ: relativeZ, catastrophicDisagreement: catastrophicDisagreement,
            generated: generated, flagged: flagged.count, flaggedShare: Double(flagged.count) / Double(max(generated, 1)),
            held: held, reversed: reversed, gateSeconds: gateSeconds,
            frames: flagged.map { e in
                ReviewReport.Frame(
                    frame: e.placement.frame, time: timestamp(e.placement.seconds), seconds: e.placement.seconds,
                    sourceFrame: e.placement.sourceFrame, t: e.placement.t, score: e.quality.score,
                    predictedLPIPS: e.quality.predictedLPIPS, disagreementP99: e.quality.parts.disagreement,
                    disagreementMedian: e.quality.parts.wholesaleDisagreement, sharpness: e.quality.parts.sharpness,
                    flowAsymmetry: e.quality.parts.flowAsymmetry, action: e.action.rawValue, reasons: e.reasons,
                    thumbnails: thumbnails[e.placement.frame])
            })
    }

    /// Writes the review page to `url` and its thumbnails to `<name>_files/` beside it; the page is
    /// written last, to a temporary name renamed into place.
    /// - Returns: thumbnail paths (relative to the page's folder) by output frame number.
    @discardableResult
    public func writeHTML(to url: URL, video: String) throws -> [Int: [String: String]] {
        var page = try HTMLPage(url: url, title: "tween review: \(video)", style: ".frame { margin-top: 1.5em; } .held { color: #b00; }")
        var files: [Int: [String: String]] = [:]
        page.add("""
            <h1>Frames to review</h1>
            <p>\(escape(video)): \(escape(line)).</p>
            <p>Score = exp(−predicted LPIPS) from the two warped candidates' disagreement (99th percentile), the output's
            sharpness against the inputs and the flows' asymmetry; flagged when below \(String(format: "%.2f", floor)) or an
            outlier among this video's frames (robust z \(relativeZ.map { String(format: "> %.1f", $0) } ?? "off")). Held frames
            (the candidates disagree almost everywhere: an undetected cut or a flash) were replaced by the nearer source frame.
            Disagreement maps: |warped0 − warped1|, black = 0, red, yellow, white = 64 of 255 or more.</p>

            """)
        if flagged.isEmpty { page.add("<p>No frame was flagged.</p>\n") }
        for (rank, e) in flagged.enumerated() {
            let p = e.placement, q = e.quality
            page.add("<div class=\"frame\"><h3\(e.action == .heldSource ? " class=\"held\"" : "")>\(rank + 1). frame \(p.frame) at \(timestamp(p.seconds))"
                + " (source \(p.sourceFrame) → \(p.sourceFrame + 1), t = \(String(format: "%.3f", p.t))): score \(String(format: "%.3f", q.score))"
                + (e.action == .heldSource ? ", held (source frame written)" : e.action == .reversed ? ", reversed run kept" : "") + "</h3>\n")
            page.add("<p>disagreement p99 \(String(format: "%.3f", q.parts.disagreement)), median \(String(format: "%.3f", q.parts.wholesaleDisagreement));"
                + " sharpness \(String(format: "%.2f", q.parts.sharpness)); flow asymmetry \(String(format: "%.2f", q.parts.flowAsymmetry)) px;"
                + " predicted LPIPS \(String(format: "%.3f", q.predictedLPIPS))</p>\n")
            page.add("<p>Flagged: " + e.reasons.map(escape).joined(separator: "; ") + ".</p>\n")
            if let pictures = pictures[p.frame] {
                var names: [String: String] = [:]
                let all: [(String, RGBImage?, String)] = [
                    ("output", pictures.output, "network output"), ("warped0", pictures.warped0, "frame \(p.sourceFrame) warped"),
                    ("warped1", pictures.warped1, "frame \(p.sourceFrame + 1) warped"), ("disagreement", pictures.disagreement, "disagreement"),
                ]
                for case let (key, image?, caption) in all {
                    names[key] = try page.figure(image, file: String(format: "%06d_%@.png", p.frame, key), caption: caption)
                }
                files[p.frame] = names
            }
            page.add("</div>\n")
        }
        try page.write()
        return files
    }
}

/// The gate's part of a video report: settings, totals and the flagged frames, worst first.
public struct ReviewReport: Codable, Sendable, Equatable {
    public struct Frame: Codable, Sendable, Equatable {
        public var frame: Int
        /// `m:ss.mmm`, and the same in seconds.
        public var time: String
        public var seconds: Double
        public var sourceFrame: Int
        public var t: Float
        /// exp(−predicted LPIPS), and the parts it is computed from.
        public var score: Float
        public var predictedLPIPS: Float
        public var disagreementP99: Float
        public var disagreementMedian: Float
        public var sharpness: Float
        public var flowAsymmetry: Float
        /// kept, reversed or held-source.
        public var action: String
        /// Why it was flagged, in words and numbers.
        public var reasons: [String]
        /// output, warped0, warped1, disagreement: PNG paths relative to the review page.
        public var thumbnails: [String: String]?
    }

    public var mode: String
    public var floor: Float
    public var relativeZ: Float?
    public var catastrophicDisagreement: Float
    public var generated: Int
    public var flagged: Int
    public var flaggedShare: Double
    public var held: Int
    public var reversed: Int
    public var gateSeconds: Double
    public var frames: [Frame]
}

/// `seconds` as `m:ss.mmm` (or `h:mm:ss.mmm`).
func timestamp(_ seconds: Double) -> String {
    let ms = Int((seconds * 1000).rounded())
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    return h > 0 ? String(format: "%d:%02d:%02d.%03d", h, m, s, f) : String(format: "%d:%02d.%03d", m, s, f)
}
