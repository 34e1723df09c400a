import ArgumentParser
import Foundation
import MediaIO
import TensorCore
import TweenKit

/// `tween`: video frame interpolation on the CPU.
struct Tween: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tween",
        abstract: "Make the frames between frames (RIFE v4.25 on the CPU).",
        version: TweenVersion.line,
        subcommands: [VideoCommand.self, PairCommand.self, EvalCommand.self, BenchCommand.self])
}

ProcessSettings.applyAtStart()
Interruption.install()

// Errors the jobs detect themselves, and oneDNN's refusals (`tween bench` runs the engine directly),
// print as one line and exit 1; argument-syntax errors get ArgumentParser's usual message (exit 64).
do {
    var command = try Tween.parseAsRoot()
    try command.run()
} catch let error as TweenError {
    // Ctrl-C reaches the ffmpeg children too (one process group), so a pipe can break a moment
    // before our own handler runs; then the failure is the interruption (it exits 130 itself).
    Interruption.settle()
    Terminal.clearLine()
    FileHandle.standardError.write(Data("tween: error: \(error.message)\n".utf8))
    exit(1)
} catch is JobCancelled {
    Terminal.clearLine()
    FileHandle.standardError.write(Data("tween: error: interrupted; partial output removed\n".utf8))
    exit(130)
} catch let error as ConvolutionError {
    Terminal.clearLine()
    FileHandle.standardError.write(Data("tween: error: \(TweenError("\(error)").message)\n".utf8))
    exit(1)
} catch {
    Tween.exit(withError: error)
}

/// Ctrl-C and SIGTERM: stop the ffmpeg children, delete every staged output, exit 128 + signal.
///
/// Signals are taken on a dispatch queue (not in an async-signal handler), so the clean-up can use
/// ordinary calls while the main thread may be deep inside the network.
enum Interruption {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    /// Set by the handler as it starts; it ends the process, so a caller that sees it set just waits.
    nonisolated(unsafe) private static var received: sig_atomic_t = 0

    /// Before reporting a failure: gives a signal that is on its way 50 ms to arrive, and never
    /// returns once one has (the handler exits with 128 + signal). Issue 19 measured 4 of 24 Ctrl-Cs
    /// ending as "encoding failed: no message" without it.
    static func settle() {
        usleep(50_000)
        while received != 0 { usleep(10_000) }
    }

    static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                received = 1
                FFmpeg.terminateAll()
                StagedOutput.discardAll()
                Terminal.clearLine()
                FileHandle.standardError.write(Data("tween: error: interrupted; partial output removed\n".utf8))
                _exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// The live line on stderr (only on a terminal).
enum Terminal {
    static let isTerminal = isatty(STDERR_FILENO) != 0
    static func clearLine() { if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
    static func show(_ line: String) { if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8)) } }

    /// `m:ss` or `h:mm:ss`.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
