import ArgumentParser
import Checkpoint
import Foundation
import Interpolation
import MediaIO
import Models
import TensorCore

/// `tween pair A B -o OUT (--t T | --count N)`: frames between two images.
struct PairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pair",
        abstract: "Interpolate between two PNG images.",
        discussion: """
            With --t, writes one frame at time t (0 = A, 1 = B) to OUT.
            With --count N, writes N evenly spaced frames (t = 1/(N+1) … N/(N+1)) as OUT_001.png, OUT_002.png, …
            Outputs are written to temporary files and renamed at the end; nothing is left behind on failure.
            """)

    @Argument(help: "The first image (PNG).") var first: String
    @Argument(help: "The second image (PNG), same size as the first.") var second: String
    @Option(name: .shortAndLong, help: "Output PNG path (with --count, the base name of the numbered files).") var output: String
    @Option(name: .customLong("t"), help: "Time of the output frame, in [0, 1].") var time: Double?
    @Option(help: "Number of evenly spaced frames to write (≥ 1).") var count: Int?
    @Option(help: "Flow resolution: 1 = full, 0.5 for 4K, 2 for small images.") var scale: Double = 1
    @Option(help: "Weights file (default: the RIFE v4.25 checkpoint in the models directory).") var weights: String?
    @Flag(help: "Overwrite existing output files.") var force = false

    func run() throws {
        let plan = try OutputPlan(output: output, time: time, count: count, inputs: [first, second], force: force)
        guard [0.25, 0.5, 1, 2, 4].contains(scale) else {
            throw UserError("--scale must be one of 0.25, 0.5, 1, 2, 4 (got \(scale))")
        }
        let imageA = try readImage(first), imageB = try readImage(second)
        guard imageA.width == imageB.width, imageA.height == imageB.height else {
            throw UserError("\(first) is \(imageA.width)x\(imageA.height) but \(second) is \(imageB.width)x\(imageB.height); the two images must be the same size")
        }
        let interpolator = try loadInterpolator(weights: weights, scale: scale)

        let started = Date()
        let frames = interpolator.interpolate(imageA.tensor, imageB.tensor, times: plan.times.map(Float.init))
        let seconds = Date().timeIntervalSince(started)
        try plan.write(frames.map(RGBImage.init(tensor:)))
        let perFrame = String(format: "%.3f", seconds / Double(frames.count))
        print("wrote \(plan.destinations.map(\.path).joined(separator: ", ")) (\(imageA.width)x\(imageA.height), \(perFrame) s per frame)")
    }
}

/// Reads a PNG, turning a failure into one user-facing line.
func readImage(_ path: String) throws -> RGBImage {
    guard FileManager.default.fileExists(atPath: path) else { throw UserError("\(path): no such file") }
    do { return try PNG.read(URL(fileURLWithPath: path)) } catch let e as ImageError { throw UserError(e.message) }
}

/// Loads RIFE v4.25 from `weights` or the models directory.
func loadInterpolator(weights: String?, scale: Double) throws -> Interpolator {
    let url = weights.map { URL(fileURLWithPath: $0) } ?? ModelDirectory.rifeV425
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw UserError(weights == nil
            ? "no weights at \(url.path); run Scripts/setup.sh (or set TWEEN_MODELS, or pass --weights)"
            : "\(url.path): no such file")
    }
    do { return try Interpolator(contentsOf: url, scale: scale) } catch let e as CheckpointError {
        throw UserError("cannot load weights: \(e.message)")
    }
}

/// Which times to render and where each frame goes; checks everything before any work is done.
struct OutputPlan {
    let times: [Double]
    let destinations: [URL]

    init(output: String, time: Double?, count: Int?, inputs: [String], force: Bool) throws {
        switch (time, count) {
        case (.some, .some): throw UserError("give either --t or --count, not both")
        case (nil, nil): times = [0.5]
        case (let t?, nil):
            guard t >= 0, t <= 1 else { throw UserError("--t must be in [0, 1] (got \(t))") }
            times = [t]
        case (nil, let n?):
            guard n >= 1 else { throw UserError("--count must be at least 1 (got \(n))") }
            guard n <= 10_000 else { throw UserError("--count must be at most 10000 (got \(n))") }
            times = (1...n).map { Double($0) / Double(n + 1) }
        }
        let base = URL(fileURLWithPath: output)
        guard base.pathExtension.lowercased() == "png" else { throw UserError("\(output): output must be a .png file") }
        if count == nil {
            destinations = [base]
        } else {
            let stem = base.deletingPathExtension().lastPathComponent
            let width = max(3, String(times.count).count)
            destinations = (1...times.count).map { i in
                base.deletingLastPathComponent().appendingPathComponent(
                    "\(stem)_\(String(repeating: "0", count: max(0, width - String(i).count)))\(i).png")
            }
        }
        let inputPaths = Set(inputs.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        for url in destinations {
            if inputPaths.contains(url.standardizedFileURL.path) { throw UserError("\(url.path): output would overwrite an input") }
            if !force, FileManager.default.fileExists(atPath: url.path) {
                throw UserError("\(url.path) already exists (use --force to overwrite)")
            }
        }
        let directory = base.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UserError("\(directory): output directory does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw UserError("\(directory): output directory is not writable")
        }
    }

    /// Writes all frames, or none: each is staged under a hidden temporary name beside its
    /// destination and only renamed into place once every frame has been written.
    func write(_ images: [RGBImage]) throws {
        let staged = destinations.map {
            $0.deletingLastPathComponent().appendingPathComponent(".\($0.lastPathComponent).\(getpid()).partial")
        }
        defer { for url in staged { try? FileManager.default.removeItem(at: url) } }
        do {
            for (image, url) in zip(images, staged) { try PNG.write(image, to: url) }
        } catch let e as ImageError {
            throw UserError(e.message)
        }
        for (from, to) in zip(staged, destinations) where rename(from.path, to.path) != 0 {
            throw UserError("\(to.path): cannot move the finished frame into place (\(String(cString: strerror(errno))))")
        }
    }
}
