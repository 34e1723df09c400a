import ArgumentParser
import Foundation

/// `tween`: video frame interpolation on the CPU.
struct Tween: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tween",
        abstract: "Make the frames between frames (RIFE v4.25 on the CPU).",
        subcommands: [VideoCommand.self, PairCommand.self, BenchCommand.self])
}

// Errors the commands detect themselves print as one line and exit 1; argument-syntax
// errors get ArgumentParser's usual message.
// A write to an ffmpeg that has exited must fail with EPIPE (reported with ffmpeg's own message),
// not kill us with SIGPIPE.
signal(SIGPIPE, SIG_IGN)
do {
    var command = try Tween.parseAsRoot()
    try command.run()
} catch let error as UserError {
    FileHandle.standardError.write(Data("tween: error: \(error.message)\n".utf8))
    exit(1)
} catch {
    Tween.exit(withError: error)
}
