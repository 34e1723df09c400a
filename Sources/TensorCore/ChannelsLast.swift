/// A rank-4 Float32 tensor stored channels-last (NHWC): the layout oneDNN's fast convolution
/// kernels use on AVX-512. Inside an IFBlock the activations stay in this layout so that a chain
/// of convolutions needs no reorder between them; `Tensor` (NCHW) remains the model's interface.
public struct ChannelsLastTensor: Sendable, Equatable {
    public let n: Int, h: Int, w: Int, c: Int
    /// Elements in N, H, W, C order.
    public var scalars: [Float]

    public init(n: Int, h: Int, w: Int, c: Int, scalars: [Float]) {
        precondition(scalars.count == n * h * w * c, "\(scalars.count) scalars for NHWC \(n)x\(h)x\(w)x\(c)")
        (self.n, self.h, self.w, self.c) = (n, h, w, c)
        self.scalars = scalars
    }

    public init(n: Int, h: Int, w: Int, c: Int) {
        self.init(n: n, h: h, w: w, c: c, scalars: [Float](repeating: 0, count: n * h * w * c))
    }

    /// Elements left uninitialised: only for kernels that write every element first.
    public init(uninitializedN n: Int, h: Int, w: Int, c: Int) {
        let count = n * h * w * c
        self.init(n: n, h: h, w: w, c: c, scalars: [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
    }

    /// The NCHW shape of the same tensor.
    public var shape: [Int] { [n, c, h, w] }
}

extension Tensor {
    /// This NCHW tensor transposed to channels-last.
    public func channelsLast() -> ChannelsLastTensor { channelsLastConcatenation([self]) }

    /// A channels-last tensor transposed back to NCHW.
    public init(_ x: ChannelsLastTensor) {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        var out = Tensor(uninitializedShape: [n, c, h, w])
        let plane = h * w
        x.scalars.withUnsafeBufferPointer { src in
            out.scalars.withUnsafeMutableBufferPointer { dst in
                let (ps, pd) = (src.baseAddress!, dst.baseAddress!)
                parallelFor(n * h, minimumChunk: 4) { rows in
                    for row in rows {
                        let b = row / h, y = row % h
                        let s = ps + row * w * c
                        for ch in 0..<c {
                            let d = pd + (b * c + ch) * plane + y * w
                            for xx in 0..<w { d[xx] = s[xx * c + ch] }
                        }
                    }
                }
            }
        }
        self = out
    }
}

/// `conv2d` on channels-last data (same arithmetic as the NCHW form; weights stay PyTorch's [O, I, kh, kw]).
/// - Parameter padding: zero padding as (top, left, bottom, right); the common symmetric case is `(p, p, p, p)`.
public func conv2d(_ input: ChannelsLastTensor, weight: Tensor, bias: Tensor?, stride: Int = 1,
                   padding: (top: Int, left: Int, bottom: Int, right: Int), leakySlope: Float? = nil) -> ChannelsLastTensor {
    precondition(weight.rank == 4 && weight.shape[1] == input.c, "conv2d: weight \(weight.shape) vs NHWC input \(input.shape)")
    let key = DNNLConvolution.Key(
        transposed: false, n: input.n, ic: input.c, ih: input.h, iw: input.w,
        oc: weight.shape[0], kh: weight.shape[2], kw: weight.shape[3], stride: stride, dilation: 1,
        padTop: padding.top, padLeft: padding.left, padBottom: padding.bottom, padRight: padding.right,
        hasBias: bias != nil, channelsLast: true, leakySlope: leakySlope)
    let shape = DNNL.outputShape(key)
    precondition(shape[2] > 0 && shape[3] > 0, "convolution of NHWC \(input.shape) with \(weight.shape) is empty")
    var out = ChannelsLastTensor(uninitializedN: shape[0], h: shape[2], w: shape[3], c: shape[1])
    out.scalars.withUnsafeMutableBufferPointer { o in
        DNNL.run(key, input: input.scalars, weight: weight.scalars, bias: bias?.scalars, output: o.baseAddress!)
    }
    return out
}

/// `conv2d` on channels-last data with the same padding on every side.
public func conv2d(_ input: ChannelsLastTensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                   leakySlope: Float? = nil) -> ChannelsLastTensor {
    conv2d(input, weight: weight, bias: bias, stride: stride, padding: (padding, padding, padding, padding), leakySlope: leakySlope)
}

/// RIFE's ResConv epilogue on channels-last data: `leaky_relu(conv * beta + residual, slope)`.
public func scaleResidualLeakyReLU(_ conv: ChannelsLastTensor, beta: Tensor, residual: ChannelsLastTensor,
                                   slope: Float = 0.2) -> ChannelsLastTensor {
    precondition(conv.shape == residual.shape && beta.count == conv.c, "ResConv NHWC: \(conv.shape) \(residual.shape) \(beta.shape)")
    var out = conv  // consumed in place when the caller holds no other reference
    let c = conv.c
    out.scalars.withUnsafeMutableBufferPointer { o in
        residual.scalars.withUnsafeBufferPointer { r in
            beta.scalars.withUnsafeBufferPointer { bt in
                let (po, pr, pb) = (o.baseAddress!, r.baseAddress!, bt.baseAddress!)
                parallelFor(conv.n * conv.h * conv.w, minimumChunk: 256) { pixels in
                    for p in pixels {
                        let base = p * c
                        for ch in 0..<c {
                            let v = po[base + ch] * pb[ch] + pr[base + ch]
                            po[base + ch] = v > 0 ? v : v * slope
                        }
                    }
                }
            }
        }
    }
    return out
}

/// `torch.cat(parts, dim: 1)` written straight into channels-last layout: the block input of an
/// IFBlock is assembled and transposed in one pass instead of two.
/// - Parameter parts: NCHW tensors that agree in N, H and W.
public func channelsLastConcatenation(_ parts: [Tensor]) -> ChannelsLastTensor {
    precondition(!parts.isEmpty, "cat of nothing")
    let (n, h, w) = (parts[0].n, parts[0].h, parts[0].w)
    for p in parts { precondition(p.n == n && p.h == h && p.w == w, "cat: \(p.shape) vs \(parts[0].shape)") }
    let total = parts.reduce(0) { $0 + $1.c }
    var out = ChannelsLastTensor(uninitializedN: n, h: h, w: w, c: total)
    let plane = h * w
    let tile = 32  // pixels per tile: a tile of output (32 × channels floats) stays in L1 while it fills
    withBufferPointers(parts) { sources in
    out.scalars.withUnsafeMutableBufferPointer { dst in
        let pd = dst.baseAddress!
        var offset = 0
        let described = zip(parts, sources).map { part, pointer in
            defer { offset += part.c }
            return (pointer: pointer, channels: part.c, offset: offset)
        }
        described.withUnsafeBufferPointer { parts in
            parallelFor(n * h, minimumChunk: 4) { rows in
                for row in rows {
                    let b = row / h, y = row % h
                    var x0 = 0
                    while x0 < w {
                        let x1 = Swift.min(x0 + tile, w)
                        for part in parts {
                            for ch in 0..<part.channels {
                                let s = part.pointer + (b * part.channels + ch) * plane + y * w
                                let d = pd + row * w * total + part.offset + ch
                                for x in x0..<x1 { d[x * total] = s[x] }
                            }
                        }
                        x0 = x1
                    }
                }
            }
        }
    }
    }
    return out
}

/// Calls `body` with the base address of every tensor's storage, bound for the duration of the call.
func withBufferPointers<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    func bind(_ index: Int, _ bound: [UnsafePointer<Float>]) -> R {
        if index == tensors.count { return body(bound) }
        return tensors[index].scalars.withUnsafeBufferPointer { bind(index + 1, bound + [$0.baseAddress!]) }
    }
    return bind(0, [])
}
