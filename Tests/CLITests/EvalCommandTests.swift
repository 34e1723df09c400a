import Foundation
import MediaIO
import TestSupport
import Testing

let evalData = Fixtures.shared.appendingPathComponent("data")
let lpipsReady = Fixtures.available(Fixtures.modelsDirectory.appendingPathComponent("lpips/alex.safetensors"))
let evalReady = weightsReady && lpipsReady && Fixtures.available(evalData.appendingPathComponent("ucf101/1/frame_00.png"),
                                                                 evalData.appendingPathComponent("middlebury-other/Venus/frame10.png"))

/// One method's scores in `--report` JSON (and in ../shared/data/reference/*.json).
struct ReportScores: Decodable {
    let psnr: Double, ssim: Double, lpips: Double, ie: Double
}

struct ReportRow: Decodable {
    let sample: String, w: Int, h: Int
    let tween: ReportScores?, blend: ReportScores?, `repeat`: ReportScores?
}

struct Report: Decodable {
    let n: Int, layout: String, methods: [String]
    let rows: [ReportRow]
}

/// The PyTorch reference's per-sample scores (`rife425` is RIFE v4.25).
struct ReferenceRow: Decodable {
    let sample: String
    let rife425: ReportScores, blend: ReportScores, `repeat`: ReportScores
}

@Suite("tween eval", .enabled(if: evalReady, "needs Scripts/setup.sh and ../shared/data"))
struct EvalCommandTests {
    /// Runs `tween eval` on `dataset` (3 samples, all methods, JSON and HTML) and checks the outputs.
    func evaluate(_ dataset: String, layout: String, referenceSet: String?) throws {
        let dir = scratchDirectory()
        let json = dir.appendingPathComponent("report.json"), html = dir.appendingPathComponent("report.html")
        let r = try runTween(["eval", dataset, "--limit", "3", "--report", json.path, "--html", html.path, "--worst", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        // The table: a header, a separator and one row per method.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("| method | PSNR (dB) | SSIM (skimage 7×7) | SSIM (Gaussian 11×11) | LPIPS (alex) | IE |") }, "\(r.stdout)")
        for label in ["| tween (RIFE v4.25) |", "| blend |", "| repeat |"] {
            #expect(lines.contains { $0.hasPrefix(label) }, "no \(label) row in \(r.stdout)")
        }
        #expect(r.stdout.contains("\(layout) layout, 3 samples"))
        #expect(r.stderr.contains("[3/3]"), "progress line: \(r.stderr)")

        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: json))
        #expect(report.n == 3 && report.rows.count == 3 && report.layout == layout)
        #expect(report.methods == ["tween", "blend", "repeat"])
        for row in report.rows {
            let scores = [row.tween, row.blend, row.repeat].compactMap { $0 }
            #expect(scores.count == 3, "\(row.sample) lacks a method")
            // Tween beats repeating a frame on every one of these samples.
            if let t = row.tween, let rep = row.repeat { #expect(t.psnr > rep.psnr && t.ie < rep.ie, "\(row.sample)") }
        }

        // The HTML page and, beside it, inputs, ground truth, outputs and error maps of the 2 worst samples.
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<table>") && page.contains("tween (RIFE v4.25)"))
        let folder = dir.appendingPathComponent("report_files")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        #expect(files.count == 2 * 9, "\(files.sorted())")
        for kind in ["frame0", "frame1", "gt", "tween", "blend", "repeat", "tween_error", "blend_error", "repeat_error"] {
            for rank in ["01", "02"] {
                // "_tween.png" does not match "_tween_error.png", so each kind finds its own file.
                let name = files.first { $0.hasPrefix(rank + "_") && $0.hasSuffix("_\(kind).png") }
                guard let name else { Issue.record("no \(rank) \(kind) thumbnail in \(files.sorted())"); continue }
                #expect(page.contains("report_files/\(name)"))
                let thumb = try PNG.read(folder.appendingPathComponent(name))
                #expect(thumb.width <= 320 && thumb.width > 0)
            }
        }

        // blend and repeat are exact computations: they must reproduce the reference's per-sample scores.
        if let referenceSet {
            struct File: Decodable { let rows: [ReferenceRow] }
            let reference = try JSONDecoder().decode(File.self, from: Data(contentsOf: evalData.appendingPathComponent("reference/\(referenceSet).json")))
            let bySample = Dictionary(uniqueKeysWithValues: reference.rows.map { ($0.sample, $0) })
            for row in report.rows {
                let ref = try #require(bySample[row.sample], "\(row.sample) not in the reference")
                for (ours, theirs, name) in [(row.blend!, ref.blend, "blend"), (row.repeat!, ref.repeat, "repeat")] {
                    #expect(abs(ours.psnr - theirs.psnr) < 1e-9 && abs(ours.ssim - theirs.ssim) < 1e-9 && abs(ours.ie - theirs.ie) < 1e-9,
                            "\(row.sample) \(name): ours \(ours), reference \(theirs)")
                    #expect(abs(ours.lpips - theirs.lpips) < 1e-5, "\(row.sample) \(name) LPIPS: ours \(ours.lpips), reference \(theirs.lpips)")
                }
                // RIFE itself: fp32 summation order differs from PyTorch's, so a few pixels round the other way.
                let t = row.tween!
                #expect(abs(t.psnr - ref.rife425.psnr) < 0.02 && abs(t.lpips - ref.rife425.lpips) < 0.001,
                        "\(row.sample) tween: ours \(t), reference \(ref.rife425)")
            }
        }
    }

    @Test("Middlebury layout: table, JSON and HTML with thumbnails; baselines equal the reference")
    func middlebury() throws {
        try evaluate(evalData.appendingPathComponent("middlebury-other").path, layout: "middlebury", referenceSet: "middlebury-other")
    }

    @Test("UCF101 layout: table, JSON and HTML with thumbnails; baselines equal the reference")
    func ucf101() throws {
        try evaluate(evalData.appendingPathComponent("ucf101").path, layout: "ucf101", referenceSet: "ucf101")
    }

    @Test("JSON manifest layout, relative paths")
    func manifest() throws {
        let dir = scratchDirectory()
        let ucf = evalData.appendingPathComponent("ucf101")
        let entries = try ["1", "101", "11"].map { id -> [String: Any] in
            // Copy the frames so the manifest can use paths relative to itself.
            let sub = dir.appendingPathComponent("s\(id)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for f in ["frame_00.png", "frame_02.png", "frame_01_gt.png"] {
                try FileManager.default.copyItem(at: ucf.appendingPathComponent(id).appendingPathComponent(f), to: sub.appendingPathComponent(f))
            }
            return ["frame0": "s\(id)/frame_00.png", "frame1": "s\(id)/frame_02.png", "gt": "s\(id)/frame_01_gt.png", "t": 0.5, "name": id]
        }
        let manifest = dir.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: entries).write(to: manifest)
        try evaluate(manifest.path, layout: "manifest", referenceSet: "ucf101")
    }

    @Test("bad input is one line on stderr")
    func badInput() throws {
        let dir = scratchDirectory()
        let missing = try runTween(["eval", dir.appendingPathComponent("nope").path])
        expectCleanFailure(missing, mentions: "no such file or directory", directory: dir)
        let empty = try runTween(["eval", dir.path])
        expectCleanFailure(empty, mentions: "no samples found", directory: dir)
        let method = try runTween(["eval", dir.path, "--method", "magic"])
        expectUsageError(method, mentions: "Please provide one of 'tween', 'blend' or 'repeat'", directory: dir)
        let manifest = dir.appendingPathComponent("m.json")
        try Data(#"[{"frame0": "a.png", "frame1": "b.png"}]"#.utf8).write(to: manifest)
        let malformed = try runTween(["eval", manifest.path])
        expectCleanFailure(malformed, mentions: "missing \"gt\"", directory: dir, preexisting: ["m.json"])
        // A Middlebury sample without its ground truth is named.
        let sample = dir.appendingPathComponent("set/Foo")
        try FileManager.default.createDirectory(at: sample, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: demoA), to: sample.appendingPathComponent("frame10.png"))
        try FileManager.default.copyItem(at: URL(fileURLWithPath: demoB), to: sample.appendingPathComponent("frame11.png"))
        let incomplete = try runTween(["eval", dir.appendingPathComponent("set").path, "--method", "blend"])
        #expect(incomplete.status == 1 && incomplete.stderr.split(separator: "\n").count == 1)
        #expect(incomplete.stderr.contains("Foo/frame10i11.png: missing"), "\(incomplete.stderr)")
    }
}
