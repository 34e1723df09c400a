import Foundation
public import Interpolation
import Models

/// How much memory a job will need, worked out before it starts, and the limit it must stay under.
///
/// The engine's peak for one pair is linear in the padded frame's pixels: `base + perMegapixel × MP`,
/// a fit that bounds every peak `tween bench` measured (VmHWM, one pair, f32; bf16 peaks lower),
/// with a few percent to spare because the same run reads a few MiB differently each time:
///
/// | model, scale | measured peak (MiB) at padded MP | base, per MP (MiB) |
/// |---|---|---|
/// | v4.25, 1 (and 0.5, 0.25) | 119 @ 0.131, 306 @ 0.983, 526 @ 2.21, 1646 @ 8.36; scale 0.5: 106, 281, 1894 @ 8.85 | 110, 225 |
/// | v4.25, 2 | 167 @ 0.131, 743 @ 0.983, 5633 @ 8.36 | 110, 700 |
/// | v4.25, 4 | 367 @ 0.131, 2216 @ 0.983 | 110, 2300 |
/// | HDv3, 1 (and 0.5, 0.25) | 106 @ 0.115, 479 @ 0.942, 950 @ 2.09, 3642 @ 8.36 | 70, 460 |
/// | HDv3, 2 | 201 @ 0.115, 1260 @ 0.942 | 70, 1350 |
/// | HDv3, 4 | not measured: four times scale 2's per-MP cost | 70, 5400 |
///
/// A video job adds what it holds outside the engine: 40 MiB of its own (pipes, the gate, the
/// report) and 15 bytes per frame pixel for every frame in flight (a Float32 frame and its 8-bit
/// copy): the two source frames and the output frames of one pair.
public enum MemoryBudget {
    static let mebibyte = 1 << 20

    /// The engine's peak for one pair of `width × height` frames.
    public static func enginePeak(width: Int, height: Int, model: InterpolationModel, scale: Double) -> Int {
        let padded = model == .rifeHDv3 ? RIFEHDv3.paddedSize(height: height, width: width, scale: scale)
                                        : RIFEv425.paddedSize(height: height, width: width, scale: scale)
        let megapixels = Double(padded.width) * Double(padded.height) / 1e6
        let (base, perMegapixel): (Double, Double) = switch (model, scale) {
        case (.rifeV425, ...1): (110, 225)
        case (.rifeV425, ...2): (110, 700)
        case (.rifeV425, _): (110, 2300)
        case (.rifeHDv3, ...1): (70, 460)
        case (.rifeHDv3, ...2): (70, 1350)
        case (.rifeHDv3, _): (70, 5400)
        }
        return Int((base + perMegapixel * megapixels) * Double(mebibyte))
    }

    /// A job's peak: the engine's plus 40 MiB plus `framesInFlight` frames at 15 bytes a pixel.
    public static func jobPeak(width: Int, height: Int, model: InterpolationModel, scale: Double, framesInFlight: Int) -> Int {
        enginePeak(width: width, height: height, model: model, scale: scale) + 40 * mebibyte + framesInFlight * 15 * width * height
    }

    /// Half of the memory this process may use: the machine's (MemTotal) or, inside a container or
    /// a systemd unit with a limit, that limit (cgroup v2 `memory.max`), whichever is smaller. The
    /// other half is left to ffmpeg, the page cache and whatever else runs.
    public static var defaultLimit: Int { usable / 2 }

    /// MemTotal, or the cgroup's limit when it is lower.
    static var usable: Int {
        var total = Int.max
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            total = kib * 1024
        }
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            total = min(total, limit)
        }
        return total == Int.max ? 8 << 30 : total
    }

    /// Parses `512M`, `8G`, `1.5G`, `2T` (binary units; K, M, G, T, with or without a trailing B or iB).
    public static func parse(_ text: String) -> Int? {
        var number = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where number.hasSuffix(suffix) { number.removeLast(suffix.count); break }
        guard let unit = number.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(unit)],
              let value = Double(number.dropLast()), value > 0, value.isFinite else { return nil }
        let bytes = value * pow(1024, Double(power))
        return bytes < Double(Int.max) ? Int(bytes) : nil
    }

    /// The process's peak resident set so far, in MiB.
    ///
    /// Read from `VmHWM` in /proc/self/status, the high-water mark of this process's own address
    /// space. `ru_maxrss` is not used first because Linux carries it across exec: a bench started from
    /// a big parent (the PyTorch comparison script, 3 GB after a 1080p run) reported the parent's peak
    /// (measured: 1513 MiB for a 64×64 bench launched from a 1.5 GB Python process; VmHWM says 84 MiB,
    /// as when run from a shell).
    public static func peakResidentMiB() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Int(line.dropFirst("VmHWM:".count).split(whereSeparator: \.isWhitespace).first ?? "") {
            return kib / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) / 1024  // KiB on Linux
    }

    /// `bytes` as `1.5 GiB` or `350 MiB`.
    public static func describe(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : "\(bytes / mebibyte) MiB"
    }

    /// Refuses, in one line, a job whose peak would pass `limit` (nil: `defaultLimit`).
    static func check(_ what: String, width: Int, height: Int, engine: EngineSettings, framesInFlight: Int) throws(TweenError) {
        let need = jobPeak(width: width, height: height, model: engine.model, scale: engine.scale, framesInFlight: framesInFlight)
        let limit = engine.maxMemory ?? defaultLimit
        guard need > limit else { return }
        let origin = engine.maxMemory == nil ? "the default budget, half of this machine's \(describe(usable))" : "--max-memory"
        throw TweenError("\(what): \(width)x\(height) frames need about \(describe(need)) with \(engine.model.rawValue) at --scale "
            + "\(engine.scale.formatted()), more than \(describe(limit)) (\(origin)); give a smaller input (e.g. ffmpeg -vf scale=iw/2:-2) "
            + "or more memory with --max-memory (a smaller --scale does not lower the peak)")
    }
}

private extension Double {
    func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
