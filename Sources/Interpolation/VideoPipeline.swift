import Foundation
public import TensorCore

/// Where frames come from: decoded video, image files. Frames are [1, 3, H, W] in [0, 1].
/// The library sees media only through this protocol and `FrameSink`, so it never depends on
/// a decoder (the executable supplies one over ffmpeg).
public protocol FrameSource {
    /// The next frame, or nil at the end of the stream. Throws when decoding fails.
    mutating func next() throws -> Tensor?
}

/// Where output frames go, in order.
public protocol FrameSink {
    mutating func write(_ frame: Tensor) throws
}

/// Counts for the progress line, the summary and the JSON report.
public struct PipelineStatistics: Sendable, Codable, Equatable {
    /// Source frames decoded.
    public var framesIn = 0
    /// Frames written.
    public var framesOut = 0
    /// Frames made by the network.
    public var interpolated = 0
    /// Pairs of consecutive source frames detected as cuts.
    public var sceneCuts = 0
    /// Output frames that repeat a source frame because their pair spans a cut.
    public var heldAtCuts = 0
    /// Wall-clock seconds spent in the engine (prepare + interpolate); the rest of a run's time is
    /// the pipeline's own cost (decode, conversion, scene detection, encode), measured in the same run.
    public var engineSeconds = 0.0
    /// Runs of the interpolation network (a frame, an HDv3 midpoint, one t of a time map).
    public var networkPasses = 0
    /// Source frames encoded by the network's Head (v4.25; each at most once).
    public var framesEncoded = 0
    /// Generated frames the quality gate replaced by the nearer source frame (undetected cuts, flashes).
    public var heldByGate = 0
    public init() {}
}

/// Decode → interpolate → encode, one source pair at a time.
///
/// For every pair of consecutive source frames the pipeline works out which output frames fall
/// in it and asks its `PairRenderer` for all of their times at once, so the renderer can share
/// work between them (HDv3's midpoints) and between pairs (v4.25 encodes each frame once, for both
/// pairs it belongs to). Memory is constant: at most two source frames are alive, plus what the
/// renderer keeps (v4.25: one encoded frame) and the output frames of the current pair until they
/// are written. A frame at t = 0 is the source frame passed through untouched (bit for bit),
/// unless the renderer says otherwise (`rendersSourceFrames`); a source frame that is only ever
/// shown at t = 0 never reaches the renderer. Frames are emitted as soon as their pair is done,
/// so the total frame count is needed only for progress.
public struct VideoPipeline {
    /// Makes the in-between frames; each `run` starts from a copy of it, so runs do not share caches.
    public let renderer: any PairRenderer
    public let timeline: Timeline
    public let detector: SceneCutDetector

    public init(renderer: any PairRenderer, timeline: Timeline, detector: SceneCutDetector) {
        self.renderer = renderer
        self.timeline = timeline
        self.detector = detector
    }

    /// RIFE v4.25 at one time per frame (`UniformRenderer`).
    public init(interpolator: Interpolator, timeline: Timeline, detector: SceneCutDetector) {
        self.init(renderer: UniformRenderer(interpolator: interpolator), timeline: timeline, detector: detector)
    }

    /// A decoded source frame and its scene-cut signature.
    private struct Slot {
        let frame: SourceFrame
        let signature: SceneCutDetector.Signature
    }

    /// Where one output frame comes from.
    private enum Output {
        /// The source frame itself (t = 0).
        case source(Tensor)
        /// A source frame repeated because the pair spans a cut.
        case held(Tensor)
        /// The renderer's frame for the pair's i-th requested time.
        case rendered(Int)
    }

    /// Runs the whole stream. `progress` is called after every output frame.
    /// - Throws: what the source, sink or renderer throws, or `VideoPipelineError` for streams with
    ///   fewer than two frames or frames that change size.
    @discardableResult
    /// - Parameter observe: called with every frame the renderer made, before it is written (for
    ///   quality records and review pictures).
    public func run(source: inout some FrameSource, sink: inout some FrameSink,
                    progress: (PipelineStatistics) -> Void = { _ in },
                    observe: (RenderedOutput) -> Void = { _ in }) throws -> PipelineStatistics {
        var renderer = self.renderer
        let rendersSourceFrames = renderer.rendersSourceFrames
        var stats = PipelineStatistics()
        var k = 0  // next output frame
        var previous: Slot?
        var size: (Int, Int)?

        func slot(_ image: Tensor, _ index: Int) throws -> Slot {
            if let (h, w) = size, (h, w) != (image.h, image.w) {
                throw VideoPipelineError("frame \(index) is \(image.w)x\(image.h), the first was \(w)x\(h); size changes are not supported")
            }
            size = (image.h, image.w)
            return Slot(frame: SourceFrame(index: index, image: image), signature: SceneCutDetector.signature(image))
        }

        while let image = try source.next() {
            let current = try slot(image, stats.framesIn)
            stats.framesIn += 1
            guard let a = previous else { previous = current; continue }
            let (first, second) = (a.frame, current.frame)
            let cut = detector.isCut(a.signature, current.signature)
            if cut { stats.sceneCuts += 1 }

            // Every output frame whose source position lies in [first.index, second.index) belongs to this pair.
            var outputs: [Output] = []
            var times: [Float] = []
            while timeline.position(k + outputs.count) < Rational(second.index) {
                let t = timeline.position(k + outputs.count) - Rational(first.index)
                if cut {
                    // Across a cut, repeat the nearer source frame instead of morphing shots.
                    outputs.append(t == Rational(0) ? .source(first.image) : .held(t < Rational(1, 2) ? first.image : second.image))
                } else if t == Rational(0) && !rendersSourceFrames {
                    outputs.append(.source(first.image))
                } else {
                    outputs.append(.rendered(times.count))
                    times.append(Float(t.doubleValue))
                }
            }

            var rendered: [RenderedFrame] = []
            if !times.isEmpty {
                let started = DispatchTime.now().uptimeNanoseconds
                let before = renderer.counts
                rendered = try renderer.render(first, second, times: times)
                precondition(rendered.count == times.count, "the renderer made \(rendered.count) frames for \(times.count) times")
                stats.engineSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                stats.networkPasses += renderer.counts.networkPasses - before.networkPasses
                stats.framesEncoded += renderer.counts.encoded - before.encoded
            }
            for output in outputs {
                switch output {
                case .source(let image): try sink.write(image)
                case .held(let image):
                    try sink.write(image)
                    stats.heldAtCuts += 1
                case .rendered(let i):
                    observe(RenderedOutput(index: k, sourceIndex: first.index, t: times[i], frame: rendered[i]))
                    try sink.write(rendered[i].image)
                    stats.interpolated += 1
                    if rendered[i].gated?.action == .heldSource { stats.heldByGate += 1 }
                }
                stats.framesOut += 1
                k += 1
                progress(stats)
            }
            previous = current
        }
        guard let last = previous else { throw VideoPipelineError("no video frames") }
        guard stats.framesIn >= 2 else {
            throw VideoPipelineError("only one frame; at least two are needed to interpolate")
        }
        // The tail: output frames from the last source frame's time to the end of the input's duration.
        let total = timeline.outputFrameCount(sourceFrames: stats.framesIn)
        while k < total {
            try sink.write(last.frame.image)
            stats.framesOut += 1
            k += 1
            progress(stats)
        }
        return stats
    }
}

/// A frame the renderer made, with its place in the output.
public struct RenderedOutput: Sendable {
    /// 0-based output frame number.
    public var index: Int
    /// The pair's first source frame (0-based) and the time toward the next one.
    public var sourceIndex: Int
    public var t: Float
    public var frame: RenderedFrame
}

/// A stream the pipeline cannot process; the message says why.
public struct VideoPipelineError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
