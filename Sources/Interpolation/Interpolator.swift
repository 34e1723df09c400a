public import Foundation
public import Models
public import TensorCore

/// The engine API: owns a loaded model and makes in-between frames.
///
/// Frames are `[1, 3, H, W]` Float32 RGB tensors with values in [0, 1] (8-bit values / 255).
/// A frame is *prepared* once — padded to the model's multiple and encoded by the Head —
/// and can then be paired with any other prepared frame at any number of times t, so the
/// encoder runs once per frame, not once per pair or per t.
///
/// Several threads may use one interpolator, or interpolators sharing one model, at the same time:
/// their convolutions run concurrently (see `ConvolutionWeights`). The methods that run the network
/// throw `ConvolutionError` when oneDNN cannot plan or run one of its convolutions.
public final class Interpolator: Sendable {
    public let model: RIFEv425
    /// Resolution the flow is estimated at: 1 = full; 0.5 suits 4K (RIFE's `scale`).
    public let scale: Double

    /// - Parameters:
    ///   - model: a loaded RIFE v4.25 network.
    ///   - scale: flow resolution; one of 0.25, 0.5, 1, 2, 4 in practice.
    public init(model: RIFEv425, scale: Double = 1) {
        precondition(scale > 0, "scale must be positive")
        self.model = model
        self.scale = scale
    }

    /// Loads the model from a checkpoint file (see `RIFEv425.init(contentsOf:precision:)`).
    /// - Parameter precision: what the convolutions compute in (bf16: about half the convolution
    ///   time where the CPU has AVX512-BF16 or AMX, at a small quality cost; see README).
    /// - Throws: a `CheckpointError`, or `UnsupportedPrecisionError` for bf16 on a CPU without it.
    public convenience init(contentsOf url: URL, scale: Double = 1, precision: Precision = .float32) throws {
        self.init(model: try RIFEv425(contentsOf: url, precision: precision), scale: scale)
    }

    /// A frame ready to interpolate from: the original, its padded copy and its Head features.
    public struct PreparedFrame: Sendable {
        public let image: Tensor
        let padded: Tensor
        let features: Tensor
        public var height: Int { image.h }
        public var width: Int { image.w }
    }

    /// Pads and encodes a frame.
    /// - Parameter image: [1, 3, H, W], values in [0, 1].
    public func prepare(_ image: Tensor, clock: StageClock? = nil) throws -> PreparedFrame {
        precondition(image.rank == 4 && image.n == 1 && image.c == 3, "frame must be [1, 3, H, W], got \(image.shape)")
        let size = RIFEv425.paddedSize(height: image.h, width: image.w, scale: scale)
        let padded = paddedBottomRight(image, height: size.height, width: size.width)
        return PreparedFrame(image: image, padded: padded, features: try model.encode(padded, clock: clock))
    }

    /// When the output should happen, per pixel or for the whole frame.
    public enum Time: Sendable {
        /// One t for every pixel (0 = the first frame, 1 = the second).
        case uniform(Float)
        /// A per-pixel time map [1, 1, H, W] at the frames' size, values in [0, 1].
        case map(Tensor)
    }

    /// The frame between `a` and `b` at time `t`; t = 0 and t = 1 return the inputs themselves.
    public func interpolate(_ a: PreparedFrame, _ b: PreparedFrame, t: Float) throws -> Tensor {
        if t == 0 { return a.image }
        if t == 1 { return b.image }
        return try run(a, b, time: .uniform(t)).frame
    }

    /// The frames between `a` and `b` at each of `times` (the Head runs once per frame, not per t).
    public func interpolate(_ a: Tensor, _ b: Tensor, times: [Float]) throws -> [Tensor] {
        let (pa, pb) = try (prepare(a), prepare(b))
        return try times.map { try interpolate(pa, pb, t: $0) }
    }

    /// The cropped result of one network pass plus the internals a quality gate or a test may want.
    public struct Result: Sendable {
        /// The interpolated frame, cropped to the input size.
        public var frame: Tensor
        /// The full network output at the padded size (flows, mask, warped candidates).
        public var network: RIFEv425.Output
    }

    /// Runs the network once (no shortcut at t = 0 or 1).
    /// - Parameter keepingBlockStates: keep every block's state in `network.blocks` (for tests);
    ///   by default only the final one is kept (see `RIFEv425.Output.blocks`).
    public func run(_ a: PreparedFrame, _ b: PreparedFrame, time: Time, keepingBlockStates: Bool = false,
                    clock: StageClock? = nil) throws -> Result {
        precondition(a.image.shape == b.image.shape, "frames differ in size: \(a.image.shape) vs \(b.image.shape)")
        let (ph, pw) = (a.padded.h, a.padded.w)
        let plane: Tensor
        switch time {
        case .uniform(let t):
            plane = constantPlane(t, height: ph, width: pw)
        case .map(let map):
            precondition(map.shape == [1, 1, a.height, a.width], "time map \(map.shape) vs frame \(a.image.shape)")
            plane = paddedByEdge(map, height: ph, width: pw)
        }
        let out = try model(a.padded, b.padded, features0: a.features, features1: b.features, time: plane, scale: scale,
                             keepingBlockStates: keepingBlockStates, clock: clock)
        return Result(frame: cropped(out.frame, height: a.height, width: a.width), network: out)
    }
}

/// Pads a [1, 1, h, w] map to `height × width` by repeating its last row and column, so a
/// time map's padding carries the timing of the nearest real pixel.
func paddedByEdge(_ map: Tensor, height: Int, width: Int) -> Tensor {
    var out = Tensor(shape: [1, 1, height, width])
    for y in 0..<height {
        let sy = min(y, map.h - 1)
        for x in 0..<width { out.scalars[y * width + x] = map.scalars[sy * map.w + min(x, map.w - 1)] }
    }
    return out
}
