import Foundation
import Interpolation
import MediaIO

/// A way of making the missing frame, compared against the ground truth.
public enum EvaluationMethod: String, Sendable, CaseIterable, Codable {
    /// Tween's engine (RIFE v4.25), output rounded to 8 bits as `tween pair` writes it.
    case tween
    /// The linear blend `floor((1 − t)·I0 + t·I1 + 0.5)`; at t = 0.5 that is `round((I0 + I1) / 2)`
    /// with halves rounded up, as the reference computed it.
    case blend
    /// The nearer input repeated (what a player shows for a dropped frame): frame 0 for t ≤ 0.5,
    /// frame 1 after; at t = 0.5 it is frame 0.
    case `repeat`

    /// The label used in tables and reports.
    public var label: String {
        switch self {
        case .tween: "tween (RIFE v4.25)"
        case .blend: "blend"
        case .repeat: "repeat"
        }
    }
}

/// Linear blend of two same-size 8-bit images at time t, rounded half up.
func blended(_ a: RGBImage, _ b: RGBImage, t: Double) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: a.pixels.count)
    if t == 0.5 {
        // Exact integer form of floor((a + b) / 2 + 0.5).
        for i in 0..<pixels.count { pixels[i] = UInt8((Int(a.pixels[i]) + Int(b.pixels[i]) + 1) / 2) }
    } else {
        for i in 0..<pixels.count {
            let v = (1 - t) * Double(a.pixels[i]) + t * Double(b.pixels[i])
            pixels[i] = UInt8(min(max((v + 0.5).rounded(.down), 0), 255))
        }
    }
    return RGBImage(width: a.width, height: a.height, pixels: pixels)
}

/// Makes the frame at `t` between `a` and `b` with `method`.
func predict(_ method: EvaluationMethod, _ a: RGBImage, _ b: RGBImage, t: Double, interpolator: (any FrameInterpolating)?) throws -> RGBImage {
    switch method {
    case .repeat:
        return t <= 0.5 ? a : b
    case .blend:
        return blended(a, b, t: t)
    case .tween:
        guard let interpolator else { preconditionFailure("the tween method needs an interpolator") }
        do {
            return RGBImage(tensor: try interpolator.interpolate(a.tensor, b.tensor, times: [Float(t)])[0])
        } catch let error as UnsupportedTimeError {
            throw EvaluationError(error.description)
        }
    }
}
