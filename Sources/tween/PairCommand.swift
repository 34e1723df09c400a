import ArgumentParser
import Interpolation
import TweenKit

/// `tween pair A B -o OUT (--t T | --count N)`: parses, then hands the job to TweenKit's `PairJob`.
struct PairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pair",
        abstract: "Interpolate between two PNG images.",
        discussion: """
            With --t, writes one frame at time t (0 = A, 1 = B) to OUT.
            With --count N, writes N evenly spaced frames (t = 1/(N+1) … N/(N+1)) as OUT_001.png, OUT_002.png, …
            Outputs are written to temporary files and renamed at the end; nothing is left behind on failure.
            --model rife-hdv3 makes only the midpoint natively: other times come from recursive bisection, so
            --t must be dyadic (0.5, 0.25, 0.375, …) and --count must be 2^k − 1 (1, 3, 7, 15, …).
            """)

    @Argument(help: "The first image (PNG).") var first: String
    @Argument(help: "The second image (PNG), same size as the first.") var second: String
    @Option(name: .shortAndLong, help: "Output PNG path (with --count, the base name of the numbered files).") var output: String
    // `.unconditional` takes the next word as the value even when it starts with '-', so a negative
    // time is refused with its own message rather than "Missing value".
    @Option(name: .customLong("t"), parsing: .unconditional, help: "Time of the output frame, in [0, 1].") var time: Double?
    @Option(parsing: .unconditional, help: "Number of evenly spaced frames to write (≥ 1).") var count: Int?
    @OptionGroup var engine: EngineOptions
    @Option(name: .customLong("time-map"),
            help: "MASK.png:T — pixels of the grayscale mask (white = 1, soft edges allowed) follow time T; repeatable, later maps on top; --t is the background time.")
    var timeMaps: [String] = []
    @Option(help: "How a time map is rendered: flow-blend (one pass per distinct t, flows and masks mixed; exact inside regions) or single (one pass with a per-pixel t; smears near edges).")
    var timeMapMode: TimeMapMode = .flowBlend
    @Flag(help: "Overwrite existing output files.") var force = false

    func run() throws {
        var options = PairOptions(first: first, second: second, output: output)
        options.t = time
        options.count = count
        options.engine = engine.settings
        options.timeMaps = timeMaps
        options.timeMapMode = timeMapMode
        options.force = force
        let report = try PairJob(options).run()
        print(report.text)
        for line in report.verdicts { print(line) }
    }
}
