/// Reference kernels: obviously-correct loops, one per op, written for reading,
/// not speed. They are the oracle the fast kernels are tested against and follow
/// the PyTorch function named in each doc comment.
public enum Reference {
    /// `torch.nn.functional.conv2d` (zero padding, groups = 1).
    /// - input: [N, C, H, W]; weight: [O, C, KH, KW]; bias: [O] or nil → [N, O, OH, OW]
    ///   with OH = (H + 2·padding − dilation·(KH−1) − 1) / stride + 1.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?,
                              stride: Int = 1, padding: Int = 0, dilation: Int = 1) -> Tensor {
        let (n, c, h, w) = (input.n, input.c, input.h, input.w)
        let (o, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        precondition(weight.shape[1] == c, "weight \(weight.shape) vs input \(input.shape)")
        let oh = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1
        let ow = (w + 2 * padding - dilation * (kw - 1) - 1) / stride + 1
        var out = Tensor(shape: [n, o, oh, ow])
        for b in 0..<n { for oc in 0..<o { for y in 0..<oh { for x in 0..<ow {
            var acc: Double = Double(bias?.scalars[oc] ?? 0)
            for ic in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
                let iy = y * stride - padding + ky * dilation
                let ix = x * stride - padding + kx * dilation
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                acc += Double(input[b, ic, iy, ix]) * Double(weight[oc, ic, ky, kx])
            } } }
            out[b, oc, y, x] = Float(acc)
        } } } }
        return out
    }

    /// `torch.nn.functional.conv_transpose2d` (zero output_padding, groups = 1).
    /// - input: [N, C, H, W]; weight: [C, O, KH, KW] (PyTorch's transposed layout);
    ///   bias: [O] or nil → [N, O, (H−1)·stride − 2·padding + KH, …].
    public static func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor?,
                                       stride: Int, padding: Int) -> Tensor {
        let (n, c, h, w) = (input.n, input.c, input.h, input.w)
        precondition(weight.shape[0] == c, "weight \(weight.shape) vs input \(input.shape)")
        let (o, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
        let oh = (h - 1) * stride - 2 * padding + kh
        let ow = (w - 1) * stride - 2 * padding + kw
        var acc = [Double](repeating: 0, count: n * o * oh * ow)
        // Scatter form: every input pixel adds its kernel footprint to the output.
        for b in 0..<n { for ic in 0..<c { for y in 0..<h { for x in 0..<w {
            let v = Double(input[b, ic, y, x])
            for oc in 0..<o { for ky in 0..<kh { for kx in 0..<kw {
                let oy = y * stride - padding + ky, ox = x * stride - padding + kx
                guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
                acc[((b * o + oc) * oh + oy) * ow + ox] += v * Double(weight[ic, oc, ky, kx])
            } } }
        } } } }
        var out = Tensor(shape: [n, o, oh, ow])
        for i in 0..<acc.count { out.scalars[i] = Float(acc[i] + Double(bias?.scalars[(i / (oh * ow)) % o] ?? 0)) }
        return out
    }

    /// `torch.nn.functional.leaky_relu(x, slope)`.
    public static func leakyReLU(_ x: Tensor, slope: Float = 0.2) -> Tensor {
        Tensor(shape: x.shape, scalars: x.scalars.map { $0 > 0 ? $0 : $0 * slope })
    }

    /// `torch.sigmoid`.
    public static func sigmoid(_ x: Tensor) -> Tensor {
        Tensor(shape: x.shape, scalars: x.scalars.map { 1 / (1 + (-$0).exp) })
    }

    /// ResConv epilogue of RIFE v4: `leaky_relu(conv * beta + residual, slope)`, beta per channel.
    /// - conv, residual: [N, C, H, W]; beta: C elements.
    public static func scaleResidualLeakyReLU(_ conv: Tensor, beta: Tensor, residual: Tensor, slope: Float = 0.2) -> Tensor {
        var out = conv
        for b in 0..<conv.n { for ch in 0..<conv.c { for y in 0..<conv.h { for x in 0..<conv.w {
            let v = conv[b, ch, y, x] * beta.scalars[ch] + residual[b, ch, y, x]
            out[b, ch, y, x] = v > 0 ? v : v * slope
        } } } }
        return out
    }

    /// `F.interpolate(x, scale_factor: factor, mode: "bilinear", align_corners: false)` with
    /// `recompute_scale_factor` unset: output size ⌊n·factor⌋, source coordinate
    /// `(dst + 0.5) / factor − 0.5` clamped at 0, no antialiasing.
    public static func resizeBilinear(_ x: Tensor, factor: Double) -> Tensor {
        let oh = Int((Double(x.h) * factor).rounded(.down))
        let ow = Int((Double(x.w) * factor).rounded(.down))
        let inv = Float(1 / factor)
        func source(_ dst: Int, _ size: Int) -> (i0: Int, i1: Int, l1: Float) {
            let s = max(inv * (Float(dst) + 0.5) - 0.5, 0)
            let outputSize = Int((Double(size) * factor).rounded(.down))
            if outputSize == size { return (dst, dst, 0) }  // PyTorch copies when the size does not change
            let i0 = min(Int(s), size - 1)
            return (i0, i0 < size - 1 ? i0 + 1 : i0, s - Float(i0))
        }
        var out = Tensor(shape: [x.n, x.c, oh, ow])
        for b in 0..<x.n { for ch in 0..<x.c { for y in 0..<oh {
            let sy = source(y, x.h)
            for xx in 0..<ow {
                let sx = source(xx, x.w)
                let top = (1 - sx.l1) * x[b, ch, sy.i0, sx.i0] + sx.l1 * x[b, ch, sy.i0, sx.i1]
                let bottom = (1 - sx.l1) * x[b, ch, sy.i1, sx.i0] + sx.l1 * x[b, ch, sy.i1, sx.i1]
                out[b, ch, y, xx] = (1 - sy.l1) * top + sy.l1 * bottom
            }
        } } }
        return out
    }

    /// RIFE's backward warp: `grid_sample(x, base + flow / ((W−1)/2, (H−1)/2), bilinear,
    /// padding_mode: "border", align_corners: true)`, i.e. bilinear sampling of `x` at pixel
    /// `(x + dx, y + dy)` with the coordinate clamped to `[0, W−1] × [0, H−1]`.
    /// - x: [N, C, H, W]; flow: [N, 2, H, W] in pixels (dx, dy) → [N, C, H, W].
    public static func warp(_ x: Tensor, flow: Tensor) -> Tensor {
        precondition(flow.shape == [x.n, 2, x.h, x.w], "flow \(flow.shape) vs image \(x.shape)")
        // The sample position goes through PyTorch's normalised grid in Float32:
        // g = linspace(-1, 1)[i] + d / ((n-1)/2), then i' = (g + 1) * (n-1)/2, clamped to [0, n-1].
        func linspace(_ n: Int, _ i: Int) -> Float {
            guard n > 1 else { return -1 }
            let step = Float(2) / Float(n - 1)
            return i < n / 2 ? -1 + step * Float(i) : 1 - step * Float(n - 1 - i)
        }
        let halfW = (Float(x.w) - 1) / 2, halfH = (Float(x.h) - 1) / 2
        var out = x
        for b in 0..<x.n { for y in 0..<x.h { for xx in 0..<x.w {
            let gx = linspace(x.w, xx) + flow[b, 0, y, xx] / halfW
            let gy = linspace(x.h, y) + flow[b, 1, y, xx] / halfH
            // Clamp to the border; NaN (a 1-pixel dimension divides by zero) lands on 0.
            let ux = (gx + 1) * halfW, uy = (gy + 1) * halfH
            let sx = ux > 0 ? min(ux, Float(x.w - 1)) : 0
            let sy = uy > 0 ? min(uy, Float(x.h - 1)) : 0
            let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
            let x1 = min(x0 + 1, x.w - 1), y1 = min(y0 + 1, x.h - 1)
            let fx = sx - Float(x0), fy = sy - Float(y0)
            for ch in 0..<x.c {
                out[b, ch, y, xx] = x[b, ch, y0, x0] * ((1 - fy) * (1 - fx)) + x[b, ch, y0, x1] * ((1 - fy) * fx)
                    + x[b, ch, y1, x0] * (fy * (1 - fx)) + x[b, ch, y1, x1] * (fy * fx)
            }
        } } }
        return out
    }

    /// `torch.nn.functional.pixel_shuffle(x, r)`: [N, C·r², H, W] → [N, C, H·r, W·r].
    public static func pixelShuffle(_ x: Tensor, factor r: Int) -> Tensor {
        precondition(x.c % (r * r) == 0, "channels \(x.c) not divisible by \(r * r)")
        let c = x.c / (r * r)
        var out = Tensor(shape: [x.n, c, x.h * r, x.w * r])
        for b in 0..<x.n { for ch in 0..<c { for y in 0..<x.h * r { for xx in 0..<x.w * r {
            out[b, ch, y, xx] = x[b, ch * r * r + (y % r) * r + (xx % r), y / r, xx / r]
        } } } }
        return out
    }

    /// `torch.cat(parts, dim: 1)` for NCHW tensors of equal N, H, W.
    public static func concatChannels(_ parts: [Tensor]) -> Tensor {
        let first = parts[0]
        var out = Tensor(shape: [first.n, parts.map(\.c).reduce(0, +), first.h, first.w])
        for b in 0..<first.n {
            var base = 0
            for p in parts {
                precondition(p.n == first.n && p.h == first.h && p.w == first.w, "cat: \(p.shape) vs \(first.shape)")
                for ch in 0..<p.c { for y in 0..<p.h { for x in 0..<p.w { out[b, base + ch, y, x] = p[b, ch, y, x] } } }
                base += p.c
            }
        }
        return out
    }

    /// `x[:, range]` for an NCHW tensor.
    public static func sliceChannels(_ x: Tensor, _ range: Range<Int>) -> Tensor {
        var out = Tensor(shape: [x.n, range.count, x.h, x.w])
        for b in 0..<x.n { for (i, ch) in range.enumerated() { for y in 0..<x.h { for xx in 0..<x.w {
            out[b, i, y, xx] = x[b, ch, y, xx]
        } } } }
        return out
    }
}

extension Float {
    /// e^self (Foundation-free, for the reference kernels).
    var exp: Float { Float(_exp(Double(self))) }
}

#if canImport(Glibc)
import Glibc
private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
private func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif

extension Reference {
    /// `torch.nn.functional.prelu(x, weight)` with one slope per channel.
    /// - x: [N, C, H, W]; slope: C elements.
    public static func preLU(_ x: Tensor, slope: Tensor) -> Tensor {
        var out = x
        for b in 0..<x.n { for ch in 0..<x.c { for y in 0..<x.h { for xx in 0..<x.w {
            let v = x[b, ch, y, xx]
            out[b, ch, y, xx] = v > 0 ? v : v * slope.scalars[ch]
        } } } }
        return out
    }
}
