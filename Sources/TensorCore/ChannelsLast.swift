/// A rank-4 tensor stored channels-last (NHWC): the layout oneDNN's fast convolution kernels use
/// on AVX-512. Inside an IFBlock the activations stay in this layout so that a chain of
/// convolutions needs no reorder between them; `Tensor` (NCHW) remains the model's interface.
/// `Scalar` is Float32, or `BFloat16` for the inputs of bf16 convolutions.
public struct ChannelsLast<Scalar: ActivationScalar>: Sendable, Equatable {
    public let n: Int, h: Int, w: Int, c: Int
    /// Elements in N, H, W, C order.
    public var scalars: [Scalar]

    public init(n: Int, h: Int, w: Int, c: Int, scalars: [Scalar]) {
        precondition(scalars.count == n * h * w * c, "\(scalars.count) scalars for NHWC \(n)x\(h)x\(w)x\(c)")
        (self.n, self.h, self.w, self.c) = (n, h, w, c)
        self.scalars = scalars
    }

    /// Elements left uninitialised: only for kernels that write every element first.
    public init(uninitializedN n: Int, h: Int, w: Int, c: Int) {
        let count = n * h * w * c
        self.init(n: n, h: h, w: w, c: c, scalars: [Scalar](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
    }

    /// The NCHW shape of the same tensor.
    public var shape: [Int] { [n, c, h, w] }
}

/// Float32 channels-last activations (the default precision).
public typealias ChannelsLastTensor = ChannelsLast<Float>

extension ChannelsLast where Scalar == Float {
    public init(n: Int, h: Int, w: Int, c: Int) {
        self.init(n: n, h: h, w: w, c: c, scalars: [Float](repeating: 0, count: n * h * w * c))
    }

    /// The same values as `S` (rounded to nearest even for bf16); Float32 returns `self`, uncopied.
    public func converted<S: ActivationScalar>(to: S.Type) -> ChannelsLast<S> {
        if let same = self as? ChannelsLast<S> { return same }
        var out = ChannelsLast<S>(uninitializedN: n, h: h, w: w, c: c)
        let count = scalars.count
        scalars.withUnsafeBufferPointer { src in
            out.scalars.withUnsafeMutableBufferPointer { dst in
                let (ps, pd) = (src.baseAddress!, dst.baseAddress!)
                let block = 4096
                parallelFor((count + block - 1) / block, minimumChunk: 16) { blocks in
                    for b in blocks {
                        let lo = b * block
                        S.store(ps + lo, count: Swift.min(block, count - lo), to: pd + lo, stride: 1)
                    }
                }
            }
        }
        return out
    }
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

/// `conv2d` on channels-last data (same arithmetic as the NCHW form), reading `Source` and writing
/// `Destination` scalars: Float32, or bf16 inputs (weights rounded to bf16 too) accumulated in
/// Float32 and stored as either type.
/// - Parameters:
///   - weights: [O, I, kh, kw] and bias; packed for the kernel on first use and kept.
///   - padding: zero padding as (top, left, bottom, right); the common symmetric case is `(p, p, p, p)`.
///   - leakySlope: when set, `leaky_relu(·, leakySlope)` is applied inside the kernel, before rounding.
/// - Throws: `ConvolutionError` when oneDNN cannot plan or run the convolution.
public func conv2d<Source: ActivationScalar, Destination: ActivationScalar>(
    _ input: ChannelsLast<Source>, weights: ConvolutionWeights, stride: Int = 1,
    padding: (top: Int, left: Int, bottom: Int, right: Int), leakySlope: Float? = nil, as _: Destination.Type
) throws -> ChannelsLast<Destination> {
    let weight = weights.weight
    precondition(weight.shape[1] == input.c, "conv2d: weight \(weight.shape) vs NHWC input \(input.shape)")
    precondition(weights.bias.map { $0.count == weight.shape[0] } ?? true, "conv2d: bias \(weights.bias!.shape) vs weight \(weight.shape)")
    let key = DNNLConvolution.Key(
        transposed: false, n: input.n, ic: input.c, ih: input.h, iw: input.w,
        oc: weight.shape[0], kh: weight.shape[2], kw: weight.shape[3], stride: stride, dilation: 1,
        padTop: padding.top, padLeft: padding.left, padBottom: padding.bottom, padRight: padding.right,
        hasBias: weights.bias != nil, channelsLast: true, leakySlope: leakySlope,
        source: Source.precision, destination: Destination.precision)
    let shape = DNNL.outputShape(key)
    precondition(shape[2] > 0 && shape[3] > 0, "convolution of NHWC \(input.shape) with \(weight.shape) is empty")
    var out = ChannelsLast<Destination>(uninitializedN: shape[0], h: shape[2], w: shape[3], c: shape[1])
    try input.scalars.withUnsafeBufferPointer { i in
        try out.scalars.withUnsafeMutableBufferPointer { o in
            try DNNL.run(key, input: i.baseAddress!, weights: weights, output: o.baseAddress!)
        }
    }
    return out
}

/// Float32 `conv2d` on channels-last data with the same padding on every side (weights packed for this call only).
public func conv2d(_ input: ChannelsLastTensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                   leakySlope: Float? = nil) throws -> ChannelsLastTensor {
    try conv2d(input, weights: ConvolutionWeights(weight: weight, bias: bias), stride: stride,
               padding: (padding, padding, padding, padding), leakySlope: leakySlope, as: Float.self)
}

/// RIFE's ResConv epilogue on channels-last data: `leaky_relu(conv * beta + residual, slope)`.
public func scaleResidualLeakyReLU(_ conv: ChannelsLastTensor, beta: Tensor, residual: ChannelsLastTensor,
                                   slope: Float = 0.2) -> ChannelsLastTensor {
    scaleResidualLeakyReLU(conv, beta: beta, residual: residual, slope: slope, alsoAs: Float.self).result
}

/// The same, also returning the result stored as `S` (the next convolution's input), written in
/// the same pass while the values are in registers; for Float32 that is the result itself.
public func scaleResidualLeakyReLU<S: ActivationScalar>(
    _ conv: consuming ChannelsLastTensor, beta: Tensor, residual: ChannelsLastTensor, slope: Float = 0.2, alsoAs _: S.Type
) -> (result: ChannelsLastTensor, rounded: ChannelsLast<S>) {
    precondition(conv.shape == residual.shape && beta.count == conv.c, "ResConv NHWC: \(conv.shape) \(residual.shape) \(beta.shape)")
    // Updated in place: `consuming` hands the caller's (temporary) convolution output over, so the
    // write below does not copy it first (a borrowed parameter did: 0.8 % of a pair in memmove).
    var out = conv
    let same = S.self == Float.self
    var rounded = ChannelsLast<S>(uninitializedN: out.n, h: same ? 0 : out.h, w: out.w, c: out.c)  // unused for Float32
    let (c, pixelCount) = (out.c, out.n * out.h * out.w)
    out.scalars.withUnsafeMutableBufferPointer { o in
        residual.scalars.withUnsafeBufferPointer { r in
            beta.scalars.withUnsafeBufferPointer { bt in
                rounded.scalars.withUnsafeMutableBufferPointer { d in
                    let (po, pr, pb, pd) = (o.baseAddress!, r.baseAddress!, bt.baseAddress!, same ? nil : d.baseAddress)
                    parallelFor(pixelCount, minimumChunk: 256) { pixels in
                        for p in pixels {
                            let base = p * c
                            for ch in 0..<c {
                                let v = po[base + ch] * pb[ch] + pr[base + ch]
                                po[base + ch] = v > 0 ? v : v * slope
                            }
                            if let pd { S.store(po + base, count: c, to: pd + base, stride: 1) }
                        }
                    }
                }
            }
        }
    }
    return (out, same ? out as! ChannelsLast<S> : rounded)
}

/// `torch.cat(parts, dim: 1)` written straight into channels-last Float32.
public func channelsLastConcatenation(_ parts: [Tensor]) -> ChannelsLastTensor {
    channelsLastConcatenation(parts, as: Float.self)
}

/// `torch.cat(parts, dim: 1)` written straight into channels-last layout, stored as `S`: the block
/// input of an IFBlock is assembled, transposed (and rounded, for bf16) in one pass instead of two.
/// - Parameter parts: NCHW tensors that agree in N, H and W.
public func channelsLastConcatenation<S: ActivationScalar>(_ parts: [Tensor], as _: S.Type) -> ChannelsLast<S> {
    precondition(!parts.isEmpty, "cat of nothing")
    let (n, h, w) = (parts[0].n, parts[0].h, parts[0].w)
    for p in parts { precondition(p.n == n && p.h == h && p.w == w, "cat: \(p.shape) vs \(parts[0].shape)") }
    let total = parts.reduce(0) { $0 + $1.c }
    var out = ChannelsLast<S>(uninitializedN: n, h: h, w: w, c: total)
    let plane = h * w
    // Pixels per tile: a tile of output (32 × channels Float32 values) is transposed into an L1
    // buffer, then stored (and rounded, for bf16) in one contiguous, vectorisable run.
    let tile = 32
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
                withUnsafeTemporaryAllocation(of: Float.self, capacity: tile * total) { buffer in
                    let t = buffer.baseAddress!
                    for row in rows {
                        let b = row / h, y = row % h
                        var x0 = 0
                        while x0 < w {
                            let x1 = Swift.min(x0 + tile, w)
                            for part in parts {
                                for ch in 0..<part.channels {
                                    let s = part.pointer + (b * part.channels + ch) * plane + y * w + x0
                                    let d = t + part.offset + ch
                                    for i in 0..<(x1 - x0) { d[i * total] = s[i] }
                                }
                            }
                            S.store(t, count: (x1 - x0) * total, to: pd + (row * w + x0) * total, stride: 1)
                            x0 = x1
                        }
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
