import ArgumentParser
import Interpolation
import TensorCore
import TweenKit

/// `tween bench`: parses, then hands the timing to TweenKit's `BenchJob`, printing each line as it comes.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one interpolation per input size (median and min of several runs) and report peak memory.")

    @Option(name: .customLong("size"), help: "Input size WIDTHxHEIGHT; repeat for several (default 448x256 and 1280x720).")
    var sizes: [String] = []
    @Option(help: "Timed runs per size (after one warm-up run).") var runs: Int = 5
    @Option(help: "Flow resolution (RIFE scale).") var scale: Double = 1
    @Option(help: "Weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(help: "Network: rife-v4.25 or rife-hdv3.") var model: InterpolationModel = .rifeV425
    @Option(name: .customLong("precision"),
            help: "Convolution precision, f32 or bf16; repeat for both (runs alternate between them and the ratio is printed).")
    var precisions: [Precision] = []

    func run() throws {
        var options = BenchOptions()
        options.sizes = sizes
        options.runs = runs
        options.scale = scale
        options.weights = weights
        options.model = model
        options.precisions = precisions
        try BenchJob(options).run { print($0) }
    }
}
