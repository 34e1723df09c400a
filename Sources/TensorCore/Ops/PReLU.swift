/// `torch.nn.PReLU(C)`: `x > 0 ? x : slope[c] · x` with one learned slope per channel
/// (RIFE HDv3 uses it after every convolution instead of v4's fixed LeakyReLU(0.2)).
/// - Parameters:
///   - x: [N, C, H, W].
///   - slope: C elements (the checkpoint's `[C]` weight).
public func preLU(_ x: Tensor, slope: Tensor) -> Tensor {
    precondition(x.rank == 4 && slope.count == x.c, "PReLU: input \(x.shape), slope \(slope.shape)")
    var out = x  // consumed in place when the caller holds no other reference
    let plane = x.h * x.w, channels = x.c
    out.scalars.withUnsafeMutableBufferPointer { o in
        slope.scalars.withUnsafeBufferPointer { s in
            let (po, ps) = (o.baseAddress!, s.baseAddress!)
            parallelFor(x.n * channels) { planes in
                for pl in planes {
                    let a = ps[pl % channels], base = pl * plane
                    for i in base..<(base + plane) { let v = po[i]; po[i] = v > 0 ? v : v * a }
                }
            }
        }
    }
    return out
}

/// `PReLU` on channels-last data (the layout HDv3's convolution chain stays in).
public func preLU(_ x: ChannelsLastTensor, slope: Tensor) -> ChannelsLastTensor {
    preLU(x, slope: slope, adding: nil)
}

/// `PReLU(x) + residual` on channels-last data, fused: HDv3's residual groups end with
/// `convblock(feat) + feat`, where the group's last PReLU comes before the addition
/// (unlike v4's ResConv, no activation follows the sum).
public func preLU(_ x: ChannelsLastTensor, slope: Tensor, adding residual: ChannelsLastTensor?) -> ChannelsLastTensor {
    precondition(slope.count == x.c, "PReLU NHWC: input \(x.shape), slope \(slope.shape)")
    if let residual { precondition(residual.shape == x.shape, "PReLU residual \(residual.shape) vs \(x.shape)") }
    var out = x
    let c = x.c
    out.scalars.withUnsafeMutableBufferPointer { o in
        slope.scalars.withUnsafeBufferPointer { s in
            (residual?.scalars).withOptionalPointer { r in
                let (po, ps) = (o.baseAddress!, s.baseAddress!)
                parallelFor(x.n * x.h * x.w, minimumChunk: 256) { pixels in
                    for p in pixels {
                        let base = p * c
                        if let r {
                            for ch in 0..<c { let v = po[base + ch]; po[base + ch] = (v > 0 ? v : v * ps[ch]) + r[base + ch] }
                        } else {
                            for ch in 0..<c { let v = po[base + ch]; po[base + ch] = v > 0 ? v : v * ps[ch] }
                        }
                    }
                }
            }
        }
    }
    return out
}
