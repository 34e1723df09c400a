public import TensorCore

/// A decoded source frame as a renderer sees it: its position in the stream and its pixels.
public struct SourceFrame: Sendable {
    /// 0-based position in decoding order; renderers key their caches on it.
    public let index: Int
    /// [1, 3, H, W], values in [0, 1].
    public let image: Tensor

    public init(index: Int, image: Tensor) {
        self.index = index
        self.image = image
    }
}

/// One frame a renderer made. A struct rather than a bare tensor so that per-frame records
/// (scores, flows for review) can be added without changing the protocol.
public struct RenderedFrame: Sendable {
    /// [1, 3, H, W], values in [0, 1].
    public var image: Tensor
    /// The quality gate's verdict (score, parts, what it did) when the renderer gates its frames.
    public var gated: GatedFrame?

    public init(image: Tensor, gated: GatedFrame? = nil) {
        self.image = image
        self.gated = gated
    }
}

/// What a renderer has run so far, for the pipeline's statistics.
public struct RenderCounts: Sendable, Equatable {
    /// Source frames padded and encoded by the network's Head (0 for a model without a separate encoder).
    public var encoded = 0
    /// Runs of the interpolation network; each makes one frame, one midpoint or one t of a time map.
    public var networkPasses = 0

    public init(encoded: Int = 0, networkPasses: Int = 0) {
        self.encoded = encoded
        self.networkPasses = networkPasses
    }
}

/// Makes the frames between two source frames. `VideoPipeline` asks once per pair for every time
/// the timeline needs there, so a renderer can share work between those times (HDv3's bisection
/// midpoints) and between consecutive pairs (v4.25's encoded frames: pair (a, b) is followed by (b, c)).
public protocol PairRenderer {
    /// Every frame the timeline needs between source frames `a` and `b`, one per time, in order.
    /// Times are ascending, 0 < t < 1, or t = 0 when `rendersSourceFrames` is true.
    mutating func render(_ a: SourceFrame, _ b: SourceFrame, times: [Float]) throws -> [RenderedFrame]

    /// Whether frames at t = 0 must be rendered. When false (the default) the pipeline writes the
    /// source frame there untouched, bit for bit, and never asks for t = 0.
    var rendersSourceFrames: Bool { get }

    /// Work done so far (cumulative over the renderer's life).
    var counts: RenderCounts { get }
}

extension PairRenderer {
    public var rendersSourceFrames: Bool { false }
}

/// The most recently encoded source frame, so that the frame shared by two consecutive pairs is
/// encoded once. One frame is enough: the pipeline visits pairs in order.
struct PreparedFrameCache {
    private var last: (index: Int, frame: Interpolator.PreparedFrame)?
    private(set) var encoded = 0

    /// `a` and `b` prepared by `interpolator`, each from the cache when it was the last one prepared.
    mutating func prepare(_ a: SourceFrame, _ b: SourceFrame, with interpolator: Interpolator)
        throws -> (Interpolator.PreparedFrame, Interpolator.PreparedFrame) {
        func prepared(_ frame: SourceFrame) throws -> Interpolator.PreparedFrame {
            if let last, last.index == frame.index { return last.frame }
            encoded += 1
            return try interpolator.prepare(frame.image)
        }
        let pa = try prepared(a), pb = try prepared(b)
        last = (b.index, pb)
        return (pa, pb)
    }
}

extension Interpolator {
    /// Every RIFE v4.25 frame of a video is made here, at one time for the whole frame or with
    /// regions on their own clocks, so a per-frame record has a single place to be added.
    /// - Returns: the frame and the number of network passes it took.
    func videoFrame(_ a: PreparedFrame, _ b: PreparedFrame, t: Float, regions: [TimeRegion] = [],
                    mode: TimeMapMode = .flowBlend) throws -> (frame: RenderedFrame, passes: Int) {
        // Regions that all share the background's time change nothing: take the exact uniform frame
        // (the flow-blend composite of a single time differs from it by float rounding).
        if regions.allSatisfy({ $0.t == t }) {
            let inputItself = t == 0 || t == 1  // `interpolate` returns the input frame, no network
            return (RenderedFrame(image: try interpolate(a, b, t: t)), inputItself ? 0 : 1)
        }
        let image = try interpolate(a, b, background: t, regions: regions, mode: mode)
        let passes = mode == .single ? 1 : TimeMapWeights(background: t, regions: regions).distinctTimeCount
        return (RenderedFrame(image: image), passes)
    }
}

/// What the two RIFE v4.25 renderers share: the encoded-frame cache, the pass count and `videoFrame`.
struct V425Frames {
    let interpolator: Interpolator
    private var cache = PreparedFrameCache()
    private var passes = 0

    init(interpolator: Interpolator) { self.interpolator = interpolator }

    var counts: RenderCounts { RenderCounts(encoded: cache.encoded, networkPasses: passes) }

    /// The frames at `times` through `gate`.
    mutating func renderGated(_ a: SourceFrame, _ b: SourceFrame, times: [Float], gate: inout QualityGate) throws
        -> [RenderedFrame] {
        let (pa, pb) = try cache.prepare(a, b, with: interpolator)
        return try times.map { t in
            let out = try gate.frame(pa, pb, t: t, with: interpolator)
            passes += out.networkPasses
            return RenderedFrame(image: out.image, gated: out)
        }
    }

    /// The frames at `times`, each with the regions `regions(t)` gives for it.
    mutating func render(_ a: SourceFrame, _ b: SourceFrame, times: [Float], mode: TimeMapMode = .flowBlend,
                         regions: (Float) -> [TimeRegion] = { _ in [] }) throws -> [RenderedFrame] {
        let (pa, pb) = try cache.prepare(a, b, with: interpolator)
        return try times.map { t in
            let made = try interpolator.videoFrame(pa, pb, t: t, regions: regions(t), mode: mode)
            passes += made.passes
            return made.frame
        }
    }
}

/// RIFE v4.25 with one time for the whole frame: one network pass per frame (two for a frame the
/// gate re-runs in advanced mode), each source frame encoded once for both pairs it belongs to.
/// With a gate, every frame comes back with its score and parts, catastrophic frames are held.
public struct UniformRenderer: PairRenderer {
    private var frames: V425Frames
    /// The quality gate the frames pass through; nil renders plain frames.
    public private(set) var gate: QualityGate?

    public init(interpolator: Interpolator, gate: QualityGate? = nil) {
        frames = V425Frames(interpolator: interpolator)
        self.gate = gate
    }

    public var interpolator: Interpolator { frames.interpolator }
    public var counts: RenderCounts { frames.counts }

    public mutating func render(_ a: SourceFrame, _ b: SourceFrame, times: [Float]) throws -> [RenderedFrame] {
        guard gate != nil else { return try frames.render(a, b, times: times) }
        return try frames.renderGated(a, b, times: times, gate: &gate!)
    }
}

/// RIFE HDv3, which makes only midpoints: the pair's times must be dyadic, and every midpoint on
/// the way to them is made once and shared (`--multi 4`: the half, then the quarters from it,
/// 3 passes per pair).
public struct BisectionRenderer: PairRenderer {
    public let interpolator: MidpointInterpolator
    private var passes = 0

    public init(interpolator: MidpointInterpolator) { self.interpolator = interpolator }

    public var counts: RenderCounts { RenderCounts(networkPasses: passes) }

    /// - Throws: `UnsupportedTimeError` for a time that is not dyadic, before any work is done.
    public mutating func render(_ a: SourceFrame, _ b: SourceFrame, times: [Float]) throws -> [RenderedFrame] {
        try interpolator.interpolate(a.image, b.image, times: times, passes: &passes).map { RenderedFrame(image: $0) }
    }

    /// The first output time of `timeline` that bisection cannot make, or nil when all are dyadic.
    ///
    /// Output frame k sits at t = frac(k·r) with r = sourceRate / outputRate = p / q in lowest terms.
    /// Since p and q are coprime, k·p mod q takes every value 0..<q, so the times are exactly the
    /// multiples of 1/q: all dyadic when q is a power of two (within `maxDepth`), and otherwise the
    /// very first output frame after t = 0, at t = frac(p / q), already is not.
    public static func firstUnsupportedTime(in timeline: Timeline) -> Rational? {
        if let times = timeline.sourceTimes {
            // Timestamps place each frame on its own: check every output frame's t.
            for k in 0..<timeline.outputFrameCount(sourceFrames: times.count) {
                let t = timeline.position(k).fractionalPart
                let q = t.denominator
                if q & (q - 1) != 0 || q > 1 << MidpointInterpolator.maxDepth { return t }
            }
            return nil
        }
        let r = timeline.sourceRate / timeline.outputRate
        let q = r.denominator
        if q & (q - 1) == 0, q <= 1 << MidpointInterpolator.maxDepth { return nil }
        return r.fractionalPart
    }
}

/// RIFE v4.25 with masked regions whose time inside each source pair follows a curve of the
/// background's time (`tween video --time-curve`): the frame at t has the background at t and
/// region i at `curve_i(t)`, composited with `Interpolator.interpolate(_:_:background:regions:mode:)`.
public struct TimeCurveRenderer: PairRenderer {
    /// A mask at the frames' size (weights in [0, 1]) and the curve its pixels follow.
    public struct Region: Sendable {
        public var mask: Tensor
        public var curve: TimeCurve

        public init(mask: Tensor, curve: TimeCurve) {
            self.mask = mask
            self.curve = curve
        }
    }

    /// Later regions are composited over earlier ones.
    public let regions: [Region]
    public let mode: TimeMapMode
    private var frames: V425Frames

    public init(interpolator: Interpolator, regions: [Region], mode: TimeMapMode = .flowBlend) {
        frames = V425Frames(interpolator: interpolator)
        self.regions = regions
        self.mode = mode
    }

    public var interpolator: Interpolator { frames.interpolator }

    /// A curve that is not at 0 at phase 0 moves its region away from the source frame even at t = 0.
    public var rendersSourceFrames: Bool { regions.contains { $0.curve.time(at: 0) != 0 } }

    public var counts: RenderCounts { frames.counts }

    public mutating func render(_ a: SourceFrame, _ b: SourceFrame, times: [Float]) throws -> [RenderedFrame] {
        try frames.render(a, b, times: times, mode: mode) { [regions] t in
            regions.map { TimeRegion(mask: $0.mask, t: $0.curve.time(at: Double(t))) }
        }
    }
}
