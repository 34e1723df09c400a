#if canImport(Glibc)
import Glibc  // expf
#elseif canImport(Darwin)
import Darwin
#endif

/// RIFE's last step, `warp(I0, F[0:2])`, `warp(I1, F[2:4])`, `m = sigmoid(mask logit)` and the
/// blend `w0·m + w1·(1 − m)`, in one pass over the pixels.
///
/// Why: as four passes it read the flow twice and every warped plane back once; here each pixel's
/// two bilinear footprints and its mask are computed once and all four outputs written from
/// registers. Bit-identical to `warped`, `sigmoid` and `blended` (same operations, same order).
/// - Parameters:
///   - image0, image1: [N, C, H, W]; flow: [N, 4, H, W]; maskLogit: [N, 1, H, W].
/// - Returns: both warped frames, the mask (the weight of `warped0`) and the blended frame.
public func warpedAndBlended(_ image0: Tensor, _ image1: Tensor, flow: Tensor, maskLogit: Tensor)
    -> (warped0: Tensor, warped1: Tensor, mask: Tensor, frame: Tensor) {
    let (n, c, h, w) = (image0.n, image0.c, image0.h, image0.w)
    precondition(image1.shape == image0.shape && flow.shape == [n, 4, h, w] && maskLogit.shape == [n, 1, h, w],
                 "final blend: \(image0.shape) \(image1.shape) flow \(flow.shape) mask \(maskLogit.shape)")
    let grid = WarpGrid(height: h, width: w)
    var warped0 = Tensor(uninitializedShape: image0.shape), warped1 = Tensor(uninitializedShape: image0.shape)
    var mask = Tensor(uninitializedShape: maskLogit.shape), frame = Tensor(uninitializedShape: image0.shape)
    let plane = h * w
    withBufferPointers([image0, image1, flow, maskLogit]) { p in
    warped0.scalars.withUnsafeMutableBufferPointer { d0 in
    warped1.scalars.withUnsafeMutableBufferPointer { d1 in
    mask.scalars.withUnsafeMutableBufferPointer { dm in
    frame.scalars.withUnsafeMutableBufferPointer { df in
    grid.baseX.withUnsafeBufferPointer { bx in
    grid.baseY.withUnsafeBufferPointer { by in
        let (pw0, pw1, pm, pf, pbx, pby) = (d0.baseAddress!, d1.baseAddress!, dm.baseAddress!, df.baseAddress!,
                                            bx.baseAddress!, by.baseAddress!)
        parallelFor(n * h, minimumChunk: 4) { rows in
            for row in rows {
                let (b, y) = (row / h, row % h)
                let fx0 = p[2] + (b * 4 * h + y) * w, fy0 = fx0 + plane, fx1 = fy0 + plane, fy1 = fx1 + plane
                let logit = p[3] + (b * h + y) * w, m = pm + (b * h + y) * w
                let (source0, source1) = (p[0] + b * c * plane, p[1] + b * c * plane)
                let rowOffset = b * c * plane + y * w
                for x in 0..<w {
                    let s0 = grid.sample(x: x, y: y, dx: fx0[x], dy: fy0[x], baseX: pbx, baseY: pby)
                    let s1 = grid.sample(x: x, y: y, dx: fx1[x], dy: fy1[x], baseX: pbx, baseY: pby)
                    let k = 1 / (1 + expf(-logit[x]))
                    m[x] = k
                    for ch in 0..<c {
                        let a = s0.evaluate(source0 + ch * plane), bb = s1.evaluate(source1 + ch * plane)
                        let o = rowOffset + ch * plane + x
                        pw0[o] = a
                        pw1[o] = bb
                        pf[o] = a * k + bb * (1 - k)
                    }
                }
            }
        }
    } } } } } } }
    return (warped0, warped1, mask, frame)
}
