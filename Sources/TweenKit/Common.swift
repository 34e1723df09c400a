import Foundation
public import Interpolation
import Checkpoint
public import MediaIO
import Models
public import TensorCore

/// A problem with a job's input, options or environment, said in one line (`FILE: reason`).
/// Every failure a job reports is one of these; the CLI prints it as `tween: error: …` with exit 1.
public struct TweenError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    /// Control characters (which a file can smuggle into a name: an ESC sequence clears a terminal)
    /// are shown as `\u{1B}` escapes, never passed through.
    public init(_ message: String) {
        self.message = String(message.unicodeScalars.map { scalar -> String in
            let v = scalar.value
            guard v < 0x20 || (0x7F...0x9F).contains(v) else { return String(scalar) }
            return "\\u{" + String(v, radix: 16, uppercase: true) + "}"
        }.joined())
    }
    public var description: String { message }
}

/// The job was cancelled (task cancellation, or `JobCancellation.cancel()`); its partial output is gone.
public struct JobCancelled: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "cancelled; partial output removed" }
}

/// A flag a job polls between frames. Swift task cancellation sets it (see `VideoJob.events()`); a
/// signal handler or another thread may set it too.
public final class JobCancellation: @unchecked Sendable {  // `cancelled` is guarded by `lock`
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
    func check() throws(JobCancelled) { if isCancelled { throw JobCancelled() } }
}

/// The network and how it runs: shared by every job's options (and the CLI's `EngineOptions`).
public struct EngineSettings: Codable, Sendable, Equatable {
    public var model: InterpolationModel = .rifeV425
    /// fast / production / advanced: the gate's floor, re-runs, and the default precision.
    public var mode: QualityMode = .production
    /// nil: the mode's choice (`QualityMode.defaultPrecision`).
    public var precision: Precision? = nil
    /// RIFE's flow resolution: 1 = full, 0.5 for 4K, 2 for small inputs.
    public var scale: Double = 1
    /// A checkpoint; nil: the model's file in the models directory.
    public var weights: String? = nil
    /// The most memory a job may need, in bytes (`MemoryBudget`); nil: `MemoryBudget.defaultLimit`.
    public var maxMemory: Int? = nil
    public init() {}
}

extension TweenError {
    /// `error` as a `TweenError`: itself, or its description after `context` (every failure a job
    /// reports is one line, sanitised); `JobCancelled` passes through.
    static func wrapping(_ error: any Error, context: String) -> any Error {
        switch error {
        case is TweenError, is JobCancelled: error
        case let e as OutputError: TweenError(e.message)
        default: TweenError("\(context): \(error)")
        }
    }
}

extension OutputError {
    var asTweenError: TweenError { TweenError(message) }
}

extension QualityMode {
    /// The precision a mode runs RIFE v4.25's convolutions in when none is asked for: `fast` takes
    /// `Precision.fastest` (bf16 only where it is measured faster than f32), the other modes f32.
    public func defaultPrecision(model: InterpolationModel) -> Precision {
        self == .fast && model == .rifeV425 ? Precision.fastest.precision : .float32
    }
}

extension Precision {
    /// The faster convolution precision on this CPU, with the reason in words.
    ///
    /// Rule, from measurements (BENCHMARKS.md, "fast mode's precision"): bf16 pays only where the
    /// CPU multiplies bf16 natively *and* fast: AMX (Intel Sapphire Rapids and later) or AMD Zen 4
    /// and later (AVX512-BF16 on AMD). On Intel CPUs with AVX512-BF16 but no AMX (Cooper Lake, or
    /// AMX unavailable), bf16 ran at 0.67–0.69× of f32's speed, so f32 is chosen there.
    public static let fastest: (precision: Precision, reason: String) =
        fastest(isa: Precision.cpuInstructionSet, vendor: cpuVendor, bfloat16Supported: Precision.bfloat16.isSupported)

    /// The rule behind `fastest`, for any CPU: oneDNN's effective ISA and `/proc/cpuinfo`'s vendor.
    public static func fastest(isa: String, vendor: String?, bfloat16Supported: Bool) -> (precision: Precision, reason: String) {
        guard bfloat16Supported else { return (.float32, "\(isa): no native bf16") }
        if isa.contains("amx") { return (.bfloat16, "\(isa): AMX") }
        if vendor == "AuthenticAMD" { return (.bfloat16, "\(isa) on AMD (Zen 4 or later)") }
        return (.float32, "\(isa) on \(vendor ?? "an unknown vendor") without AMX: bf16 measured slower than f32")
    }

    /// `vendor_id` from /proc/cpuinfo (GenuineIntel, AuthenticAMD), nil where it cannot be read.
    static let cpuVendor: String? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("vendor_id") {
            return line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }()

    /// What ran, for summaries and reports: the precision and the CPU path oneDNN took.
    public var cpuPath: String { "\(rawValue) on \(Precision.cpuInstructionSet)" }

    /// `requested`, or the mode's default; a requested bf16 the CPU or model cannot run is refused
    /// (running it emulated or silently in f32 would mislabel every number that follows).
    public static func choose(_ requested: Precision?, model: InterpolationModel, mode: QualityMode) throws(TweenError) -> Precision {
        guard let requested else { return mode.defaultPrecision(model: model) }
        if requested != .float32, model != .rifeV425 { throw TweenError("--precision \(requested.rawValue) needs --model rife-v4.25") }
        do { try requested.requireSupported() } catch let e as UnsupportedPrecisionError {
            throw TweenError("--precision \(e)")
        } catch { throw TweenError("--precision \(error)") }
        return requested
    }
}

/// The flow resolutions RIFE is used at (`scale`); anything else is refused with one line.
public func checkScale(_ scale: Double) throws(TweenError) {
    guard [0.25, 0.5, 1, 2, 4].contains(scale) else {
        throw TweenError("--scale must be one of 0.25, 0.5, 1, 2, 4 (got \(scale))")
    }
}

/// Refuses, before any work, a report file (`--report`, `--html`, `--review`) that could not be
/// written or that would replace an input.
func checkReportFiles(_ files: [(flag: String, path: String?)], inputs: [URL]) throws(TweenError) {
    for (flag, path) in files {
        guard let path else { continue }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw TweenError("\(flag) \(path): the folder \(directory) does not exist or is not writable")
        }
        do { try StagedOutput.check(url, kind: .file, inputs: inputs, force: true) } catch { throw TweenError("\(flag) \(error.message)") }
    }
}

/// Reads a PNG, turning a failure into one line.
public func readImage(_ path: String) throws(TweenError) -> RGBImage {
    guard FileManager.default.fileExists(atPath: path) else { throw TweenError("\(path): no such file") }
    do { return try PNG.read(URL(fileURLWithPath: path)) } catch let e as ImageError { throw TweenError(e.message) } catch {
        throw TweenError("\(path): \(error)")
    }
}

/// Splits `MASK.png:VALUE` at the last colon (so a path may contain colons).
func splitMaskArgument(_ argument: String, option: String, valueName: String) throws(TweenError) -> (path: String, value: String) {
    guard let colon = argument.lastIndex(of: ":") else {
        throw TweenError("\(option) must look like MASK.png:\(valueName) (got \(argument))")
    }
    return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
}

/// A grayscale mask PNG of the frames' size as weights [1, 1, H, W] in [0, 1] (its first channel / 255).
func readMask(_ path: String, width: Int, height: Int) throws(TweenError) -> Tensor {
    let image = try readImage(path)
    guard image.width == width, image.height == height else {
        throw TweenError("\(path) is \(image.width)x\(image.height) but the frames are \(width)x\(height); a mask must be the same size")
    }
    let mask = (0..<(width * height)).map { Float(image.pixels[$0 * 3]) / 255 }
    return Tensor(shape: [1, 1, height, width], scalars: mask)
}

/// Parses `MASK.png:T` and reads the mask as weights in [0, 1].
func readTimeRegion(_ argument: String, width: Int, height: Int) throws(TweenError) -> TimeRegion {
    let (path, value) = try splitMaskArgument(argument, option: "--time-map", valueName: "T")
    guard let t = Double(value) else { throw TweenError("--time-map must look like MASK.png:T (got \(argument))") }
    guard t >= 0, t <= 1 else { throw TweenError("--time-map \(argument): T must be in [0, 1]") }
    return TimeRegion(mask: try readMask(path, width: width, height: height), t: Float(t))
}

/// Loading weights: `weights` or the model's file in the models directory, a bad file in one line.
public enum EngineLoader {
    /// `weights` or the default path, checked to exist.
    static func url(_ weights: String?, default fallback: URL) throws(TweenError) -> URL {
        let url = weights.map { URL(fileURLWithPath: $0) } ?? fallback
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TweenError(weights == nil
                ? "no weights at \(url.path); run Scripts/setup.sh (or set TWEEN_MODELS, or pass --weights)"
                : "\(url.path): no such file")
        }
        return url
    }

    static func load<Engine>(_ weights: String?, default fallback: URL, _ load: (URL) throws -> Engine) throws(TweenError) -> Engine {
        let url = try url(weights, default: fallback)
        do { return try load(url) } catch let e as CheckpointError {
            throw TweenError("cannot load weights: \(e.message)")
        } catch let e as UnsupportedPrecisionError {
            throw TweenError("--precision \(e)")
        } catch {
            throw TweenError("cannot load weights from \(url.path): \(error)")
        }
    }

    /// RIFE v4.25 from `weights` or the models directory.
    public static func rifeV425(weights: String?, scale: Double, precision: Precision = .float32) throws(TweenError) -> Interpolator {
        try load(weights, default: ModelDirectory.rifeV425) { try Interpolator(contentsOf: $0, scale: scale, precision: precision) }
    }

    /// RIFE HDv3 from `weights` or the models directory.
    public static func rifeHDv3(weights: String?, scale: Double) throws(TweenError) -> MidpointInterpolator {
        try load(weights, default: ModelDirectory.rifeHDv3) { try MidpointInterpolator(contentsOf: $0, scale: scale) }
    }

    /// `model` as a frame interpolator; `iterative` > 1 reaches each time in that many steps (v4.25 only).
    public static func engine(_ model: InterpolationModel, weights: String?, scale: Double, iterative: Int = 1,
                              precision: Precision = .float32) throws(TweenError) -> any FrameInterpolating {
        guard (1...16).contains(iterative) else { throw TweenError("--iterative must be between 1 and 16 (got \(iterative))") }
        if iterative > 1 {
            guard model == .rifeV425 else { throw TweenError("--iterative needs --model rife-v4.25 (it asks for arbitrary times)") }
            return IterativeInterpolator(base: try rifeV425(weights: weights, scale: scale, precision: precision), steps: iterative)
        }
        if model == .rifeV425 { return try rifeV425(weights: weights, scale: scale, precision: precision) }
        return try load(weights, default: model.defaultWeights) { try model.load(contentsOf: $0, scale: scale) }
    }
}
