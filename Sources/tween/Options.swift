public import ArgumentParser
import Evaluation
import Interpolation
import MediaIO
import TensorCore
import TweenKit

// Enums parse themselves; a bad value is ArgumentParser's usage error, listing the choices (exit 64).
extension QualityMode: ExpressibleByArgument {}
extension InterpolationModel: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension VideoCodec: ExpressibleByArgument {}
extension TimeMapMode: ExpressibleByArgument {}
extension EvaluationMethod: ExpressibleByArgument {}
extension VideoOptions.SlowmoAudio: ExpressibleByArgument {}

/// The options every command that runs the network shares.
struct EngineOptions: ParsableArguments {
    @Option(help: "Network: rife-v4.25 (any t) or rife-hdv3 (dyadic t only, by bisection).")
    var model: InterpolationModel = .rifeV425
    @Option(help: "Quality mode: fast, production (default) or advanced; see README, Quality gate.")
    var mode: QualityMode = .production
    @Option(help: """
        Convolution precision: f32 or bf16 (RIFE v4.25 only; needs AVX512-BF16 or AMX; see README). \
        Default: f32, except in --mode fast, which takes the faster of the two on this CPU (bf16 with AMX or on AMD Zen 4).
        """)
    var precision: Precision?
    @Option(help: "Flow resolution: 1 = full, 0.5 for 4K, 2 for small inputs.") var scale: Double = 1
    @Option(help: "Weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(name: .customLong("max-memory"),
            help: "The most memory a job may need (e.g. 8G, 512M); larger frames are refused before any work. Default: half of this machine's memory.")
    var maxMemory: ByteCount?

    var settings: EngineSettings {
        var settings = EngineSettings()
        settings.model = model
        settings.mode = mode
        settings.precision = precision
        settings.scale = scale
        settings.weights = weights
        settings.maxMemory = maxMemory?.bytes
        return settings
    }
}

/// `--max-memory`'s value: a size with a binary unit (`MemoryBudget.parse`).
struct ByteCount: ExpressibleByArgument {
    let bytes: Int
    init?(argument: String) {
        guard let bytes = MemoryBudget.parse(argument) else { return nil }
        self.bytes = bytes
    }
    static var defaultCompletionKind: CompletionKind { .default }
}
