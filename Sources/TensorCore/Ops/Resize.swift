/// Bilinear resize by a scale factor, as `F.interpolate(x, scale_factor: factor,
/// mode: "bilinear", align_corners: false)` computes it on the CPU: output size
/// ⌊n·factor⌋, source coordinate `(dst + 0.5)·(1/factor) − 0.5` clamped at 0, no
/// antialiasing (a 1/16 downscale averages only the 2×2 pixels nearest each sample).
/// - Parameters:
///   - x: [N, C, H, W].
///   - factor: the scale factor (RIFE uses powers of two, up and down).
///   - rows: the output rows to compute (all by default): a band with the same values as those rows
///     of the whole result, for callers that work band by band.
/// - Returns: [N, C, ⌊H·factor⌋, ⌊W·factor⌋], or [N, C, rows.count, ⌊W·factor⌋].
public func resizedBilinear(_ x: Tensor, factor: Double, rows: Range<Int>? = nil) -> Tensor {
    if factor == 1 { return rows.map { slicedRows(x, $0) } ?? x }  // PyTorch copies unchanged values; a value type needs no copy
    let (oh, ow) = (resizedLength(x.h, factor: factor), resizedLength(x.w, factor: factor))
    precondition(oh > 0 && ow > 0, "resize of \(x.shape) by \(factor) is empty")
    let band = rows ?? 0..<oh
    precondition(band.lowerBound >= 0 && band.upperBound <= oh, "resize: rows \(band) of \(oh)")
    let ys = interpolationTaps(output: oh, input: x.h, factor: factor)
    let xs = interpolationTaps(output: ow, input: x.w, factor: factor)
    var out = Tensor(uninitializedShape: [x.n, x.c, band.count, ow])
    let (ih, iw) = (x.h, x.w)
    x.scalars.withUnsafeBufferPointer { src in
        out.scalars.withUnsafeMutableBufferPointer { dst in
            ys.withUnsafeBufferPointer { ty in
                xs.withUnsafeBufferPointer { tx in
                    let (ps, pd, py, px) = (src.baseAddress!, dst.baseAddress!, ty.baseAddress!, tx.baseAddress!)
                    parallelFor(x.n * x.c * band.count, minimumChunk: 8) { rows in
                        for row in rows {
                            let y = band.lowerBound + row % band.count, plane = row / band.count
                            let t = py[y]
                            let r0 = ps + (plane * ih + t.i0) * iw, r1 = ps + (plane * ih + t.i1) * iw
                            let o = pd + row * ow
                            for xx in 0..<ow {
                                let s = px[xx]
                                let top = r0[s.i0] * s.w0 + r0[s.i1] * s.w1
                                let bottom = r1[s.i0] * s.w0 + r1[s.i1] * s.w1
                                o[xx] = top * t.w0 + bottom * t.w1
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// The length ⌊n·factor⌋ that a resize by `factor` gives a side of length `n` (PyTorch's rule, which
/// every resizing kernel here and the RIFE model's band arithmetic must agree on).
public func resizedLength(_ n: Int, factor: Double) -> Int { Int((Double(n) * factor).rounded(.down)) }

/// One output coordinate's two source indices and their weights.
struct InterpolationTap {
    var i0: Int, i1: Int, w0: Float, w1: Float
}

/// PyTorch's `compute_source_index_and_lambda` for `align_corners=False` with an explicit scale.
func interpolationTaps(output: Int, input: Int, factor: Double) -> [InterpolationTap] {
    if output == input {  // PyTorch copies when the size does not change
        return (0..<output).map { InterpolationTap(i0: $0, i1: $0, w0: 1, w1: 0) }
    }
    let ratio = Float(1 / factor)
    return (0..<output).map { dst in
        let real = max(ratio * (Float(dst) + 0.5) - 0.5, 0)
        let i0 = min(Int(real.rounded(.down)), input - 1)
        let l1 = min(max(real - Float(i0), 0), 1)
        return InterpolationTap(i0: i0, i1: i0 < input - 1 ? i0 + 1 : i0, w0: 1 - l1, w1: l1)
    }
}
