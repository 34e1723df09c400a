import Foundation

/// `leaky_relu(x, slope)` elementwise (PyTorch `F.leaky_relu`).
public func leakyReLU(_ x: Tensor, slope: Float = 0.2) -> Tensor {
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in
        let p = o.baseAddress!
        parallelFor(o.count, minimumChunk: 1 << 16) { r in
            for i in r { let v = p[i]; p[i] = v > 0 ? v : v * slope }
        }
    }
    return out
}

/// `torch.sigmoid(x)` elementwise.
public func sigmoid(_ x: Tensor) -> Tensor {
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in
        let p = o.baseAddress!
        parallelFor(o.count, minimumChunk: 1 << 15) { r in
            for i in r { p[i] = 1 / (1 + expf(-p[i])) }
        }
    }
    return out
}

/// RIFE v4's ResConv epilogue, fused: `leaky_relu(conv * beta + residual, slope)`.
/// - Parameters:
///   - conv: the convolution output [N, C, H, W].
///   - beta: per-channel scale, C elements (the checkpoint stores it as [1, C, 1, 1]).
///   - residual: the block input [N, C, H, W].
public func scaleResidualLeakyReLU(_ conv: Tensor, beta: Tensor, residual: Tensor, slope: Float = 0.2) -> Tensor {
    precondition(conv.shape == residual.shape && beta.count == conv.c,
                 "ResConv: conv \(conv.shape), residual \(residual.shape), beta \(beta.shape)")
    var out = conv
    let plane = conv.h * conv.w, channels = conv.c
    out.scalars.withUnsafeMutableBufferPointer { o in
        residual.scalars.withUnsafeBufferPointer { r in
            beta.scalars.withUnsafeBufferPointer { b in
                let (po, pr, pb) = (o.baseAddress!, r.baseAddress!, b.baseAddress!)
                parallelFor(conv.n * channels) { planes in
                    for pl in planes {
                        let s = pb[pl % channels], base = pl * plane
                        for i in base..<(base + plane) {
                            let v = po[i] * s + pr[i]
                            po[i] = v > 0 ? v : v * slope
                        }
                    }
                }
            }
        }
    }
    return out
}

/// A 4-D tensor `[1, 1, h, w]` filled with `value` (RIFE's timestep plane).
public func constantPlane(_ value: Float, height: Int, width: Int) -> Tensor {
    Tensor(shape: [1, 1, height, width], repeating: value)
}

/// `x / divisor` elementwise (kept as a division, not a multiply by the reciprocal, to match PyTorch bit for bit).
public func divided(_ x: Tensor, by divisor: Float) -> Tensor {
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in
        let p = o.baseAddress!
        parallelFor(o.count, minimumChunk: 1 << 16) { r in for i in r { p[i] = p[i] / divisor } }
    }
    return out
}

/// `a + b` elementwise for equal shapes.
public func added(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: \(a.shape) vs \(b.shape)")
    var out = a
    out.scalars.withUnsafeMutableBufferPointer { o in
        b.scalars.withUnsafeBufferPointer { bb in
            let (p, q) = (o.baseAddress!, bb.baseAddress!)
            parallelFor(o.count, minimumChunk: 1 << 16) { r in for i in r { p[i] = p[i] + q[i] } }
        }
    }
    return out
}

/// RIFE's final blend: `w0 * m + w1 * (1 - m)` with `m = sigmoid(maskLogit)` broadcast over channels.
/// - Parameters:
///   - w0, w1: the two warped frames [N, C, H, W].
///   - mask: the post-sigmoid mask [N, 1, H, W].
public func blended(_ w0: Tensor, _ w1: Tensor, mask: Tensor) -> Tensor {
    precondition(w0.shape == w1.shape && mask.shape == [w0.n, 1, w0.h, w0.w], "blend: \(w0.shape) \(w1.shape) \(mask.shape)")
    var out = Tensor(uninitializedShape: w0.shape)
    let plane = w0.h * w0.w, c = w0.c
    w0.scalars.withUnsafeBufferPointer { a in
        w1.scalars.withUnsafeBufferPointer { b in
            mask.scalars.withUnsafeBufferPointer { m in
                out.scalars.withUnsafeMutableBufferPointer { o in
                    let (pa, pb, pm, po) = (a.baseAddress!, b.baseAddress!, m.baseAddress!, o.baseAddress!)
                    parallelFor(w0.n * c) { planes in
                        for pl in planes {
                            let mb = pm + (pl / c) * plane, base = pl * plane
                            for i in 0..<plane { let k = mb[i]; po[base + i] = pa[base + i] * k + pb[base + i] * (1 - k) }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// `x * factor` elementwise.
public func multiplied(_ x: Tensor, by factor: Float) -> Tensor {
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in
        let p = o.baseAddress!
        parallelFor(o.count, minimumChunk: 1 << 16) { r in for i in r { p[i] = p[i] * factor } }
    }
    return out
}

/// Splits an IFBlock's 13-channel output [N, 13, H, W] in one pass into the running flow
/// `previousFlow + out[:, 0:4] · k` (or `out[:, 0:4] · k` for the first block), the mask logit
/// `out[:, 4:5]` and the features `out[:, 5:13]` — the reference's slice, multiply and add,
/// evaluated in the same order.
public func splitBlockOutput(_ out: Tensor, scale k: Float, previousFlow: Tensor?)
    -> (flow: Tensor, maskLogit: Tensor, features: Tensor) {
    precondition(out.c == 13, "block output must have 13 channels, got \(out.shape)")
    let (n, h, w) = (out.n, out.h, out.w), plane = h * w
    if let previousFlow { precondition(previousFlow.shape == [n, 4, h, w], "flow \(previousFlow.shape) vs \(out.shape)") }
    var flow = Tensor(uninitializedShape: [n, 4, h, w])
    let maskLogit = slicedChannels(out, 4..<5), features = slicedChannels(out, 5..<13)
    out.scalars.withUnsafeBufferPointer { src in
        flow.scalars.withUnsafeMutableBufferPointer { dst in
            let (ps, pd) = (src.baseAddress!, dst.baseAddress!)
            let previous = previousFlow?.scalars
            previous.withOptionalPointer { pp in
                parallelFor(n * 4) { planes in
                    for p in planes {
                        let s = ps + ((p / 4) * 13 + p % 4) * plane, d = pd + p * plane
                        if let pp {
                            let q = pp + p * plane
                            for i in 0..<plane { d[i] = q[i] + s[i] * k }
                        } else {
                            for i in 0..<plane { d[i] = s[i] * k }
                        }
                    }
                }
            }
        }
    }
    return (flow, maskLogit, features)
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with the array's base address, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}

/// `splitBlockOutput(resizedBilinear(out, factor: k), scale: Float(k), previousFlow:)` in one pass,
/// without the 13-channel full-size intermediate: each resized value is computed with the same
/// floating-point operations in the same order as `resizedBilinear` computes it and handed straight
/// to the split's arithmetic, so the result is bit-identical to the two-step form.
///
/// Why it is split into passes: `resizedBilinear`'s value is `top·t.w0 + bottom·t.w1` where
/// `top` and `bottom` are horizontal interpolations (`r[i0]·w0 + r[i1]·w1`) of two source rows, and
/// those depend only on the source row and the output column. An upscale by k reads each source
/// row for about k output rows, so each horizontal interpolation is computed once into a scratch
/// row and reused while consecutive output rows read the same source rows; what is left per output
/// row is a branch-free, vectorisable blend of two scratch rows (and for the flow `· k` plus the
/// previous flow). Same values, same order, about 2k times fewer gathers.
/// - Parameters:
///   - out: an IFBlock's 13-channel output [N, 13, h, w] at its working resolution.
///   - k: the upscale back to full size (1: no resize).
///   - previousFlow: [N, 4, h·k, w·k], or nil for the first block.
public func resizedSplitBlockOutput(_ out: Tensor, factor k: Double, previousFlow: Tensor?)
    -> (flow: Tensor, maskLogit: Tensor, features: Tensor) {
    precondition(out.c == 13, "block output must have 13 channels, got \(out.shape)")
    let (n, ih, iw) = (out.n, out.h, out.w)
    let (oh, ow) = (resizedLength(ih, factor: k), resizedLength(iw, factor: k))
    if let previousFlow { precondition(previousFlow.shape == [n, 4, oh, ow], "flow \(previousFlow.shape) vs \(out.shape) ×\(k)") }
    if k == 1 { return splitBlockOutput(out, scale: 1, previousFlow: previousFlow) }  // resizedBilinear returns its input
    let ys = interpolationTaps(output: oh, input: ih, factor: k)
    let xs = interpolationTaps(output: ow, input: iw, factor: k)
    var flow = Tensor(uninitializedShape: [n, 4, oh, ow])
    var maskLogit = Tensor(uninitializedShape: [n, 1, oh, ow])
    var features = Tensor(uninitializedShape: [n, 8, oh, ow])
    let scale = Float(k), doubling = k == 2 ? DoublingColumns(xs) : nil
    out.scalars.withUnsafeBufferPointer { src in
    flow.scalars.withUnsafeMutableBufferPointer { fd in
    maskLogit.scalars.withUnsafeMutableBufferPointer { md in
    features.scalars.withUnsafeMutableBufferPointer { ed in
    ys.withUnsafeBufferPointer { ty in
    xs.withUnsafeBufferPointer { tx in
        let (ps, pfd, pmd, ped, py, px) = (src.baseAddress!, fd.baseAddress!, md.baseAddress!, ed.baseAddress!,
                                            ty.baseAddress!, tx.baseAddress!)
        (previousFlow?.scalars).withOptionalPointer { pp in
            // Work items are output rows, plane after plane, so a thread's rows are mostly
            // consecutive rows of one plane and share source rows.
            parallelFor(n * 13 * oh, minimumChunk: 16) { rows in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * ow) { scratch in
                    // Two horizontally interpolated source rows, each tagged with the source row
                    // (plane · ih + row) it holds; -1: none yet.
                    var cached = (upper: scratch.baseAddress!, lower: scratch.baseAddress! + ow)
                    var tags = (upper: -1, lower: -1)
                    /// The horizontal pass of source row `source` into `row`: `resizedBilinear`'s `top`/`bottom`.
                    func interpolateRow(_ source: Int, into row: UnsafeMutablePointer<Float>) {
                        let r = ps + source * iw
                        func gather(_ columns: Range<Int>) {
                            for x in columns {
                                let s = px[x]
                                row[x] = r[s.i0] * s.w0 + r[s.i1] * s.w1
                            }
                        }
                        guard let doubling else { gather(0..<ow); return }
                        // Four source columns j at a time: columns 2j (r[j-1], r[j]) and 2j + 1 (r[j], r[j+1]).
                        let (lo, hi) = (doubling.columns.lowerBound, doubling.columns.upperBound)
                        let (e0, e1) = (SIMD4(repeating: doubling.even.w0), SIMD4(repeating: doubling.even.w1))
                        let (o0, o1) = (SIMD4(repeating: doubling.odd.w0), SIMD4(repeating: doubling.odd.w1))
                        gather(0..<lo)
                        var x = lo
                        while x + 8 <= hi {
                            let j = x / 2
                            let (left, centre, right) = (UnsafeRawPointer(r + j - 1).loadUnaligned(as: SIMD4<Float>.self),
                                                         UnsafeRawPointer(r + j).loadUnaligned(as: SIMD4<Float>.self),
                                                         UnsafeRawPointer(r + j + 1).loadUnaligned(as: SIMD4<Float>.self))
                            let even = left * e0 + centre * e1, odd = centre * o0 + right * o1
                            let run = SIMD8(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3])
                            UnsafeMutableRawPointer(row + x).storeBytes(of: run, as: SIMD8<Float>.self)
                            x += 8
                        }
                        gather(x..<ow)
                    }
                    for row in rows {
                        let y = row % oh, plane = row / oh, b = plane / 13, ch = plane % 13
                        let t = py[y]
                        let (upperSource, lowerSource) = (plane * ih + t.i0, plane * ih + t.i1)
                        // Moving down one source row: the old lower row becomes the upper one.
                        if tags.upper != upperSource && tags.lower == upperSource {
                            swap(&cached.upper, &cached.lower)
                            swap(&tags.upper, &tags.lower)
                        }
                        if tags.upper != upperSource { interpolateRow(upperSource, into: cached.upper); tags.upper = upperSource }
                        if tags.lower != lowerSource {
                            if lowerSource == upperSource {
                                cached.lower.update(from: cached.upper, count: ow)  // the last row: both taps read it
                            } else {
                                interpolateRow(lowerSource, into: cached.lower)
                            }
                            tags.lower = lowerSource
                        }
                        let (top, bottom, w0, w1) = (UnsafePointer(cached.upper), UnsafePointer(cached.lower), t.w0, t.w1)
                        switch ch {
                        case 0..<4:
                            let offset = ((b * 4 + ch) * oh + y) * ow
                            let d = pfd + offset
                            if let pp {
                                let q = pp + offset
                                for x in 0..<ow { d[x] = q[x] + (top[x] * w0 + bottom[x] * w1) * scale }
                            } else {
                                for x in 0..<ow { d[x] = (top[x] * w0 + bottom[x] * w1) * scale }
                            }
                        case 4:
                            let d = pmd + (b * oh + y) * ow
                            for x in 0..<ow { d[x] = top[x] * w0 + bottom[x] * w1 }
                        default:
                            let d = ped + ((b * 8 + ch - 5) * oh + y) * ow
                            for x in 0..<ow { d[x] = top[x] * w0 + bottom[x] * w1 }
                        }
                    }
                }
            }
        }
    } } } } } }
    return (flow, maskLogit, features)
}

/// The columns of a ×2 horizontal resize where the taps repeat with period 2 — column 2j reads
/// source columns j − 1 and j with the weights `even`, column 2j + 1 reads j and j + 1 with `odd` —
/// checked tap by tap, so that `resizedSplitBlockOutput` may compute those columns four source
/// columns at a time with vector loads (the same products and sums as the taps give, in the same
/// order) instead of gathering each one. Everywhere else (the clamped edges) it gathers.
struct DoublingColumns {
    var columns: Range<Int>, even: InterpolationTap, odd: InterpolationTap

    /// nil when fewer than 8 columns follow the pattern (too few to be worth it).
    init?(_ taps: [InterpolationTap]) {
        guard taps.count >= 12 else { return nil }
        let (even, odd) = (taps[2], taps[3])
        var end = 2
        while end + 1 < taps.count {
            let (t0, t1) = (taps[end], taps[end + 1]), j = end / 2
            guard t0.i0 == j - 1, t0.i1 == j, t0.w0 == even.w0, t0.w1 == even.w1,
                  t1.i0 == j, t1.i1 == j + 1, t1.w0 == odd.w0, t1.w1 == odd.w1 else { break }
            end += 2
        }
        guard end - 2 >= 8 else { return nil }
        (columns, self.even, self.odd) = (2..<end, even, odd)
    }
}
