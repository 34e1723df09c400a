/// What an IFBlock after the first reads, at full (padded) size, before the block's downscale.
public struct BlockInputSources: Sendable {
    /// The two frames [N, 3, H, W] and their Head features [N, 4, H, W].
    public var image0: Tensor, image1: Tensor, features0: Tensor, features1: Tensor
    /// The output time per pixel, [N, 1, H, W] or [1, 1, H, W] (shared by every image of the batch).
    public var time: Tensor
    /// The previous block's mask logit [N, 1, H, W], features [N, 8, H, W] and running flow
    /// [N, 4, H, W] (channels 0–1 warp frame 0, 2–3 frame 1, in pixels).
    public var maskLogit: Tensor, features: Tensor, flow: Tensor

    public init(image0: Tensor, image1: Tensor, features0: Tensor, features1: Tensor, time: Tensor,
                maskLogit: Tensor, features: Tensor, flow: Tensor) {
        (self.image0, self.image1, self.features0, self.features1) = (image0, image1, features0, features1)
        (self.time, self.maskLogit, self.features, self.flow) = (time, maskLogit, features, flow)
    }

    /// Channels of the assembled input: 3 + 3 + 4 + 4 warped, then time, mask, 8 features, 4 flow.
    public static let channels = 28
}

/// An IFBlock's input `cat(warp(I0), warp(I1), warp(f0), warp(f1), t, mask, feat, flow / k)`
/// downscaled by k, assembled in one pass straight into channels-last `S`.
///
/// Why one pass: the separate form (`warpedResized` and `resizedBilinear` per part, `divided` for
/// the flow, then `channelsLastConcatenation`) writes every part to memory and reads it back to
/// transpose it, and computes each warp's sample positions twice (once for the frame, once for its
/// features). Here each output pixel's bilinear
/// footprint in the flow is computed once per frame and used for all seven of that frame's channels,
/// and the values go through a small L1 tile to the channels-last output. (Packing each frame's seven
/// channels per pixel for 8-wide loads was tried and measured: the packing cost what the loads saved,
/// and 64 bytes per pixel.)
///
/// Bit-identical to that separate form: every value is computed with the same operations in the
/// same order as `warpedResized`, `warped`, `resizedBilinear` and `divided` compute it.
/// - Parameters:
///   - k: the block's downscale (the resize factor is 1/k, the flow is divided by k).
///   - rows: the output rows to assemble (all by default).
/// - Returns: [N, rows.count, ⌊W/k⌋, 28] channels-last.
public func assembledBlockInput<S: ActivationScalar>(_ sources: BlockInputSources, downscale k: Double,
                                                     rows: Range<Int>? = nil, as _: S.Type) -> ChannelsLast<S> {
    let (n, h, w) = (sources.image0.n, sources.image0.h, sources.image0.w)
    let expected: [(Tensor, Int)] = [(sources.image0, 3), (sources.image1, 3), (sources.features0, 4), (sources.features1, 4),
                                     (sources.maskLogit, 1), (sources.features, 8), (sources.flow, 4)]
    for (part, channels) in expected {
        precondition(part.shape == [n, channels, h, w], "block input: part \(part.shape), expected [\(n), \(channels), \(h), \(w)]")
    }
    precondition(sources.time.c == 1 && sources.time.h == h && sources.time.w == w && (sources.time.n == n || sources.time.n == 1),
                 "block input: time \(sources.time.shape) vs \(sources.image0.shape)")
    let factor = 1 / k
    let identity = factor == 1
    let (oh, ow) = (resizedLength(h, factor: factor), resizedLength(w, factor: factor))
    precondition(oh > 0 && ow > 0, "block input of \(h)x\(w) downscaled by \(k) is empty")
    let band = rows ?? 0..<oh
    precondition(band.lowerBound >= 0 && band.upperBound <= oh, "block input: rows \(band) of \(oh)")
    let ys = interpolationTaps(output: oh, input: h, factor: factor)
    let xs = interpolationTaps(output: ow, input: w, factor: factor)
    let grid = WarpGrid(height: h, width: w)
    let total = BlockInputSources.channels, plane = h * w, divisor = Float(k)
    var out = ChannelsLast<S>(uninitializedN: n, h: band.count, w: ow, c: total)
    // Output pixels per tile: 64 × 28 Float32 values (7 KiB) stay in L1 until stored.
    let tile = 64
    withBufferPointers([sources.image0, sources.image1, sources.features0, sources.features1,
                        sources.time, sources.maskLogit, sources.features, sources.flow]) { p in
    out.scalars.withUnsafeMutableBufferPointer { dst in
    grid.baseX.withUnsafeBufferPointer { bx in
    grid.baseY.withUnsafeBufferPointer { by in
    ys.withUnsafeBufferPointer { ty in
    xs.withUnsafeBufferPointer { tx in
        let (pd, pbx, pby, pty, ptx) = (dst.baseAddress!, bx.baseAddress!, by.baseAddress!, ty.baseAddress!, tx.baseAddress!)
        let timeBatchStride = sources.time.n == 1 ? 0 : plane
        parallelFor(n * band.count, minimumChunk: 2) { items in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: tile * total) { buffer in
                let t0 = buffer.baseAddress!
                for item in items {
                    let (b, r) = (item / band.count, item % band.count)
                    let ty = pty[band.lowerBound + r]
                    // Every pointer and number the row needs, with batch b's planes resolved once.
                    let row = BlockInputRow(
                        image0: p[0] + b * 3 * plane, image1: p[1] + b * 3 * plane,
                        features0: p[2] + b * 4 * plane, features1: p[3] + b * 4 * plane,
                        time: p[4] + b * timeBatchStride, mask: p[5] + b * plane, features: p[6] + b * 8 * plane,
                        flow: p[7] + b * 4 * plane, plane: plane, row0: ty.i0 * w, row1: ty.i1 * w, y0: ty.i0, y1: ty.i1,
                        ty0: ty.w0, ty1: ty.w1, grid: grid, baseX: pbx, baseY: pby, divisor: divisor)
                    var x0 = 0
                    while x0 < ow {
                        let x1 = Swift.min(x0 + tile, ow)
                        if identity {
                            for x in x0..<x1 { row.assembleUnscaled(x: x, into: t0 + (x - x0) * total) }
                        } else {
                            for x in x0..<x1 { row.assembleDownscaled(tap: ptx[x], into: t0 + (x - x0) * total) }
                        }
                        S.store(t0, count: (x1 - x0) * total, to: pd + ((b * band.count + r) * ow + x0) * total, stride: 1)
                        x0 = x1
                    }
                }
            }
        }
    } } } } } }
    return out
}

/// One output row of `assembledBlockInput`: the sources of one batch image (each pointer at its
/// first plane), the two source rows the vertical taps read and their weights.
private struct BlockInputRow {
    let image0: UnsafePointer<Float>, image1: UnsafePointer<Float>
    let features0: UnsafePointer<Float>, features1: UnsafePointer<Float>
    let time: UnsafePointer<Float>, mask: UnsafePointer<Float>, features: UnsafePointer<Float>, flow: UnsafePointer<Float>
    let plane: Int
    /// Offsets of the source rows within a plane, their indices and their weights.
    let row0: Int, row1: Int, y0: Int, y1: Int, ty0: Float, ty1: Float
    let grid: WarpGrid, baseX: UnsafePointer<Float>, baseY: UnsafePointer<Float>
    let divisor: Float

    /// k = 1: the warp (as `warped`) and copies, no resize arithmetic; writes `o[0..<28]`.
    @inline(__always)
    func assembleUnscaled(x: Int, into o: UnsafeMutablePointer<Float>) {
        let plane = plane, at = row0 + x
        let s0 = grid.sample(x: x, y: y0, dx: flow[at], dy: flow[plane + at], baseX: baseX, baseY: baseY)
        let s1 = grid.sample(x: x, y: y0, dx: flow[2 * plane + at], dy: flow[3 * plane + at], baseX: baseX, baseY: baseY)
        o[0] = s0.evaluate(image0); o[1] = s0.evaluate(image0 + plane); o[2] = s0.evaluate(image0 + 2 * plane)
        o[3] = s1.evaluate(image1); o[4] = s1.evaluate(image1 + plane); o[5] = s1.evaluate(image1 + 2 * plane)
        for ch in 0..<4 { o[6 + ch] = s0.evaluate(features0 + ch * plane) }
        for ch in 0..<4 { o[10 + ch] = s1.evaluate(features1 + ch * plane) }
        o[14] = time[at]
        o[15] = mask[at]
        for ch in 0..<8 { o[16 + ch] = features[ch * plane + at] }
        for ch in 0..<4 { o[24 + ch] = flow[ch * plane + at] }
    }

    /// k > 1: each warped value at the four pixels the resize reads, combined as `warpedResized` does;
    /// the other parts resized as `resizedBilinear` does, the flow then divided by k.
    @inline(__always)
    func assembleDownscaled(tap tx: InterpolationTap, into o: UnsafeMutablePointer<Float>) {
        let plane = plane
        for f in 0..<2 {
            // Frame f: warped by flow channels 2f, 2f + 1; RGB to channels 3f…, features to 6 + 4f….
            let fx0 = flow + 2 * f * plane + row0, fy0 = fx0 + plane
            let fx1 = flow + 2 * f * plane + row1, fy1 = fx1 + plane
            let a00 = grid.sample(x: tx.i0, y: y0, dx: fx0[tx.i0], dy: fy0[tx.i0], baseX: baseX, baseY: baseY)
            let a01 = grid.sample(x: tx.i1, y: y0, dx: fx0[tx.i1], dy: fy0[tx.i1], baseX: baseX, baseY: baseY)
            let a10 = grid.sample(x: tx.i0, y: y1, dx: fx1[tx.i0], dy: fy1[tx.i0], baseX: baseX, baseY: baseY)
            let a11 = grid.sample(x: tx.i1, y: y1, dx: fx1[tx.i1], dy: fy1[tx.i1], baseX: baseX, baseY: baseY)
            @inline(__always) func warpedValue(_ q: UnsafePointer<Float>) -> Float {
                let top = a00.evaluate(q) * tx.w0 + a01.evaluate(q) * tx.w1
                let bottom = a10.evaluate(q) * tx.w0 + a11.evaluate(q) * tx.w1
                return top * ty0 + bottom * ty1
            }
            let (image, feats) = f == 0 ? (image0, features0) : (image1, features1)
            for ch in 0..<3 { o[3 * f + ch] = warpedValue(image + ch * plane) }
            for ch in 0..<4 { o[6 + 4 * f + ch] = warpedValue(feats + ch * plane) }
        }
        @inline(__always) func resized(_ q: UnsafePointer<Float>) -> Float {
            let (r0, r1) = (q + row0, q + row1)
            let top = r0[tx.i0] * tx.w0 + r0[tx.i1] * tx.w1
            let bottom = r1[tx.i0] * tx.w0 + r1[tx.i1] * tx.w1
            return top * ty0 + bottom * ty1
        }
        o[14] = resized(time)
        o[15] = resized(mask)
        for ch in 0..<8 { o[16 + ch] = resized(features + ch * plane) }
        for ch in 0..<4 { o[24 + ch] = resized(flow + ch * plane) / divisor }
    }
}
