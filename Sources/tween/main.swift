import ArgumentParser
import Foundation
import TensorCore

/// `tween`: video frame interpolation on the CPU.
struct Tween: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tween",
        abstract: "Make the frames between frames (RIFE v4.25 on the CPU).",
        subcommands: [VideoCommand.self, PairCommand.self, EvalCommand.self, BenchCommand.self])
}

// A setting that only takes effect when glibc starts, so the process re-executes itself once with it
// in its environment (a caller's own value is kept): glibc serves large allocations with fresh
// mmaps, so every full-resolution temporary is faulted in and zeroed by the kernel again; keeping
// them on the heap reuses freed memory (720p: 1.05 → 0.74 s per pair at the same peak RSS).
// (OMP_WAIT_POLICY=PASSIVE was set here while Tween's kernels ran on Dispatch beside oneDNN's
// libgomp pool; now both run on libgomp's pool, whose default brief spin is what they want.)
if ProcessInfo.processInfo.environment["TWEEN_REEXECUTED"] == nil {
    setenv("TWEEN_REEXECUTED", "1", 1)
    setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296", 0)
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", arguments)
    // execv returns only on failure: carry on with the default policies.
}

// A write to an ffmpeg that has exited must fail with EPIPE (reported with ffmpeg's own message),
// not kill us with SIGPIPE.
signal(SIGPIPE, SIG_IGN)

// Errors the commands detect themselves, and oneDNN's refusals, print as one line and exit 1;
// argument-syntax errors get ArgumentParser's usual message.
do {
    var command = try Tween.parseAsRoot()
    try command.run()
} catch let error as UserError {
    FileHandle.standardError.write(Data("tween: error: \(error.message)\n".utf8))
    exit(1)
} catch let error as ConvolutionError {
    FileHandle.standardError.write(Data("tween: error: \(error)\n".utf8))
    exit(1)
} catch {
    Tween.exit(withError: error)
}
