import Checkpoint
import Foundation
import MediaIO
import TestSupport
import Testing

/// Runs the built `tween` executable (it sits beside the test bundle in the build folder).
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The built `tween` executable.
func tweenExecutable() throws -> URL {
    let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let executable = [buildDirectory, buildDirectory.deletingLastPathComponent()]
        .map { $0.appendingPathComponent("tween") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    guard let executable else { throw CLIError("tween executable not found near \(buildDirectory.path)") }
    return executable
}

/// Runs `tween` with `arguments`, extra `environment` variables, in `directory` (default: this process's).
func runTween(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) throws -> CLIResult {
    let process = Process()
    process.executableURL = try tweenExecutable()
    if let directory { process.currentDirectoryURL = directory }
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// Rewrites the central directory's CRC-32 of the STORED zip entry `name` to match its bytes.
func fixCRC(of name: String, in archive: inout Data) throws {
    let signature = Data([0x50, 0x4B, 0x01, 0x02])
    var search = archive.startIndex..<archive.endIndex
    while let hit = archive.range(of: Data(name.utf8), in: search) {
        search = hit.upperBound..<archive.endIndex
        let header = hit.lowerBound - 46
        guard header >= 0, archive[header..<(header + 4)] == signature else { continue }
        func u16(_ at: Int) -> Int { Int(archive[at]) | Int(archive[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let local = u32(header + 42), size = u32(header + 24)
        let start = local + 30 + u16(local + 26) + u16(local + 28)
        let crc = CRC32.checksum(Data(archive[start..<(start + size)]))
        for k in 0..<4 { archive[header + 16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        return
    }
    throw CLIError("no central header names \(name)")
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

let demoA = Fixtures.repoRoot.appendingPathComponent("Examples/demo/I0_0.png").path
let demoB = Fixtures.repoRoot.appendingPathComponent("Examples/demo/I0_1.png").path
let weightsReady = Fixtures.available(Fixtures.rifeV425Weights)

/// A fresh scratch folder per test.
func scratchDirectory() -> URL { Scratch.directory("cli") }

/// Expects ArgumentParser's usage error (exit 64) for a value it cannot parse, naming `fragment`, and
/// nothing new left in `directory`.
func expectUsageError(_ r: CLIResult, mentions fragment: String, directory: URL, preexisting: Set<String> = [],
                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 64, "status \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(fragment), "stderr \(r.stderr) should mention \(fragment)", sourceLocation: sourceLocation)
    let left = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).subtracting(preexisting)
    #expect(left.isEmpty, "files left behind: \(left)", sourceLocation: sourceLocation)
}

/// Expects a failed run: exit status 1, exactly one line on stderr containing `fragment`,
/// and no file (partial or final) left in `directory`.
func expectCleanFailure(_ r: CLIResult, mentions fragment: String, directory: URL, preexisting: Set<String> = [],
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 1, "status \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr should be one line: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(fragment), "stderr \(r.stderr) should mention \(fragment)", sourceLocation: sourceLocation)
    let left = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).subtracting(preexisting)
    #expect(left.isEmpty, "files left behind: \(left)", sourceLocation: sourceLocation)
}

@Suite("tween pair", .enabled(if: weightsReady, "run Scripts/setup.sh first"))
struct PairCommandTests {
    @Test("one frame at t and N numbered frames; t = 0 reproduces A exactly")
    func success() throws {
        let dir = scratchDirectory()
        let single = try runTween(["pair", demoA, demoB, "-o", dir.appendingPathComponent("mid.png").path, "--t", "0.5"])
        #expect(single.status == 0, "\(single.stderr)")
        let mid = try PNG.read(dir.appendingPathComponent("mid.png"))
        #expect(mid.width == 448 && mid.height == 256)

        let many = try runTween(["pair", demoA, demoB, "-o", dir.appendingPathComponent("seq.png").path, "--count", "3"])
        #expect(many.status == 0, "\(many.stderr)")
        for i in 1...3 { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("seq_00\(i).png").path)) }
        // The middle of three evenly spaced frames is t = 0.5: the same frame as above.
        #expect(try PNG.read(dir.appendingPathComponent("seq_002.png")) == mid)

        let zero = try runTween(["pair", demoA, demoB, "-o", dir.appendingPathComponent("zero.png").path, "--t", "0"])
        #expect(zero.status == 0)
        #expect(try PNG.read(dir.appendingPathComponent("zero.png")) == PNG.read(URL(fileURLWithPath: demoA)))
    }

    @Test("existing output is kept unless --force; an input is never overwritten")
    func overwriting() throws {
        let dir = scratchDirectory()
        let out = dir.appendingPathComponent("x.png")
        try Data("keep me".utf8).write(to: out)
        let r = try runTween(["pair", demoA, demoB, "-o", out.path])
        expectCleanFailure(r, mentions: "already exists", directory: dir, preexisting: ["x.png"])
        #expect(try Data(contentsOf: out) == Data("keep me".utf8))
        let copy = dir.appendingPathComponent("a.png")
        try FileManager.default.copyItem(atPath: demoA, toPath: copy.path)
        let r2 = try runTween(["pair", copy.path, demoB, "-o", copy.path, "--force"])
        expectCleanFailure(r2, mentions: "would overwrite the input", directory: dir, preexisting: ["x.png", "a.png"])
        #expect(try runTween(["pair", demoA, demoB, "-o", out.path, "--force"]).status == 0)
    }

    @Test("bad inputs: one clear line, exit 1, nothing written")
    func badInputs() throws {
        let dir = scratchDirectory()
        let out = dir.appendingPathComponent("out.png").path
        let inputs = scratchDirectory()
        let text = inputs.appendingPathComponent("notes.png")
        try Data("not an image".utf8).write(to: text)
        let small = inputs.appendingPathComponent("small.png")
        try PNG.write(RGBImage(width: 5, height: 4, pixels: [UInt8](repeating: 9, count: 60)), to: small)

        expectCleanFailure(try runTween(["pair", "/no/such/a.png", demoB, "-o", out]), mentions: "no such file", directory: dir)
        expectCleanFailure(try runTween(["pair", text.path, demoB, "-o", out]), mentions: "not a PNG", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, small.path, "-o", out]), mentions: "same size", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--t", "1.5"]), mentions: "--t must be in [0, 1]", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--t=-0.1"]), mentions: "--t must be in [0, 1]", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--count", "0"]), mentions: "--count must be at least 1", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--t", "0.5", "--count", "2"]), mentions: "not both", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", "/no/such/dir/out.png"]), mentions: "does not exist", directory: dir)
        // /proc accepts no new files, even from root: the failure happens at write time, after the network ran.
        let proc = try runTween(["pair", demoA, demoB, "-o", "/proc/tween-out.png"])
        #expect(proc.status == 1 && proc.stderr.split(separator: "\n").count == 1, "\(proc.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/proc/tween-out.png"))
    }

    @Test("bad checkpoints: truncated, foreign and missing files are refused with a clear line")
    func badCheckpoints() throws {
        let dir = scratchDirectory(), inputs = scratchDirectory()
        let out = dir.appendingPathComponent("out.png").path
        let real = try Data(contentsOf: Fixtures.rifeV425Weights)
        let truncated = inputs.appendingPathComponent("truncated.pkl")
        try real.prefix(real.count / 2).write(to: truncated)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--weights", truncated.path]),
                           mentions: "cannot load weights", directory: dir)
        // The real archive with its first pickle GLOBAL (torch._utils._rebuild_tensor_v2) replaced by
        // posix.system: what a malicious checkpoint looks like. It must be refused, never called.
        var evil = real
        let target = Data("ctorch._utils\n_rebuild_tensor_v2\n".utf8)
        let range = try #require(evil.range(of: target))
        evil.replaceSubrange(range, with: Data("cposix\nsystem\n".utf8) + Data(repeating: 0x4E, count: target.count - 14))
        // An attacker also fixes the entry's CRC-32 (else the archive check refuses the file before the pickle is read).
        try fixCRC(of: "flownet_converted/data.pkl", in: &evil)
        let foreign = inputs.appendingPathComponent("foreign.pkl")
        try evil.write(to: foreign)
        let r = try runTween(["pair", demoA, demoB, "-o", out, "--weights", foreign.path])
        expectCleanFailure(r, mentions: "cannot load weights", directory: dir)
        #expect(r.stderr.contains("posix.system"), "\(r.stderr)")
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out, "--weights", "/no/such.pkl"]),
                           mentions: "no such file", directory: dir)
        expectCleanFailure(try runTween(["pair", demoA, demoB, "-o", out], environment: ["TWEEN_MODELS": inputs.path]),
                           mentions: "Scripts/setup.sh", directory: dir)
    }
}

@Suite("tween pair: quality gate",
       .enabled(if: weightsReady && Fixtures.available(Fixtures.shared.appendingPathComponent("data/ucf101")),
                "run Scripts/setup.sh and put shared/ beside the checkout"))
struct PairGateTests {
    @Test("every frame's score and parts are printed; a cut is held (the nearer input written); --mode is checked")
    func gate() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runTween(["pair", demoA, demoB, "-o", dir.appendingPathComponent("f.png").path, "--count", "3", "--mode", "advanced"])
        #expect(r.status == 0, "\(r.stderr)")
        for t in ["0.25", "0.5", "0.75"] { #expect(r.stdout.contains("t = \(t): score 0."), "\(r.stdout)") }

        let bunny = Fixtures.shared.appendingPathComponent("fixtures/lpips/bbb_0040_vs_0042_crop256_y200_x500_a.png").path
        let ucf = Fixtures.shared.appendingPathComponent("data/ucf101/1/frame_00.png").path
        let out = dir.appendingPathComponent("cut.png")
        let cut = try runTween(["pair", bunny, ucf, "-o", out.path, "--t", "0.4"])
        #expect(cut.status == 0 && cut.stdout.contains("HELD"), "\(cut.stdout) \(cut.stderr)")
        #expect(try PNG.read(out).pixels == (try PNG.read(URL(fileURLWithPath: bunny)).pixels))

        let bad = try runTween(["pair", demoA, demoB, "-o", dir.appendingPathComponent("x.png").path, "--mode", "slow"])
        expectUsageError(bad, mentions: "Please provide one of 'fast', 'production' or 'advanced'", directory: dir,
                         preexisting: Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []))
    }
}
