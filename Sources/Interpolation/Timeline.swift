import Foundation

/// Where each output frame comes from: frame `k` of the output is shown at `k / outputRate`
/// seconds, which is source position `k · sourceRate / outputRate` (in source frames); its integer
/// part is the first frame of the pair and its fraction the time t in [0, 1).
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

    public init(sourceRate: Rational, target: Target) {
        precondition(sourceRate > Rational(0), "source rate must be positive")
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
        (Rational(sourceFrames) * outputRate / sourceRate).rounded
    }

    /// The source position of output frame `k`, clamped to the last source frame.
    public func sample(_ k: Int, sourceFrames: Int) -> Sample {
        let position = Rational(k) * sourceRate / outputRate
        let index = position.floor
        if index >= sourceFrames - 1 { return Sample(index: max(sourceFrames - 1, 0), t: Rational(0)) }
        return Sample(index: index, t: position.fractionalPart)
    }

    /// The source position of output frame `k` with no clamping (used while streaming, before
    /// the number of source frames is known).
    public func position(_ k: Int) -> Rational { Rational(k) * sourceRate / outputRate }

    /// Duration in seconds of `frames` frames at `rate`, exactly.
    public static func duration(frames: Int, rate: Rational) -> Rational { Rational(frames) / rate }
}
