public import Foundation
public import Models
public import TensorCore

/// The interpolation networks Tween can run.
public enum InterpolationModel: String, CaseIterable, Sendable, Codable {
    /// RIFE v4.25: any t in one pass (t is an input plane).
    case rifeV425 = "rife-v4.25"
    /// RIFE HDv3 (ECCV 2022): the midpoint only; dyadic t by recursive bisection.
    case rifeHDv3 = "rife-hdv3"

    /// The checkpoint's default location in the models directory.
    public var defaultWeights: URL {
        switch self {
        case .rifeV425: ModelDirectory.rifeV425
        case .rifeHDv3: ModelDirectory.rifeHDv3
        }
    }

    /// Loads the model from `url` as a pair interpolator.
    public func load(contentsOf url: URL, scale: Double = 1) throws -> any FrameInterpolating {
        switch self {
        case .rifeV425: try Interpolator(contentsOf: url, scale: scale)
        case .rifeHDv3: try MidpointInterpolator(contentsOf: url, scale: scale)
        }
    }
}

/// What every engine offers for one pair of frames.
public protocol FrameInterpolating: Sendable {
    /// The model's name for tables and messages ("rife-v4.25").
    var modelName: String { get }
    /// The frames between `a` and `b` ([1, 3, H, W], values in [0, 1]) at each of `times`.
    /// - Throws: `UnsupportedTimeError` for a time the model cannot make.
    func interpolate(_ a: Tensor, _ b: Tensor, times: [Float]) throws -> [Tensor]
}

extension Interpolator: FrameInterpolating {
    /// "rife-v4.25", with the precision appended when it is not the default ("rife-v4.25 bf16").
    public var modelName: String {
        let name = InterpolationModel.rifeV425.rawValue
        return model.precision == .float32 ? name : "\(name) \(model.precision.rawValue)"
    }
}

/// A time the model cannot produce (HDv3 makes only dyadic times 1/2, 1/4, 3/4, …).
public struct UnsupportedTimeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs RIFE HDv3, which only makes the midpoint: t = 0.5 is one pass, any other dyadic
/// t = p / 2^e is reached by bisection (0.25 = mid(I0, mid(I0, I1)), 0.75 = mid(mid(I0, I1), I1), …),
/// each intermediate made once and shared by every requested time that passes through it.
public final class MidpointInterpolator: FrameInterpolating {
    public let model: RIFEHDv3
    /// Resolution the flow is estimated at: 1 = full; 0.5 suits 4K.
    public let scale: Double
    /// Deepest bisection accepted: t must be a multiple of 2^−maxDepth.
    public static let maxDepth = 16

    public init(model: RIFEHDv3, scale: Double = 1) {
        precondition(scale > 0, "scale must be positive")
        self.model = model
        self.scale = scale
    }

    /// Loads the model from a checkpoint file (see `RIFEHDv3.init(contentsOf:)`).
    public convenience init(contentsOf url: URL, scale: Double = 1) throws {
        self.init(model: try RIFEHDv3(contentsOf: url), scale: scale)
    }

    public var modelName: String { InterpolationModel.rifeHDv3.rawValue }

    /// The network's midpoint of two frames: pads to the model's multiple, runs, crops.
    public func midpoint(_ a: Tensor, _ b: Tensor, clock: StageClock? = nil) throws -> Tensor {
        precondition(a.rank == 4 && a.n == 1 && a.c == 3 && a.shape == b.shape, "frames must be [1, 3, H, W] of one size: \(a.shape) vs \(b.shape)")
        let size = RIFEHDv3.paddedSize(height: a.h, width: a.w, scale: scale)
        let out = try model(paddedBottomRight(a, height: size.height, width: size.width),
                            paddedBottomRight(b, height: size.height, width: size.width), scale: scale, clock: clock)
        return cropped(out.frame, height: a.h, width: a.w)
    }

    /// `t` as `numerator / 2^exponent` in lowest terms, or nil when it is not dyadic within `maxDepth`.
    public static func dyadic(_ t: Double) -> (numerator: Int, exponent: Int)? {
        guard t >= 0, t <= 1 else { return nil }
        for e in 0...maxDepth {
            let scaled = t * Double(1 << e)
            if scaled == scaled.rounded() { return (Int(scaled), e) }
        }
        return nil
    }

    /// The frames at each of `times` (each a dyadic fraction in [0, 1]).
    /// - Throws: `UnsupportedTimeError` naming the first non-dyadic time, before any work is done.
    public func interpolate(_ a: Tensor, _ b: Tensor, times: [Float]) throws -> [Tensor] {
        var passes = 0
        return try interpolate(a, b, times: times, passes: &passes)
    }

    /// As `interpolate(_:_:times:)`, adding the number of midpoints computed (network passes) to `passes`.
    public func interpolate(_ a: Tensor, _ b: Tensor, times: [Float], passes: inout Int) throws -> [Tensor] {
        let positions = try times.map { t in
            guard let d = MidpointInterpolator.dyadic(Double(t)) else {
                throw UnsupportedTimeError("rife-hdv3 makes only dyadic times (1/2, 1/4, 3/4, 1/8, …) by recursive bisection; "
                                           + "t = \(t) is not one (use rife-v4.25 for arbitrary t)")
            }
            return d
        }
        let depth = positions.map(\.exponent).max() ?? 0
        let denominator = 1 << depth
        var known: [Int: Tensor] = [0: a, denominator: b]
        // Descends from [0, 1] towards p, making each midpoint on the way once.
        func frame(at p: Int) throws -> Tensor {
            if let done = known[p] { return done }
            var (lo, hi) = (0, denominator)
            while true {
                let mid = (lo + hi) / 2
                if known[mid] == nil {
                    known[mid] = try midpoint(known[lo]!, known[hi]!)
                    passes += 1
                }
                if p == mid { return known[mid]! }
                if p < mid { hi = mid } else { lo = mid }
            }
        }
        return try positions.map { try frame(at: $0.numerator << (depth - $0.exponent)) }
    }
}
