import Evaluation
import Foundation
import Interpolation
import MediaIO
import TensorCore
import TestSupport
import Testing

/// A gated frame whose only meaningful content is its quality (score falls as `badness` grows).
private func gated(badness: Float, held: Bool = false) -> GatedFrame {
    let image = Tensor(shape: [1, 3, 12, 16], repeating: 0.5)
    var candidate = image
    for i in 0..<candidate.count where i % 2 == 0 { candidate.scalars[i] = 0.5 + min(badness, 0.5) }
    let parts = GateParts(disagreement: 0.02 + badness, wholesaleDisagreement: held ? 0.3 : 0.005,
                          sharpness: 1 - min(badness, 0.9), flowAsymmetry: 0.2 + 10 * badness)
    return GatedFrame(image: image, quality: FrameQuality(parts), action: held ? .heldSource : .kept,
                      flagged: false, candidates: (image, candidate), gateSeconds: 0.001)
}

@Test("review: flags against the whole video, worst first, pictures kept for the worst N only, JSON and HTML written")
func reviewOfAVideo() throws {
    var collector = ReviewCollector(gate: QualityGate(mode: .production), makesPictures: true, keep: 3, thumbnailWidth: 8)
    // 40 ordinary frames, two bad outliers and one held frame, at 30 fps with --multi 2 placement.
    var badness = [Float](repeating: 0.01, count: 40).enumerated().map { $0.element + 0.001 * Float($0.offset % 5) }
    badness[7] = 0.6
    badness[23] = 0.3
    for (i, b) in badness.enumerated() {
        let frame = 2 * i + 1
        collector.observe(gated(badness: b, held: i == 31),
                          at: .init(frame: frame, seconds: Double(frame) / 60, sourceFrame: i, t: 0.5))
    }
    let review = collector.review()
    #expect(review.generated == 40 && review.held == 1 && review.reversed == 0)
    #expect(abs(review.gateSeconds - 0.04) < 1e-9)
    // Worst first: the held frame (score of its rejected network frame), then the outliers by score.
    let frames = review.flagged.map(\.placement.frame)
    #expect(Set(frames) == [15, 47, 63], "\(frames)")
    #expect(zip(review.flagged, review.flagged.dropFirst()).allSatisfy { $0.quality.score <= $1.quality.score })
    // Pictures were kept for the 3 lowest-scoring frames seen, which cover the flagged ones here.
    #expect(Set(review.pictures.keys) == Set(frames))
    #expect(review.pictures[15]!.output.width == 8)

    let dir = Scratch.directory("review")
    let files = try review.writeHTML(to: dir.appendingPathComponent("review.html"), video: "in.mp4")
    #expect(files.count == 3 && files[15]?["disagreement"] == "review_files/000015_disagreement.png")
    let html = try String(contentsOf: dir.appendingPathComponent("review.html"), encoding: .utf8)
    #expect(html.contains("frame 15 at 0:00.250") && html.contains("held (source frame written)"))
    let report = review.report(thumbnails: files)
    #expect(report.frames.count == 3 && report.generated == 40 && report.flagged == 3)
    #expect(report.frames.contains { $0.time == "0:00.250" && $0.thumbnails?["output"] == "review_files/000015_output.png" })
    #expect(report.frames.first { $0.frame == 63 }?.action == "held-source")
    // No frame is flagged without its reason, in the JSON and on the page.
    #expect(report.frames.allSatisfy { !$0.reasons.isEmpty }, "\(report.frames.map(\.reasons))")
    #expect(report.frames.first { $0.frame == 63 }?.reasons.first?.hasPrefix("held:") == true)
    #expect(html.components(separatedBy: "<p>Flagged: ").count - 1 == report.frames.count)
    let decoded = try JSONDecoder().decode(ReviewReport.self, from: JSONEncoder().encode(report))
    #expect(decoded == report)
    #expect(review.line.contains("3 of 40 generated frames flagged"))
}

@Test("review without pictures keeps none, and an empty review says so")
func reviewWithoutPictures() throws {
    var collector = ReviewCollector(gate: QualityGate(mode: .fast), makesPictures: false)
    for i in 0..<5 { collector.observe(gated(badness: 0.01), at: .init(frame: i, seconds: Double(i) / 25, sourceFrame: i, t: 0.5)) }
    let review = collector.review()
    #expect(review.flagged.isEmpty && review.pictures.isEmpty && review.mode == .fast && review.floor == 0.80)
    let dir = Scratch.directory("review")
    try review.writeHTML(to: dir.appendingPathComponent("r.html"), video: "x.mp4")
    #expect(try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8).contains("No frame was flagged"))
}
