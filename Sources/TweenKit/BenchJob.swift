import Foundation
public import Interpolation
import MediaIO
import Models
public import TensorCore

/// What `tween bench` is asked to time.
public struct BenchOptions: Codable, Sendable, Equatable {
    /// `WIDTHxHEIGHT`; empty: 448x256 and 1280x720.
    public var sizes: [String] = []
    /// Timed runs per size, after one warm-up run.
    public var runs: Int = 5
    public var scale: Double = 1
    public var weights: String? = nil
    public var model: InterpolationModel = .rifeV425
    /// Empty: f32. Several alternate run by run and their speed-up is printed.
    public var precisions: [Precision] = []
    /// Where the demo pair lives (`Examples/demo`); nil: found from the working folder or the executable.
    public var demoFolder: String? = nil
    public init() {}
}

/// Times the engine per input size on the demo pair tiled to that size and reports peak memory,
/// as a Markdown table and per-stage notes (release builds only give meaningful numbers).
public struct BenchJob {
    public let options: BenchOptions
    public init(_ options: BenchOptions) { self.options = options }

    private var runs: Int { options.runs }
    private var scale: Double { options.scale }
    private var weights: String? { options.weights }

    /// One engine to time: the model at one precision. `time` runs one pair and returns the seconds
    /// of the whole pair and of the network alone (Head features reused).
    private struct Engine {
        let precision: Precision
        let time: (_ frame0: Tensor, _ frame1: Tensor, StageClock) throws -> (pair: Double, net: Double)
        /// Convolution FLOPs per stage of one pair at a padded size (RIFE v4.25 only).
        let flops: ((_ height: Int, _ width: Int) -> [String: Double])?
    }

    /// Runs the benchmark, handing each line of the table and notes to `output` as it is ready.
    public func run(output: (String) -> Void) throws {
        let sizes = options.sizes, precisions = options.precisions, model = options.model
        guard runs >= 1 else { throw TweenError("--runs must be at least 1") }
        let parsed = try (sizes.isEmpty ? ["448x256", "1280x720"] : sizes).map(parseSize)
        let chosen = model
        try checkScale(scale)
        var chosenPrecisions: [Precision] = []
        for requested in precisions.isEmpty ? [Precision.float32] : precisions {
            let precision = try Precision.choose(requested, model: chosen, mode: .production)
            if !chosenPrecisions.contains(precision) { chosenPrecisions.append(precision) }
        }
        let a = try readImage(demoPath("I0_0.png")).tensor, b = try readImage(demoPath("I0_1.png")).tensor
        let engines = try makeEngines(chosen, chosenPrecisions)
        output("\(chosen.rawValue), \(chosenPrecisions.map(\.rawValue).joined(separator: " vs ")), scale \(scale), t = 0.5, "
              + "\(ProcessInfo.processInfo.activeProcessorCount) cores, CPU \(Precision.cpuInstructionSet), \(runs) runs after 1 warm-up"
              + (engines.count > 1 ? ", precisions alternating run by run" : "")
              + "; --mode fast would run \(Precision.fastest.precision.rawValue) (\(Precision.fastest.reason))")
        output("| input | padded | precision | pair: 2×Head + net, median | min | net only (Head reused), median | min | peak RSS |")
        output("|---|---|---|---|---|---|---|---|")
        var notes: [String] = []
        for (w, h) in parsed {
            let frame0 = tiled(a, height: h, width: w), frame1 = tiled(b, height: h, width: w)
            var pair = [[Double]](repeating: [], count: engines.count), net = pair
            var stages = [[String: [Double]]](repeating: [:], count: engines.count)
            var stageOrder: [String] = []
            for i in 0...runs {
                // Alternating precisions within each run puts them under the same load on a shared machine.
                for (e, engine) in engines.enumerated() {
                    let clock = StageClock()
                    let (pairSeconds, netSeconds) = try engine.time(frame0, frame1, clock)
                    if i > 0 {  // run 0 compiles oneDNN kernels, packs weights and faults in memory
                        pair[e].append(pairSeconds)
                        net[e].append(netSeconds)
                        for label in clock.order { stages[e][label, default: []].append(clock.seconds[label]!) }
                        stageOrder = clock.order
                    }
                }
            }
            let padded = chosen == .rifeHDv3 ? RIFEHDv3.paddedSize(height: h, width: w, scale: scale)
                                             : RIFEv425.paddedSize(height: h, width: w, scale: scale)
            for (e, engine) in engines.enumerated() {
                output("| \(w)x\(h) | \(padded.width)x\(padded.height) | \(engine.precision.rawValue) | \(fmt(median(pair[e]))) s | "
                      + "\(fmt(pair[e].min()!)) s | \(fmt(median(net[e]))) s | \(fmt(net[e].min()!)) s | \(MemoryBudget.peakResidentMiB()) MiB |")
                // GFLOP/s of each stage's convolutions over the stage's whole time (warps and the rest included).
                let flops = engine.flops?(padded.height, padded.width) ?? [:]
                notes.append("\(w)x\(h) \(engine.precision.rawValue): " + stageOrder.map { label in
                    let seconds = median(stages[e][label]!)
                    let rate = flops[label].map { String(format: " (%.0f GFLOP/s)", $0 / seconds / 1e9) } ?? ""
                    return "\(label) \(fmt(seconds * 1000)) ms\(rate)"
                }.joined(separator: ", ") + (flops.isEmpty ? "" : String(
                    format: "; pair %.2f GFLOP of convolutions, %.0f GFLOP/s", flops.values.reduce(0, +) / 1e9,
                    flops.values.reduce(0, +) / median(pair[e]) / 1e9)))
            }
            for e in engines.indices.dropFirst() {
                // Ratios of runs taken back to back, then their median: robust to load that drifts.
                let speedup = median(zip(pair[0], pair[e]).map { $0 / $1 })
                let stageSpeedups = stageOrder.map { label in
                    "\(label) ×\(fmt(median(zip(stages[0][label]!, stages[e][label]!).map { $0 / $1 })))"
                }
                notes.append("\(w)x\(h) \(engines[e].precision.rawValue) speed-up over \(engines[0].precision.rawValue) "
                             + "(median of per-run ratios): pair ×\(fmt(speedup)); " + stageSpeedups.joined(separator: ", "))
            }
        }
        output("\nper stage, median (head = both frames; GFLOP/s = the stage's convolution arithmetic over its whole time):")
        for line in notes { output("  " + line) }
    }

    /// The model loaded once; with several precisions the engines share its weights.
    private func makeEngines(_ chosen: InterpolationModel, _ precisions: [Precision]) throws -> [Engine] {
        let loaded = try EngineLoader.engine(chosen, weights: weights, scale: scale)
        guard let interpolator = loaded as? Interpolator else {
            // HDv3 has no per-frame encoder (and only f32): the pair time is the network time.
            let midpoint = loaded as! MidpointInterpolator
            return [Engine(precision: .float32, time: { frame0, frame1, clock in
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try midpoint.midpoint(frame0, frame1, clock: clock)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                return (seconds, seconds)
            }, flops: nil)]
        }
        return try precisions.map { precision in
            let engine = Interpolator(model: try interpolator.model.computing(in: precision), scale: scale)
            let scale = scale
            return Engine(precision: precision, time: { frame0, frame1, clock in
                let t0 = DispatchTime.now().uptimeNanoseconds
                let p0 = try engine.prepare(frame0, clock: clock), p1 = try engine.prepare(frame1, clock: clock)
                let t1 = DispatchTime.now().uptimeNanoseconds
                _ = try engine.run(p0, p1, time: .uniform(0.5), clock: clock)
                let t2 = DispatchTime.now().uptimeNanoseconds
                return (Double(t2 - t0) / 1e9, Double(t2 - t1) / 1e9)
            }, flops: { height, width in engine.model.convolutionFLOPs(height: height, width: width, scale: scale) })
        }
    }

    private func demoPath(_ name: String) throws -> String {
        if let folder = options.demoFolder { return URL(fileURLWithPath: folder).appendingPathComponent(name).path }
        // The demo pair ships with the repository; find it from the working directory or the executable.
        let candidates = [FileManager.default.currentDirectoryPath + "/Examples/demo/" + name,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                            .appendingPathComponent("../../../Examples/demo/\(name)").standardizedFileURL.path]
        guard let found = candidates.first(where: FileManager.default.fileExists(atPath:)) else {
            throw TweenError("Examples/demo/\(name) not found; run tween bench from the repository root")
        }
        return found
    }
}

private func parseSize(_ s: String) throws -> (Int, Int) {
    let parts = s.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] <= 8192, parts[1] <= 8192 else {
        throw TweenError("--size must look like 1280x720 (got \(s))")
    }
    return (parts[0], parts[1])
}

/// Repeats `image` to fill `height × width` (real image content at any size, no resampling).
private func tiled(_ image: Tensor, height: Int, width: Int) -> Tensor {
    var out = Tensor(shape: [1, 3, height, width])
    for c in 0..<3 { for y in 0..<height { for x in 0..<width {
        out[0, c, y, x] = image[0, c, y % image.h, x % image.w]
    } } }
    return out
}

private func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

private func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
