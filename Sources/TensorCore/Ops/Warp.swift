/// RIFE's backward warp: samples `image` at `(x + dx, y + dy)` bilinearly, clamping
/// the coordinate to the image (PyTorch `grid_sample(bilinear, padding_mode: "border",
/// align_corners: true)` on the grid `linspace(-1, 1) + flow / ((W−1)/2, (H−1)/2)`).
///
/// The coordinate is computed the way PyTorch does, through the normalised grid in
/// Float32, so results agree to the last bits instead of to ~1e-5 px.
/// - Parameters:
///   - image: [N, C, H, W].
///   - flow: [N, F, H, W]; channels `flowChannel` (dx) and `flowChannel + 1` (dy) are used, in pixels.
///   - rows: the output rows to compute (all by default): a band of the warped image, with the
///     same values as those rows of the whole warp, for callers that work band by band.
/// - Returns: [N, C, H, W], or [N, C, rows.count, W].
public func warped(_ image: Tensor, flow: Tensor, flowChannel: Int = 0, rows: Range<Int>? = nil) -> Tensor {
    precondition(flow.n == image.n && flow.h == image.h && flow.w == image.w && flowChannel + 2 <= flow.c,
                 "warp: flow \(flow.shape) channel \(flowChannel) vs image \(image.shape)")
    let (n, c, h, w) = (image.n, image.c, image.h, image.w)
    let band = rows ?? 0..<h
    precondition(band.lowerBound >= 0 && band.upperBound <= h, "warp: rows \(band) of \(image.shape)")
    let grid = WarpGrid(height: h, width: w)
    var out = Tensor(uninitializedShape: [n, c, band.count, w])
    let plane = h * w, flowChannels = flow.c, outPlane = band.count * w
    image.scalars.withUnsafeBufferPointer { src in
        flow.scalars.withUnsafeBufferPointer { fl in
            out.scalars.withUnsafeMutableBufferPointer { dst in
                grid.baseX.withUnsafeBufferPointer { bx in
                    grid.baseY.withUnsafeBufferPointer { by in
                        let (ps, pf, pd, pbx, pby) = (src.baseAddress!, fl.baseAddress!, dst.baseAddress!, bx.baseAddress!, by.baseAddress!)
                        parallelFor(n * band.count, minimumChunk: 4) { rows in
                            for row in rows {
                                let b = row / band.count, r = row % band.count, y = band.lowerBound + r
                                let fx = pf + ((b * flowChannels + flowChannel) * h + y) * w
                                let fy = fx + plane
                                for x in 0..<w {
                                    let s = grid.sample(x: x, y: y, dx: fx[x], dy: fy[x], baseX: pbx, baseY: pby)
                                    var p = ps + b * c * plane
                                    var q = pd + b * c * outPlane + r * w + x
                                    for _ in 0..<c {
                                        q.pointee = s.evaluate(p)
                                        p += plane; q += outPlane
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// The bilinear footprint of one warped sample: four offsets into a plane and their weights.
struct WarpSample {
    var nw: Int, ne: Int, sw: Int, se: Int
    var wnw: Float, wne: Float, wsw: Float, wse: Float

    /// The interpolated value, summed in grid_sample's order.
    @inline(__always)
    func evaluate(_ plane: UnsafePointer<Float>) -> Float {
        plane[nw] * wnw + plane[ne] * wne + plane[sw] * wsw + plane[se] * wse
    }
}

/// The normalised base grid of a warp and the arithmetic that maps a flow vector to a sample.
struct WarpGrid {
    let width: Int, height: Int
    /// `torch.linspace(-1, 1, W)` and `(-1, 1, H)` as PyTorch's CPU kernel computes them.
    let baseX: [Float], baseY: [Float]
    let halfW: Float, halfH: Float

    init(height: Int, width: Int) {
        self.width = width
        self.height = height
        baseX = WarpGrid.linspace(width)
        baseY = WarpGrid.linspace(height)
        halfW = (Float(width) - 1) / 2
        halfH = (Float(height) - 1) / 2
    }

    /// linspace(-1, 1, n): first half counts up from -1, second half down from 1.
    static func linspace(_ n: Int) -> [Float] {
        guard n > 1 else { return [Float](repeating: -1, count: n) }
        let step = Float(2) / Float(n - 1)
        return (0..<n).map { i in i < n / 2 ? -1 + step * Float(i) : 1 - step * Float(n - 1 - i) }
    }

    /// Clamps a coordinate to `[0, size − 1]`. NaN (a 1-pixel dimension divides by zero,
    /// or a broken flow) lands on 0 instead of trapping in the integer conversion.
    @inline(__always)
    static func clampToBorder(_ v: Float, _ size: Int) -> Float {
        let hi = Float(size - 1)
        if !(v > 0) { return 0 }
        return v < hi ? v : hi
    }

    @inline(__always)
    func sample(x: Int, y: Int, dx: Float, dy: Float, baseX: UnsafePointer<Float>, baseY: UnsafePointer<Float>) -> WarpSample {
        // Normalise like RIFE (flow / ((W-1)/2)), add the base grid, then un-normalise like
        // grid_sample (align_corners: (g + 1) * (W-1)/2) and clamp to the border.
        let gx = baseX[x] + dx / halfW, gy = baseY[y] + dy / halfH
        let ix = WarpGrid.clampToBorder((gx + 1) * halfW, width)
        let iy = WarpGrid.clampToBorder((gy + 1) * halfH, height)
        // Both are ≥ 0 here, so truncation is floor; a libm floorf call per sample cost ~1 % of a pair.
        let x0 = Int(ix), y0 = Int(iy)
        let e = ix - Float(x0), n = iy - Float(y0)  // east and south weights
        let x1 = Swift.min(x0 + 1, width - 1), y1 = Swift.min(y0 + 1, height - 1)
        return WarpSample(nw: y0 * width + x0, ne: y0 * width + x1, sw: y1 * width + x0, se: y1 * width + x1,
                          wnw: (1 - n) * (1 - e), wne: (1 - n) * e, wsw: n * (1 - e), wse: n * e)
    }
}

/// `resizedBilinear(warped(image, flow:, flowChannel:), factor:)` computed without the full-size
/// warp: a bilinear resize without antialiasing reads only two rows and two columns of its input
/// per output pixel, so only those warped pixels are evaluated (1/16 of them at factor 1/8).
/// Bit-identical to the two-step form: each warped value and each resize weight is computed the
/// same way and combined in the same order.
/// - Parameters:
///   - image: [N, C, H, W]; flow: [N, F, H, W] with (dx, dy) at `flowChannel`, `flowChannel + 1`.
///   - factor: the resize factor (≤ 1 in RIFE's use; any factor works).
///   - rows: the output rows to compute (all by default): a band with the same values as those rows
///     of the whole result, for callers that work band by band.
/// - Returns: [N, C, ⌊H·factor⌋, ⌊W·factor⌋], or [N, C, rows.count, ⌊W·factor⌋].
public func warpedResized(_ image: Tensor, flow: Tensor, flowChannel: Int = 0, factor: Double,
                          rows: Range<Int>? = nil) -> Tensor {
    if factor == 1 { return warped(image, flow: flow, flowChannel: flowChannel, rows: rows) }
    precondition(flow.n == image.n && flow.h == image.h && flow.w == image.w && flowChannel + 2 <= flow.c,
                 "warp: flow \(flow.shape) channel \(flowChannel) vs image \(image.shape)")
    let (n, c, h, w) = (image.n, image.c, image.h, image.w)
    let (oh, ow) = (resizedLength(h, factor: factor), resizedLength(w, factor: factor))
    precondition(oh > 0 && ow > 0, "resize of \(image.shape) by \(factor) is empty")
    let band = rows ?? 0..<oh
    precondition(band.lowerBound >= 0 && band.upperBound <= oh, "warp+resize: rows \(band) of \(oh)")
    let ys = interpolationTaps(output: oh, input: h, factor: factor)
    let xs = interpolationTaps(output: ow, input: w, factor: factor)
    let grid = WarpGrid(height: h, width: w)
    var out = Tensor(uninitializedShape: [n, c, band.count, ow])
    let plane = h * w, outPlane = band.count * ow, flowChannels = flow.c
    image.scalars.withUnsafeBufferPointer { src in
    flow.scalars.withUnsafeBufferPointer { fl in
    out.scalars.withUnsafeMutableBufferPointer { dst in
    grid.baseX.withUnsafeBufferPointer { bx in
    grid.baseY.withUnsafeBufferPointer { by in
    ys.withUnsafeBufferPointer { ty in
    xs.withUnsafeBufferPointer { tx in
        let (ps, pf, pd) = (src.baseAddress!, fl.baseAddress!, dst.baseAddress!)
        let (pbx, pby, pty, ptx) = (bx.baseAddress!, by.baseAddress!, ty.baseAddress!, tx.baseAddress!)
        parallelFor(n * band.count, minimumChunk: 2) { rows in
            for row in rows {
                let b = row / band.count, r = row % band.count
                let t = pty[band.lowerBound + r]
                let fx0 = pf + ((b * flowChannels + flowChannel) * h + t.i0) * w, fy0 = fx0 + plane
                let fx1 = pf + ((b * flowChannels + flowChannel) * h + t.i1) * w, fy1 = fx1 + plane
                let image0 = ps + b * c * plane
                for x in 0..<ow {
                    let s = ptx[x]
                    // The four warped pixels the resize reads: rows i0/i1, columns i0/i1.
                    let a00 = grid.sample(x: s.i0, y: t.i0, dx: fx0[s.i0], dy: fy0[s.i0], baseX: pbx, baseY: pby)
                    let a01 = grid.sample(x: s.i1, y: t.i0, dx: fx0[s.i1], dy: fy0[s.i1], baseX: pbx, baseY: pby)
                    let a10 = grid.sample(x: s.i0, y: t.i1, dx: fx1[s.i0], dy: fy1[s.i0], baseX: pbx, baseY: pby)
                    let a11 = grid.sample(x: s.i1, y: t.i1, dx: fx1[s.i1], dy: fy1[s.i1], baseX: pbx, baseY: pby)
                    var p = image0
                    var q = pd + (b * c * band.count + r) * ow + x
                    for _ in 0..<c {
                        let top = a00.evaluate(p) * s.w0 + a01.evaluate(p) * s.w1
                        let bottom = a10.evaluate(p) * s.w0 + a11.evaluate(p) * s.w1
                        q.pointee = top * t.w0 + bottom * t.w1
                        p += plane; q += outPlane
                    }
                }
            }
        }
    } } } } } } }
    return out
}
