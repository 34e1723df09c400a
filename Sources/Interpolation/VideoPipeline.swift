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
    public init() {}
}

/// Decode → interpolate → encode, one frame at a time.
///
/// Memory is constant: at most two source frames are alive (the pair being interpolated), each
/// prepared (padded and encoded by the network's Head) at most once, when the first output frame
/// needs it, and reused for both pairs it belongs to. A source frame that only ever appears at
/// t = 0 is passed through untouched (bit for bit) and never prepared. Frames are emitted as
/// soon as their pair is complete, so the total frame count is needed only for progress.
public struct VideoPipeline {
    public let interpolator: Interpolator
    public let timeline: Timeline
    public let detector: SceneCutDetector

    public init(interpolator: Interpolator, timeline: Timeline, detector: SceneCutDetector) {
        self.interpolator = interpolator
        self.timeline = timeline
        self.detector = detector
    }

    /// A decoded source frame with its lazily computed preparation.
    private struct Slot {
        let index: Int
        let image: Tensor
        let signature: SceneCutDetector.Signature
        var prepared: Interpolator.PreparedFrame?
    }

    /// Runs the whole stream. `progress` is called after every output frame.
    /// - Throws: what the source or sink throws, or `VideoPipelineError` for streams with fewer than two frames.
    @discardableResult
    public func run(source: inout some FrameSource, sink: inout some FrameSink,
                    progress: (PipelineStatistics) -> Void = { _ in }) throws -> PipelineStatistics {
        var stats = PipelineStatistics()
        var k = 0  // next output frame
        var previous: Slot?
        var size: (Int, Int)?

        func slot(_ image: Tensor, _ index: Int) throws -> Slot {
            if let (h, w) = size, (h, w) != (image.h, image.w) {
                throw VideoPipelineError("frame \(index) is \(image.w)x\(image.h), the first was \(w)x\(h); size changes are not supported")
            }
            size = (image.h, image.w)
            return Slot(index: index, image: image, signature: SceneCutDetector.signature(image))
        }

        while let image = try source.next() {
            var current = try slot(image, stats.framesIn)
            stats.framesIn += 1
            guard var a = previous else { previous = current; continue }
            // Every output frame whose source position lies in [a.index, current.index) belongs to this pair.
            let cut = detector.isCut(a.signature, current.signature)
            if cut { stats.sceneCuts += 1 }
            while timeline.position(k) < Rational(current.index) {
                let t = timeline.position(k) - Rational(a.index)
                let frame: Tensor
                if t == Rational(0) {
                    frame = a.image
                } else if cut {
                    // Across a cut, repeat the nearer source frame instead of morphing shots.
                    frame = t < Rational(1, 2) ? a.image : current.image
                    stats.heldAtCuts += 1
                } else {
                    let started = DispatchTime.now().uptimeNanoseconds
                    if a.prepared == nil { a.prepared = interpolator.prepare(a.image) }
                    if current.prepared == nil { current.prepared = interpolator.prepare(current.image) }
                    frame = interpolator.interpolate(a.prepared!, current.prepared!, t: Float(t.doubleValue))
                    stats.engineSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    stats.interpolated += 1
                }
                try sink.write(frame)
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
            try sink.write(last.image)
            stats.framesOut += 1
            k += 1
            progress(stats)
        }
        return stats
    }
}

/// A stream the pipeline cannot process; the message says why.
public struct VideoPipelineError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
