import ArgumentParser
import Foundation

/// `tween`: video frame interpolation on the CPU.
struct Tween: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tween",
        abstract: "Make the frames between frames (RIFE v4.25 on the CPU).",
        subcommands: [PairCommand.self, BenchCommand.self, EvalCommand.self])
}

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
