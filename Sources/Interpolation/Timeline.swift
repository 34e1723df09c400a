import Foundation

/// Where each output frame comes from: frame `k` of the output is shown at `k / outputRate`
/// seconds, which is source position `k · sourceRate / outputRate` (in source frames); its integer
/// part is the first frame of the pair and its fraction the time t in [0, 1). A variable-rate
/// source is placed by its frames' own timestamps instead (`sourceTimes`).
///
/// All of it is exact rational arithmetic (see `Rational`), so frame k's time never depends on
/// how many frames came before it, and the output lasts as long as the input: the input's
/// `count` frames last `count / sourceRate` seconds, and the output has the whole number of
/// output frames nearest to that (within half an output frame). Output frames past the last
/// source frame's time (the last `N-1` of `--multi N`) hold the last frame, as a player would.
public struct Timeline: Sendable, Equatable {
    /// What the user asked for.
    public enum Target: Sendable, Equatable {
        /// N output frames per source frame (N-1 new frames in each pair).
        case multiply(Int)
        /// A fixed output frame rate.
        case rate(Rational)
    }

    public let sourceRate: Rational
    public let outputRate: Rational
    /// For a variable-frame-rate source: every source frame's presentation time in seconds after
    /// the first (0 first, strictly increasing). Output frame k, shown at k / outputRate, then lies
    /// between the two source frames whose times bracket it, at t = (time − earlier) / (later −
    /// earlier); the last frame lasts as long as the gap before it. Nil: frames are 1 / sourceRate apart.
    public let sourceTimes: [Rational]?
    /// With `sourceTimes`: when the last source frame stops being shown (seconds after the first),
    /// when that is known — after `--dedup` the last distinct frame lasts as long as its repeats did.
    /// Nil: as long as the gap before it.
    public let sourceEnd: Rational?

    /// - Parameters:
    ///   - sourceTimes: see `sourceTimes`; `--multi N` on such a source means N × `sourceRate`.
    ///   - sourceEnd: see `sourceEnd`; after the last time.
    public init(sourceRate: Rational, target: Target, sourceTimes: [Rational]? = nil, sourceEnd: Rational? = nil) {
        precondition(sourceRate > Rational(0), "source rate must be positive")
        if let times = sourceTimes {
            precondition(times.first == Rational(0) && zip(times.dropFirst(), times).allSatisfy { $0 > $1 },
                         "source times must start at 0 and increase")
            if let end = sourceEnd, let last = times.last { precondition(end > last, "the source must end after its last frame") }
        }
        self.sourceTimes = sourceTimes.flatMap { $0.count >= 2 ? $0 : nil }
        self.sourceEnd = self.sourceTimes == nil ? nil : sourceEnd
        self.sourceRate = sourceRate
        switch target {
        case .multiply(let n):
            precondition(n >= 1, "multiplier must be at least 1")
            outputRate = sourceRate * Rational(n)
        case .rate(let r):
            precondition(r > Rational(0), "output rate must be positive")
            outputRate = r
        }
    }

    /// One output frame: source frame `index`, and the time `t` in [0, 1) toward frame `index + 1`.
    public struct Sample: Sendable, Equatable {
        public let index: Int
        public let t: Rational
        public init(index: Int, t: Rational) {
            self.index = index
            self.t = t
        }
    }

    /// The number of output frames for `sourceFrames` input frames: the duration
    /// `sourceFrames / sourceRate` in output frames, rounded to the nearest.
    public func outputFrameCount(sourceFrames: Int) -> Int {
        guard let times = sourceTimes else { return (Rational(sourceFrames) * outputRate / sourceRate).rounded }
        guard sourceFrames > 0 else { return 0 }
        return (sourceDuration(sourceFrames: sourceFrames) * outputRate).rounded
    }

    /// How long `sourceFrames` source frames last, in seconds: `sourceFrames / sourceRate`, or with
    /// timestamps the last frame's time plus its duration.
    public func sourceDuration(sourceFrames: Int) -> Rational {
        guard let times = sourceTimes, sourceFrames > 0 else { return Rational(sourceFrames) / sourceRate }
        let last = min(sourceFrames, times.count) - 1
        return times[last] + durationOfFrame(last)
    }

    /// How long source frame `i` is shown: until the next frame's time (the last: as long as the
    /// gap before it).
    func durationOfFrame(_ i: Int) -> Rational {
        guard let times = sourceTimes else { return Rational(1) / sourceRate }
        if i + 1 < times.count { return times[i + 1] - times[i] }
        if let end = sourceEnd { return end - times[times.count - 1] }
        return times[times.count - 1] - times[times.count - 2]
    }

    /// The source position of output frame `k`, clamped to the last source frame.
    public func sample(_ k: Int, sourceFrames: Int) -> Sample {
        let position = position(k)
        let index = position.floor
        if index >= sourceFrames - 1 { return Sample(index: max(sourceFrames - 1, 0), t: Rational(0)) }
        return Sample(index: index, t: position.fractionalPart)
    }

    /// The source position of output frame `k` with no clamping (used while streaming, before
    /// the number of source frames is known).
    public func position(_ k: Int) -> Rational {
        guard let times = sourceTimes else { return Rational(k) * sourceRate / outputRate }
        let time = Rational(k) / outputRate
        // The last frame at or before `time` (binary search; times[0] = 0 ≤ time).
        var (low, high) = (0, times.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if times[middle] <= time { low = middle } else { high = middle - 1 }
        }
        return Rational(low) + (time - times[low]) / durationOfFrame(low)
    }

    /// Duration in seconds of `frames` frames at `rate`, exactly.
    public static func duration(frames: Int, rate: Rational) -> Rational { Rational(frames) / rate }
}
