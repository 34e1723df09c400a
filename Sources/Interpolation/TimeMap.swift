import Models
public import TensorCore

/// Per-region timing (InterpAny-Clearer's editable interpolation): each region of the frame
/// moves on its own clock, e.g. a subject at t = 0.25 on a background at t = 0.5.
public struct TimeRegion: Sendable {
    /// Weight of the region per pixel, [1, 1, H, W] at the frames' size, values in [0, 1];
    /// soft edges feather the transition.
    public var mask: Tensor
    /// The region's time (0 = first frame, 1 = second).
    public var t: Float

    public init(mask: Tensor, t: Float) {
        self.mask = mask
        self.t = t
    }
}

/// How a time map is turned into a frame.
public enum TimeMapMode: String, Sendable, CaseIterable, Codable {
    /// One network pass per distinct t; the final flows and blend masks are mixed with the region
    /// weights, then both frames are warped and blended once. Exact (identical to the uniform-t
    /// output) wherever a region's weight is 1, and no ghosting at the edges, because images are
    /// never averaged — only motion is. The default.
    case flowBlend = "flow-blend"
    /// One network pass with the per-pixel time map as RIFE v4's t input. Cheaper for many
    /// distinct times, but measured to smear timing within 16–64 px of region edges.
    case single
}

extension Interpolator {
    /// The frame between `a` and `b` where each region follows its own time and the rest follows `background`.
    ///
    /// Regions are composited in order, later over earlier: a pixel's weight for region i is
    /// `mask_i · Π_{j > i} (1 − mask_j)`, and the background gets what remains.
    /// - Parameters:
    ///   - background: time for pixels outside every region.
    ///   - regions: masks at the frames' size and their times.
    ///   - mode: `.flowBlend` (default) or `.single`.
    public func interpolate(_ a: PreparedFrame, _ b: PreparedFrame, background: Float, regions: [TimeRegion],
                            mode: TimeMapMode = .flowBlend) throws -> Tensor {
        for r in regions {
            precondition(r.mask.shape == [1, 1, a.height, a.width], "region mask \(r.mask.shape) vs frame \(a.image.shape)")
        }
        let weights = TimeMapWeights(background: background, regions: regions)
        switch mode {
        case .single:
            return try run(a, b, time: .map(weights.timeMap(height: a.height, width: a.width))).frame
        case .flowBlend:
            let (ph, pw) = (a.padded.h, a.padded.w)
            var flow = Tensor(shape: [1, 4, ph, pw]), mask = Tensor(shape: [1, 1, ph, pw])
            for (t, weight) in weights.perTime(height: a.height, width: a.width) {
                let w = paddedByEdge(weight, height: ph, width: pw)
                let out = try run(a, b, time: .uniform(t)).network
                accumulate(&flow, out.blocks[out.blocks.count - 1].flow, weight: w)
                accumulate(&mask, out.mask, weight: w)
            }
            let warped0 = warped(a.padded, flow: flow, flowChannel: 0)
            let warped1 = warped(b.padded, flow: flow, flowChannel: 2)
            return cropped(blended(warped0, warped1, mask: mask), height: a.height, width: a.width)
        }
    }
}

/// The per-pixel weight of every distinct time, from the background time and the ordered regions.
struct TimeMapWeights {
    let background: Float
    let regions: [TimeRegion]

    /// Distinct times and their weight maps [1, 1, H, W]; the weights sum to 1 at every pixel.
    func perTime(height: Int, width: Int) -> [(t: Float, weight: Tensor)] {
        let count = height * width
        var remaining = [Float](repeating: 1, count: count)   // not yet claimed by a later region
        var byTime: [Float: [Float]] = [:]
        var order: [Float] = []
        func add(_ t: Float, _ w: [Float]) {
            if byTime[t] == nil { order.append(t); byTime[t] = [Float](repeating: 0, count: count) }
            for i in 0..<count { byTime[t]![i] += w[i] }
        }
        for region in regions.reversed() {  // the last region is on top
            let m = region.mask.scalars.map { Swift.min(Swift.max($0, 0), 1) }
            add(region.t, (0..<count).map { m[$0] * remaining[$0] })
            for i in 0..<count { remaining[i] *= 1 - m[i] }
        }
        add(background, remaining)
        return order.map { t in (t, Tensor(shape: [1, 1, height, width], scalars: byTime[t]!)) }
    }

    /// How many distinct times `perTime` returns: the network passes of a flow-blend frame.
    var distinctTimeCount: Int { Set(regions.map(\.t) + [background]).count }

    /// The weighted time per pixel (the single-pass input).
    func timeMap(height: Int, width: Int) -> Tensor {
        var map = Tensor(shape: [1, 1, height, width])
        for (t, weight) in perTime(height: height, width: width) {
            for i in 0..<map.count { map.scalars[i] += t * weight.scalars[i] }
        }
        return map
    }
}

/// `sum += value · weight`, the weight [1, 1, H, W] broadcast over value's channels.
private func accumulate(_ sum: inout Tensor, _ value: Tensor, weight: Tensor) {
    let plane = value.h * value.w
    for c in 0..<value.c {
        for i in 0..<plane { sum.scalars[c * plane + i] += value.scalars[c * plane + i] * weight.scalars[i] }
    }
}
