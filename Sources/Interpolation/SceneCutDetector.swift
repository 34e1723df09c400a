import Foundation
public import TensorCore

/// Finds cuts between consecutive frames, so that a pair across a cut is never interpolated
/// (RIFE would morph one shot into the other).
///
/// The measure is the **mean absolute difference of a 32×32 luma thumbnail**, on a 0…1 scale:
/// each frame is reduced to the BT.601 luma averaged over a 32×32 grid of boxes (a few
/// thousand additions per frame, computed once per frame), and a pair is a cut when the
/// thumbnails differ by more than `threshold` on average. Averaging over boxes makes the measure
/// insensitive to noise and small motion, while a change of shot moves most boxes a lot.
/// Measured here: consecutive frames of the carphone clip (hand-held, moving camera) stay below
/// 0.02 (its largest step is 0.0199), consecutive frames of ffmpeg's testsrc and mandelbrot
/// below 0.01, and the cut from testsrc to mandelbrot is 0.29. The default 0.1 sits between.
/// A fade is not a cut and is interpolated; a very fast pan may exceed the threshold and be held.
public struct SceneCutDetector: Sendable {
    public static let defaultThreshold = 0.1
    /// Thumbnail side, in boxes.
    public static let side = 32

    public let threshold: Double

    public init(threshold: Double = SceneCutDetector.defaultThreshold) {
        self.threshold = threshold
    }

    /// A frame's luma thumbnail: `side × side` box means of BT.601 luma, values in [0, 1].
    public struct Signature: Sendable {
        let luma: [Float]
    }

    /// The signature of a [1, 3, H, W] frame in [0, 1]. Frames smaller than the grid use one
    /// box per pixel row/column where needed (boxes are at least one pixel).
    public static func signature(_ frame: Tensor) -> Signature {
        let (h, w) = (frame.h, frame.w), plane = h * w
        let side = SceneCutDetector.side
        var sums = [Float](repeating: 0, count: side * side)
        var counts = [Float](repeating: 0, count: side * side)
        frame.scalars.withUnsafeBufferPointer { p in
            for y in 0..<h {
                let by = y * side / h
                for x in 0..<w {
                    let i = y * w + x
                    let luma = 0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i]
                    let box = by * side + x * side / w
                    sums[box] += luma
                    counts[box] += 1
                }
            }
        }
        return Signature(luma: zip(sums, counts).map { $1 > 0 ? $0 / $1 : 0 })
    }

    /// Mean absolute difference of two signatures, in [0, 1].
    public static func distance(_ a: Signature, _ b: Signature) -> Double {
        var total = 0.0
        for (x, y) in zip(a.luma, b.luma) { total += Double(abs(x - y)) }
        return total / Double(a.luma.count)
    }

    /// Whether the pair (a, b) is a cut.
    public func isCut(_ a: Signature, _ b: Signature) -> Bool {
        SceneCutDetector.distance(a, b) > threshold
    }
}
