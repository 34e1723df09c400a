public import TensorCore

/// Iterative estimation for far times (after InterpAny-Clearer §3.4, "iterative distance
/// estimation"): instead of one jump from the nearer frame to t, reach t in `steps` equal steps,
/// each starting from the previous step's result and aiming at the far frame.
///
/// The article's network also takes the previous step's index map and the original end frames as
/// extra inputs; stock RIFE v4.25 weights have no such inputs, so this is the training-free form:
/// step k replaces the start frame by the last result and asks for the local time
/// `(t_k − t_{k−1}) / (1 − t_{k−1})` with `t_k = t·k/steps`. Times above 0.5 are reached from the
/// second frame backwards, so every step starts next to where it ends. `steps = 1` is the direct,
/// one-pass interpolation.
public final class IterativeInterpolator: FrameInterpolating {
    public let base: Interpolator
    public let steps: Int

    public init(base: Interpolator, steps: Int) {
        precondition(steps >= 1, "steps must be at least 1")
        self.base = base
        self.steps = steps
    }

    public var modelName: String { "\(base.modelName) iterative \(steps)" }

    public func interpolate(_ a: Tensor, _ b: Tensor, times: [Float]) throws -> [Tensor] {
        let (pa, pb) = try (base.prepare(a), base.prepare(b))  // the end frames are encoded once for all times
        return try times.map { t in
            if t == 0 { return a }
            if t == 1 { return b }
            if steps == 1 { return try base.interpolate(pa, pb, t: t) }  // the direct pass, exactly
            // From the nearer frame towards the farther one.
            let (start, end, distance) = t <= 0.5 ? (pa, pb, t) : (pb, pa, 1 - t)
            var current = start
            var reached: Float = 0
            var frame = start.image
            for k in 1...steps {
                let target = distance * Float(k) / Float(steps)
                frame = try base.interpolate(current, end, t: (target - reached) / (1 - reached))
                reached = target
                if k < steps { current = try base.prepare(frame) }
            }
            return frame
        }
    }
}
