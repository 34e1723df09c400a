import Evaluation
import Foundation
import MediaIO
import TestSupport
import Testing

/// Writes a flat 40×36 PNG of `value` and returns its path.
private func flat(_ value: UInt8, in dir: URL, _ name: String) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try PNG.write(RGBImage(width: 40, height: 36, pixels: [UInt8](repeating: value, count: 40 * 36 * 3)), to: url)
    return url
}

@Test("blend at t = 0.25 and repeat on a manifest with relative paths; no LPIPS, no network")
func blendAndRepeatAtQuarter() throws {
    let dir = Scratch.directory("eval")
    _ = try flat(0, in: dir, "a.png")
    _ = try flat(100, in: dir, "b.png")
    _ = try flat(25, in: dir, "gt.png")   // (1 − 0.25)·0 + 0.25·100
    _ = try flat(50, in: dir, "gt_half.png")
    let manifest = dir.appendingPathComponent("m.json")
    try Data((#"[{"frame0": "a.png", "frame1": "b.png", "gt": "gt.png", "t": 0.25, "name": "quarter"},"#
              + #" {"frame0": "a.png", "frame1": "b.png", "gt": "gt_half.png"}]"#).utf8).write(to: manifest)
    let dataset = try EvaluationDataset.load(manifest)
    #expect(dataset.layout == .manifest && dataset.samples.count == 2)
    #expect(dataset.samples[0].t == 0.25 && dataset.samples[1].t == 0.5 && dataset.samples[1].name == "gt_half#1")

    let run = try Evaluator(methods: [.blend, .repeat], interpolator: nil, lpips: nil).run(dataset)
    let quarter = try #require(run.results.first?.scores)
    #expect(quarter[.blend]!.psnr == .infinity && quarter[.blend]!.ie == 0 && quarter[.blend]!.ssim == 1)
    #expect(quarter[.repeat]!.ie == 25 && quarter[.repeat]!.lpips == nil)
    #expect(run.results[1].scores[.blend]!.ie == 0)   // (0 + 100 + 1) / 2 = 50
    #expect(run.mean(.repeat).ie == 37.5)             // (25 + 50) / 2
    #expect(run.table.contains("| blend | inf |"), "\(run.table)")
    let json = try JSONSerialization.jsonObject(with: run.json()) as? [String: Any]
    #expect((json?["n"] as? Int) == 2)
}

@Test("a folder with no known layout, or a sample missing its ground truth, is one clear error")
func layoutErrors() throws {
    let dir = Scratch.directory("eval")
    let sample = dir.appendingPathComponent("7")
    try FileManager.default.createDirectory(at: sample, withIntermediateDirectories: true)
    #expect(throws: EvaluationError.self) { try EvaluationDataset.load(dir) }
    _ = try flat(1, in: sample, "frame_00.png")
    _ = try flat(2, in: sample, "frame_02.png")
    do {
        _ = try EvaluationDataset.load(dir)
        Issue.record("a sample without frame_01_gt.png was accepted")
    } catch let e as EvaluationError {
        #expect(e.message.contains("7/frame_01_gt.png: missing"), "\(e.message)")
    }
    _ = try flat(3, in: sample, "frame_01_gt.png")
    let dataset = try EvaluationDataset.load(dir)
    #expect(dataset.layout == .ucf101 && dataset.samples.map(\.name) == ["7"])
}

@Test("drop-frame protocol: the inner frames predicted per window and their true t")
func dropFrameTargets() {
    func pairs(_ p: DropFrameProtocol) -> [String] { p.targets.map { "\($0.offset)@\($0.t)" } }
    #expect(pairs(DropFrameProtocol(gap: 2)) == ["1@0.5"])
    #expect(pairs(DropFrameProtocol(gap: 4)) == ["2@0.5"])
    #expect(pairs(DropFrameProtocol(gap: 4, allInner: true)) == ["1@0.25", "2@0.5", "3@0.75"])
    #expect(pairs(DropFrameProtocol(gap: 3, allInner: true)).count == 2)
    #expect(DropFrameProtocol(gap: 2).duplicateThreshold == 0.5)
}
