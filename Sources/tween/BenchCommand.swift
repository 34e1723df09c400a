import ArgumentParser
import Foundation
import Interpolation
import MediaIO
import Models
import TensorCore

/// `tween bench`: times the engine per input size and prints a table (release builds only give meaningful numbers).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one interpolation per input size (median and min of several runs) and report peak memory.")

    @Option(name: .customLong("size"), help: "Input size WIDTHxHEIGHT; repeat for several (default 448x256 and 1280x720).")
    var sizes: [String] = []
    @Option(help: "Timed runs per size (after one warm-up run).") var runs: Int = 5
    @Option(help: "Flow resolution (RIFE scale).") var scale: Double = 1
    @Option(help: "Weights file (default: the chosen model's checkpoint in the models directory).") var weights: String?
    @Option(help: "Network: rife-v4.25 or rife-hdv3.") var model: String = InterpolationModel.rifeV425.rawValue

    func run() throws {
        guard runs >= 1 else { throw UserError("--runs must be at least 1") }
        let parsed = try (sizes.isEmpty ? ["448x256", "1280x720"] : sizes).map(parseSize)
        let chosen = try parseModel(model)
        let engine = try loadEngine(chosen, weights: weights, scale: scale)
        let a = try readImage(demoPath("I0_0.png")).tensor, b = try readImage(demoPath("I0_1.png")).tensor
        print("\(chosen.rawValue), fp32, scale \(scale), t = 0.5, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(runs) runs after 1 warm-up")
        print("| input | padded | pair: 2×Head + net, median | min | net only (Head reused), median | min | peak RSS |")
        print("|---|---|---|---|---|---|---|")
        var stageTables: [String] = []
        for (w, h) in parsed {
            let frame0 = tiled(a, height: h, width: w), frame1 = tiled(b, height: h, width: w)
            var pair: [Double] = [], net: [Double] = []
            var stages: [String: [Double]] = [:]
            var stageOrder: [String] = []
            for i in 0...runs {
                let clock = StageClock()
                let t0 = DispatchTime.now().uptimeNanoseconds
                let t1: UInt64
                if let interpolator = engine as? Interpolator {
                    let p0 = interpolator.prepare(frame0, clock: clock), p1 = interpolator.prepare(frame1, clock: clock)
                    t1 = DispatchTime.now().uptimeNanoseconds
                    _ = interpolator.run(p0, p1, time: .uniform(0.5), clock: clock)
                } else {
                    // HDv3 has no per-frame encoder: the pair time is the network time.
                    t1 = t0
                    _ = (engine as! MidpointInterpolator).midpoint(frame0, frame1, clock: clock)
                }
                let t2 = DispatchTime.now().uptimeNanoseconds
                if i > 0 {  // run 0 compiles oneDNN kernels and faults in memory
                    pair.append(Double(t2 - t0) / 1e9)
                    net.append(Double(t2 - t1) / 1e9)
                    for label in clock.order { stages[label, default: []].append(clock.seconds[label]!) }
                    stageOrder = clock.order
                }
            }
            stageTables.append("\(w)x\(h): " + stageOrder.map { "\($0) \(fmt(median(stages[$0]!) * 1000)) ms" }.joined(separator: ", "))
            let padded = chosen == .rifeHDv3 ? RIFEHDv3.paddedSize(height: h, width: w, scale: scale)
                                             : RIFEv425.paddedSize(height: h, width: w, scale: scale)
            print("| \(w)x\(h) | \(padded.width)x\(padded.height) | \(fmt(median(pair))) s | \(fmt(pair.min()!)) s | \(fmt(median(net))) s | \(fmt(net.min()!)) s | \(peakRSSMiB()) MiB |")
        }
        print("\nper stage, median (head = both frames):")
        for line in stageTables { print("  " + line) }
    }

    private func demoPath(_ name: String) throws -> String {
        // The demo pair ships with the repository; find it from the working directory or the executable.
        let candidates = [FileManager.default.currentDirectoryPath + "/Examples/demo/" + name,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                            .appendingPathComponent("../../../Examples/demo/\(name)").standardizedFileURL.path]
        guard let found = candidates.first(where: FileManager.default.fileExists(atPath:)) else {
            throw UserError("Examples/demo/\(name) not found; run tween bench from the repository root")
        }
        return found
    }
}

private func parseSize(_ s: String) throws -> (Int, Int) {
    let parts = s.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] <= 8192, parts[1] <= 8192 else {
        throw UserError("--size must look like 1280x720 (got \(s))")
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

/// The process's peak resident set so far, in MiB (Linux reports ru_maxrss in KiB).
func peakRSSMiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) / 1024
}
