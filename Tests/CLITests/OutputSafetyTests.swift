import Foundation
import TestSupport
import Testing

/// Issue 19's data-loss cases: `--force` replaces only what Tween wrote; an output that is, contains
/// or resolves to an input is refused. Each case checks that nothing was deleted or changed.
/// The refusals happen before the input is probed or weights are loaded, so no ffmpeg or weights are needed.
@Suite("output safety (--force never deletes what is not Tween's)")
struct OutputSafetyTests {
    /// A working folder with an input "video" (never read: the refusal comes first) and a file of the user's.
    private func workFolder() throws -> (dir: URL, input: URL, notes: URL) {
        let dir = scratchDirectory()
        let input = dir.appendingPathComponent("in.mp4"), notes = dir.appendingPathComponent("notes.txt")
        try Data("not really a video".utf8).write(to: input)
        try Data("keep me".utf8).write(to: notes)
        return (dir, input, notes)
    }

    private func snapshot(_ dir: URL) -> [String: Data] {
        var files: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: dir.path)
        while let name = e?.nextObject() as? String {
            files[name] = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) ?? Data()
        }
        return files
    }

    @Test("-o . (the working folder, which holds the input) is refused and nothing is deleted")
    func dotOutput() throws {
        let (dir, _, _) = try workFolder()
        let before = snapshot(dir)
        let r = try runTween(["video", "in.mp4", "-o", ".", "--multi", "2", "--force"], in: dir)
        #expect(r.status == 1 && r.stderr.contains("contains the input"), "\(r.stderr)")
        #expect(snapshot(dir) == before)
    }

    @Test("-o the folder holding the input (absolute and with a trailing slash) is refused")
    func inputFolder() throws {
        let (dir, input, _) = try workFolder()
        let before = snapshot(dir)
        for output in [dir.path, dir.path + "/"] {
            let r = try runTween(["video", input.path, "-o", output, "--multi", "2", "--force"])
            #expect(r.status == 1 && r.stderr.contains("contains the input"), "\(output): \(r.stderr)")
        }
        #expect(snapshot(dir) == before)
    }

    @Test("-o an unrelated non-empty folder is refused, naming what it holds")
    func foreignFolder() throws {
        let (dir, input, _) = try workFolder()
        let other = scratchDirectory()
        try Data("precious".utf8).write(to: other.appendingPathComponent("thesis.tex"))
        try Data("frame-like".utf8).write(to: other.appendingPathComponent("000001.png"))
        let before = snapshot(other), inputs = snapshot(dir)
        let r = try runTween(["video", input.path, "-o", other.path, "--multi", "2", "--force"])
        #expect(r.status == 1 && r.stderr.contains("not a folder of Tween frames") && r.stderr.contains("thesis.tex"), "\(r.stderr)")
        #expect(snapshot(other) == before)
        #expect(snapshot(dir) == inputs)
    }

    @Test("a file output never replaces a folder")
    func fileOverFolder() throws {
        let (dir, input, _) = try workFolder()
        let folder = dir.appendingPathComponent("out.mp4")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: folder.appendingPathComponent("keep.txt"))
        let r = try runTween(["video", input.path, "-o", folder.path, "--multi", "2", "--force"])
        #expect(r.status == 1 && r.stderr.contains("is a folder"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("keep.txt").path))
    }

    @Test("an input reached through a symlinked folder is recognised (video and pair)")
    func symlinkedInput() throws {
        let (dir, input, _) = try workFolder()
        let links = scratchDirectory()
        let link = links.appendingPathComponent("w")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: dir)
        let before = snapshot(dir)
        // The output folder is the input's folder under another name.
        let video = try runTween(["video", input.path, "-o", link.path, "--multi", "2", "--force"])
        #expect(video.status == 1 && video.stderr.contains("contains the input"), "\(video.stderr)")
        // The output file is an input under another name.
        let a = dir.appendingPathComponent("a.png"), b = dir.appendingPathComponent("b.png")
        try FileManager.default.copyItem(atPath: demoA, toPath: a.path)
        try FileManager.default.copyItem(atPath: demoB, toPath: b.path)
        let pngs = snapshot(dir)
        let pair = try runTween(["pair", a.path, b.path, "-o", link.appendingPathComponent("a.png").path, "--force"])
        #expect(pair.status == 1 && pair.stderr.contains("would overwrite the input"), "\(pair.stderr)")
        #expect(snapshot(dir) == pngs)
        // A symlink as the output, pointing at an input.
        let pointer = links.appendingPathComponent("pointer.mp4")
        try FileManager.default.createSymbolicLink(at: pointer, withDestinationURL: input)
        let viaLink = try runTween(["video", input.path, "-o", pointer.path, "--multi", "2", "--force"])
        #expect(viaLink.status == 1 && viaLink.stderr.contains("would overwrite the input"), "\(viaLink.stderr)")
        #expect(snapshot(dir).filter { $0.key.hasSuffix(".mp4") || $0.key.hasSuffix(".txt") } == before)
    }

    @Test("a negative --t is refused by its own rule, not as a missing value")
    func negativeTime() throws {
        let dir = scratchDirectory()
        let r = try runTween(["pair", demoA, demoB, "-o", dir.appendingPathComponent("o.png").path, "--t", "-0.1"])
        expectCleanFailure(r, mentions: "--t must be in [0, 1] (got -0.1)", directory: dir)
    }
}

@Suite("tween --version and the models directory rule")
struct VersionTests {
    @Test("--version names the release, the models directory and fast mode's precision on this CPU")
    func version() throws {
        let r = try runTween(["--version"])
        #expect(r.status == 0 && r.stdout.hasPrefix("tween "), "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("models directory") && r.stdout.contains("--mode fast runs"), "\(r.stdout)")
    }

    @Test("models directory: TWEEN_MODELS, else XDG_CACHE_HOME, else HOME from the environment (as Scripts/setup.sh)")
    func modelsDirectory() throws {
        let home = scratchDirectory(), out = scratchDirectory().appendingPathComponent("o.png").path
        let byHome = try runTween(["pair", demoA, demoB, "-o", out], environment: ["TWEEN_MODELS": "", "XDG_CACHE_HOME": "", "HOME": home.path])
        #expect(byHome.status == 1 && byHome.stderr.contains("no weights at \(home.path)/.cache/tween/models/rife-v4.25/flownet.pkl"),
                "\(byHome.stderr)")
        let byXDG = try runTween(["pair", demoA, demoB, "-o", out], environment: ["TWEEN_MODELS": "", "XDG_CACHE_HOME": home.path])
        #expect(byXDG.stderr.contains("no weights at \(home.path)/tween/models/"), "\(byXDG.stderr)")
        // The script names the same folder for the same environment.
        let script = Fixtures.repoRoot.appendingPathComponent("Scripts/setup.sh").path
        for environment in [["TWEEN_MODELS": "", "XDG_CACHE_HOME": "", "HOME": home.path], ["TWEEN_MODELS": "", "XDG_CACHE_HOME": home.path]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script, "--print-models-dir"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            process.waitUntilExit()
            let binary = try runTween(["pair", demoA, demoB, "-o", out], environment: environment)
            #expect(binary.stderr.contains("no weights at \(printed)/rife-v4.25/flownet.pkl"), "script: \(printed); binary: \(binary.stderr)")
        }
    }
}
