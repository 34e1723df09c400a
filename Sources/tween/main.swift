import ArgumentParser
import Foundation

/// `tween`: video frame interpolation on the CPU.
struct Tween: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tween",
        abstract: "Make the frames between frames (RIFE v4.25 on the CPU).",
        subcommands: [VideoCommand.self, PairCommand.self, EvalCommand.self, BenchCommand.self])
}

// Two settings that only take effect when a library is loaded, so the process re-executes itself
// once with them in its environment (a caller's own values are kept):
// - oneDNN runs on libgomp, whose idle workers spin for a while after every parallel region and so
//   steal a core from Tween's own kernels between convolutions (720p: Head 381 → 135 ms, block 0
//   386 → 98 ms with passive waiting).
// - glibc serves large allocations with fresh mmaps, so every full-resolution temporary is faulted in
//   and zeroed by the kernel again; keeping them on the heap reuses freed memory (720p: 1.05 → 0.74 s
//   per pair at the same peak RSS).
if ProcessInfo.processInfo.environment["TWEEN_REEXECUTED"] == nil {
    setenv("TWEEN_REEXECUTED", "1", 1)
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0)
    setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296", 0)
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", arguments)
    // execv returns only on failure: carry on with the default policies.
}

// A write to an ffmpeg that has exited must fail with EPIPE (reported with ffmpeg's own message),
// not kill us with SIGPIPE.
signal(SIGPIPE, SIG_IGN)

// Errors the commands detect themselves print as one line and exit 1; argument-syntax
// errors get ArgumentParser's usual message.
do {
    var command = try Tween.parseAsRoot()
    try command.run()
} catch let error as UserError {
    FileHandle.standardError.write(Data("tween: error: \(error.message)\n".utf8))
    exit(1)
} catch {
    Tween.exit(withError: error)
}
