import Foundation
import MediaIO
import TestSupport
import Testing

@Suite("StagedOutput: atomic outputs that never replace what Tween did not write")
struct StagedOutputTests {
    private func names(_ dir: URL) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
    }

    @Test("a file is staged under a hidden name and replaces the old one only on commit")
    func fileCommit() throws {
        let dir = Scratch.directory("staged")
        let target = dir.appendingPathComponent("out.mp4")
        try Data("old".utf8).write(to: target)
        #expect(throws: OutputError.self) { try StagedOutput(target, kind: .file, inputs: [], force: false) }
        let staged = try StagedOutput(target, kind: .file, inputs: [], force: true)
        #expect(staged.staging.lastPathComponent == ".out.mp4.tween-\(getpid()).partial.mp4")
        try Data("new".utf8).write(to: staged.staging)
        #expect(try String(contentsOf: target, encoding: .utf8) == "old")
        try staged.commit()
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
        #expect(names(dir) == ["out.mp4"])
    }

    @Test("dropped or discarded uncommitted: only the staging name goes")
    func discard() throws {
        let dir = Scratch.directory("staged")
        try Data("mine".utf8).write(to: dir.appendingPathComponent("keep.txt"))
        do {
            let staged = try StagedOutput(dir.appendingPathComponent("frames"), kind: .frameFolder, inputs: [], force: false)
            try Data("f".utf8).write(to: staged.staging.appendingPathComponent("000001.png"))
            #expect(names(dir).count == 2)
        }
        #expect(names(dir) == ["keep.txt"])
        let file = try StagedOutput(dir.appendingPathComponent("o.mkv"), kind: .file, inputs: [], force: false)
        file.discard()
        file.discard()
        #expect(names(dir) == ["keep.txt"])
    }

    @Test("a previous frame folder is replaced; its frames go, the folder is rebuilt from the new ones")
    func frameFolderReplaced() throws {
        let dir = Scratch.directory("staged")
        let target = dir.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        for i in 1...3 { try Data("old".utf8).write(to: target.appendingPathComponent(String(format: "%06d.png", i))) }
        let staged = try StagedOutput(target, kind: .frameFolder, inputs: [], force: true)
        try Data("new".utf8).write(to: staged.staging.appendingPathComponent("000001.png"))
        try staged.commit()
        #expect(names(target) == ["000001.png"])
        #expect(try String(contentsOf: target.appendingPathComponent("000001.png"), encoding: .utf8) == "new")
    }

    @Test("refused: a folder with anything but Tween frames, a file where frames go, a folder where a file goes")
    func foreignRefused() throws {
        let dir = Scratch.directory("staged")
        let folder = dir.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: folder.appendingPathComponent("000001.png"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("notes.md"))
        #expect(throws: OutputError.self) { try StagedOutput(folder, kind: .frameFolder, inputs: [], force: true) }
        #expect(throws: OutputError.self) { try StagedOutput(folder, kind: .file, inputs: [], force: true) }
        let file = dir.appendingPathComponent("video")
        try Data("x".utf8).write(to: file)
        #expect(throws: OutputError.self) { try StagedOutput(file, kind: .frameFolder, inputs: [], force: true) }
        #expect(names(folder) == ["000001.png", "notes.md"])
        #expect(names(dir) == ["frames", "video"])
    }

    @Test("inputs: the output may not be one, contain one, or reach one through a symlink")
    func inputs() throws {
        let dir = Scratch.directory("staged")
        let input = dir.appendingPathComponent("in.mp4")
        try Data("v".utf8).write(to: input)
        let link = Scratch.directory("staged").appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: dir)
        for (target, kind) in [(input, OutputKind.file), (dir, .frameFolder), (link, .frameFolder),
                               (link.appendingPathComponent("in.mp4"), .file),
                               (URL(fileURLWithPath: dir.path + "/./sub/../in.mp4"), .file)] {
            #expect(throws: OutputError.self, "\(target.path)") { try StagedOutput.check(target, kind: kind, inputs: [input], force: true) }
        }
        // A sibling is fine.
        try StagedOutput.check(dir.appendingPathComponent("out.mp4"), kind: .file, inputs: [input], force: false)
    }

    @Test("Tween's frame names", arguments: [("000001.png", true), ("1234567.png", true), ("00001.png", false),
                                            ("000001.PNG", false), ("a00001.png", false), ("000001.png.txt", false)])
    func frameNames(_ name: String, _ expected: Bool) {
        #expect(StagedOutput.isFrameName(name) == expected)
    }
}

@Suite("stale staging files of killed runs")
struct StaleStagingTests {
    /// A PID that belonged to a process that has exited (and been reaped).
    private func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    @Test("only this output's staging names, only of dead processes, only what Tween writes")
    func removesOnlyStale() throws {
        let dir = Scratch.directory("stale")
        let dead = try deadPID()
        let names = [
            ".out.mp4.tween-\(dead).partial.mp4",      // stale: removed
            ".out.mp4.tween-1.partial.mp4",            // PID 1 is alive: kept
            ".out.mp4.tween-\(getpid()).partial.mp4",  // this process: kept
            ".other.mp4.tween-\(dead).partial.mp4",    // another output's: kept
            ".out.mp4.tween-\(dead).partial.mkv",      // another extension: kept
            "out.mp4.tween-\(dead).partial.mp4",       // not hidden, not ours: kept
        ]
        for name in names { try Data("x".utf8).write(to: dir.appendingPathComponent(name)) }
        let staged = try StagedOutput(dir.appendingPathComponent("out.mp4"), kind: .file, inputs: [], force: false)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(left == Set(names.dropFirst()).union([staged.staging.lastPathComponent]))
        staged.discard()
    }

    @Test("a stale frame folder is removed only when it holds nothing but frames")
    func staleFolders() throws {
        let dir = Scratch.directory("stale")
        let dead = try deadPID()
        let frames = dir.appendingPathComponent(".frames.tween-\(dead).partial")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: false)
        try Data("f".utf8).write(to: frames.appendingPathComponent("000001.png"))
        #expect(StagedOutput.removeStale(beside: dir.appendingPathComponent("frames"), kind: .frameFolder) == [frames.lastPathComponent])
        #expect(!FileManager.default.fileExists(atPath: frames.path))
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: false)
        try Data("n".utf8).write(to: frames.appendingPathComponent("notes.txt"))
        #expect(StagedOutput.removeStale(beside: dir.appendingPathComponent("frames"), kind: .frameFolder).isEmpty)
        #expect(FileManager.default.fileExists(atPath: frames.appendingPathComponent("notes.txt").path))
    }
}
