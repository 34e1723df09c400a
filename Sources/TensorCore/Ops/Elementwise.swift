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
/// without the 13-channel full-size intermediate: each resized value is computed as
/// `resizedBilinear` computes it and handed straight to the split's arithmetic, so the result is
/// bit-identical to the two-step form.
/// - Parameters:
///   - out: an IFBlock's 13-channel output [N, 13, h, w] at its working resolution.
///   - k: the upscale back to full size (1: no resize).
///   - previousFlow: [N, 4, h·k, w·k], or nil for the first block.
public func resizedSplitBlockOutput(_ out: Tensor, factor k: Double, previousFlow: Tensor?)
    -> (flow: Tensor, maskLogit: Tensor, features: Tensor) {
    precondition(out.c == 13, "block output must have 13 channels, got \(out.shape)")
    let (n, ih, iw) = (out.n, out.h, out.w)
    let oh = k == 1 ? ih : Int((Double(ih) * k).rounded(.down))
    let ow = k == 1 ? iw : Int((Double(iw) * k).rounded(.down))
    if let previousFlow { precondition(previousFlow.shape == [n, 4, oh, ow], "flow \(previousFlow.shape) vs \(out.shape) ×\(k)") }
    let ys = interpolationTaps(output: oh, input: ih, factor: k)
    let xs = interpolationTaps(output: ow, input: iw, factor: k)
    var flow = Tensor(uninitializedShape: [n, 4, oh, ow])
    var maskLogit = Tensor(uninitializedShape: [n, 1, oh, ow])
    var features = Tensor(uninitializedShape: [n, 8, oh, ow])
    let scale = Float(k), identity = k == 1
    out.scalars.withUnsafeBufferPointer { src in
    flow.scalars.withUnsafeMutableBufferPointer { fd in
    maskLogit.scalars.withUnsafeMutableBufferPointer { md in
    features.scalars.withUnsafeMutableBufferPointer { ed in
    ys.withUnsafeBufferPointer { ty in
    xs.withUnsafeBufferPointer { tx in
        let (ps, pfd, pmd, ped, py, px) = (src.baseAddress!, fd.baseAddress!, md.baseAddress!, ed.baseAddress!,
                                            ty.baseAddress!, tx.baseAddress!)
        (previousFlow?.scalars).withOptionalPointer { pp in
            parallelFor(n * 13 * oh, minimumChunk: 8) { rows in
                for row in rows {
                    let y = row % oh, plane = row / oh, b = plane / 13, ch = plane % 13
                    let t = py[y]
                    let r0 = ps + (plane * ih + t.i0) * iw, r1 = ps + (plane * ih + t.i1) * iw
                    // Destination row and, for the flow, the running flow it is added to.
                    let d: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>?
                    switch ch {
                    case 0..<4:
                        d = pfd + ((b * 4 + ch) * oh + y) * ow
                        q = pp.map { $0 + ((b * 4 + ch) * oh + y) * ow }
                    case 4: d = pmd + (b * oh + y) * ow; q = nil
                    default: d = ped + ((b * 8 + ch - 5) * oh + y) * ow; q = nil
                    }
                    for xx in 0..<ow {
                        let v: Float
                        if identity {
                            v = r0[xx]
                        } else {
                            let s = px[xx]
                            let top = r0[s.i0] * s.w0 + r0[s.i1] * s.w1
                            let bottom = r1[s.i0] * s.w0 + r1[s.i1] * s.w1
                            v = top * t.w0 + bottom * t.w1
                        }
                        if ch < 4 {
                            if let q { d[xx] = q[xx] + v * scale } else { d[xx] = v * scale }
                        } else {
                            d[xx] = v
                        }
                    }
                }
            }
        }
    } } } } } }
    return (flow, maskLogit, features)
}
