import Foundation

/// The ffmpeg tools, run as child processes.
public enum FFmpeg {
    /// Looks a tool up on `PATH` (`ffmpeg`, `ffprobe`).
    public static func path(of tool: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether both `ffmpeg` and `ffprobe` are installed.
    public static var isAvailable: Bool { path(of: "ffmpeg") != nil && path(of: "ffprobe") != nil }

    /// Terminates every ffmpeg child still running (for Ctrl-C: children must not outlive us
    /// and keep writing a file we are about to delete).
    public static func terminateAll() { ChildProcess.registry.terminateAll() }
}

/// A child process with its stderr drained on a background queue.
///
/// ffmpeg writes diagnostics to stderr while it streams; if nobody reads them, the pipe fills
/// (64 KiB) and ffmpeg blocks forever, and so do we. The last lines are kept for error messages.
final class ChildProcess: @unchecked Sendable {  // mutable state is guarded by `lock`
    let process = Process()
    let input: Pipe?
    let output: Pipe?
    private let errors = Pipe()
    private let drained = DispatchGroup()
    private let lock = NSLock()
    private var errorText = Data()

    /// Starts `tool` with `arguments`; `input`/`output` say whether we write its stdin / read its stdout.
    init(tool: String, arguments: [String], input: Bool, output: Bool) throws {
        guard let executable = FFmpeg.path(of: tool) else {
            throw MediaError("\(tool) not found; install ffmpeg (Scripts/setup.sh does)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        self.input = input ? Pipe() : nil
        self.output = output ? Pipe() : nil
        process.standardInput = self.input ?? FileHandle.nullDevice
        process.standardOutput = self.output ?? FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        ChildProcess.registry.add(self)
        let handle = errors.fileHandleForReading
        drained.enter()
        DispatchQueue.global().async { [self] in
            while let chunk = try? handle.read(upToCount: 4096), !chunk.isEmpty {
                lock.lock()
                errorText.append(chunk)
                if errorText.count > 65536 { errorText.removeFirst(errorText.count - 16384) }  // keep the tail
                lock.unlock()
            }
            drained.leave()
        }
    }

    /// Waits for the process to exit and its stderr to be drained; returns the exit status.
    func wait() -> Int32 {
        process.waitUntilExit()
        drained.wait()
        ChildProcess.registry.remove(self)
        return process.terminationStatus
    }

    /// Stops the process (SIGTERM, then SIGKILL if it has not gone within a second).
    func kill() {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
        if process.isRunning { Foundation.kill(pid, SIGKILL) }
    }

    /// The last non-empty line ffmpeg wrote to stderr, without its "[codec @ 0x…]" prefix noise.
    var lastErrorLine: String {
        lock.lock(); defer { lock.unlock() }
        let lines = String(decoding: errorText, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.last ?? "no message"
    }

    /// Every running child, so Ctrl-C can stop them all.
    static let registry = Registry()

    final class Registry: @unchecked Sendable {  // guarded by `lock`
        private let lock = NSLock()
        private var children: [ObjectIdentifier: ChildProcess] = [:]
        func add(_ c: ChildProcess) { lock.lock(); children[ObjectIdentifier(c)] = c; lock.unlock() }
        func remove(_ c: ChildProcess) { lock.lock(); children[ObjectIdentifier(c)] = nil; lock.unlock() }
        func terminateAll() {
            lock.lock(); let all = Array(children.values); lock.unlock()
            for c in all { c.kill() }
        }
    }
}
