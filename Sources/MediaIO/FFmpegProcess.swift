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
    /// - Parameter inheritOutput: the child writes to our own stdout (`tween video … -o -`).
    init(tool: String, arguments: [String], input: Bool, output: Bool, inheritOutput: Bool = false) throws {
        guard let executable = FFmpeg.path(of: tool) else {
            throw MediaError("\(tool) not found; install ffmpeg (Scripts/setup.sh does)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        self.input = input ? Pipe() : nil
        self.output = output ? Pipe() : nil
        process.standardInput = self.input ?? FileHandle.nullDevice
        process.standardOutput = self.output ?? (inheritOutput ? FileHandle.standardOutput : FileHandle.nullDevice)
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

    /// Starts `tool` reading `source`: a file's name is in `arguments`; a pipe's bytes are fed to
    /// the child's stdin: the prefix already read, then (`relay`) the rest of our stdin.
    convenience init(tool: String, arguments: [String], reading source: MediaInput, output: Bool, relay: Bool) throws {
        try self.init(tool: tool, arguments: arguments, input: source.stdinPrefix != nil, output: output)
        guard let prefix = source.stdinPrefix, let pipe = input else { return }
        let sink = pipe.fileHandleForWriting
        Thread.detachNewThread {
            // A child that stops reading (done, killed) makes the write fail: then stop quietly.
            do {
                try sink.write(contentsOf: prefix)
                if relay {
                    while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty {
                        try sink.write(contentsOf: chunk)
                    }
                }
            } catch {}
            try? sink.close()
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
