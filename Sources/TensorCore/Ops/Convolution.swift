import CDNNL
import Foundation

/// A convolution's weights and bias, plus the copies oneDNN's kernels read them from (reordered
/// to their blocked layout, and rounded to bf16 for bf16 convolutions). A copy is made the first
/// time a kernel needs it and kept, so a layer that owns one of these packs its weights once,
/// not at every call.
///
/// Thread-safe: several threads may run convolutions with the same weights at once (several
/// `Interpolator`s sharing one model's weights, say). The packed copies are looked up and made
/// under a lock of this object's own, held only while looking up or packing; once made, a copy is
/// never written again, so the convolutions read it without a lock.
public final class ConvolutionWeights: @unchecked Sendable {
    /// [O, I, kh, kw] for convolutions, [I, O, kh, kw] for transposed ones (PyTorch's layouts).
    public let weight: Tensor
    /// [O], or nil.
    public let bias: Tensor?
    /// One entry per layout a plan asked for; read and appended only under `packingLock`.
    private var packed: [(descriptor: dnnl_memory_desc_t, buffer: UnsafeMutableRawPointer)] = []
    private let packingLock = NSLock()

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 4, "convolution weights must be rank 4, got \(weight.shape)")
        self.weight = weight
        self.bias = bias
    }

    deinit { for entry in packed { entry.buffer.deallocate() } }

    /// The copy of the weights in `layout`, made on first request by `pack`, which fills the buffer
    /// it is given. Plans that want the same layout (the same layer at another frame size, or a
    /// second plan for the same shape on another thread) share it. The lock is held while packing,
    /// so that two threads asking at once pack once; the buffer lives as long as `self`.
    func packedCopy(in layout: dnnl_memory_desc_t, pack: (UnsafeMutableRawPointer) throws -> Void) rethrows
        -> UnsafeMutableRawPointer {
        var layout = layout
        return try packingLock.withLock {
            for entry in packed {
                var descriptor = entry.descriptor
                if dnnl_memory_desc_equal(&descriptor, &layout) != 0 { return entry.buffer }
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(dnnl_memory_desc_get_size(&layout), 64), alignment: 64)
            do { try pack(buffer) } catch { buffer.deallocate(); throw error }
            packed.append((layout, buffer))
            return buffer
        }
    }
}

/// 2-D convolution (PyTorch `F.conv2d`, zero padding, groups = 1), run by oneDNN,
/// optionally followed by a fused LeakyReLU.
/// - Parameters:
///   - input: [N, C, H, W].
///   - weight: [O, C, KH, KW] (PyTorch layout).
///   - bias: O elements, or nil.
///   - leakySlope: when set, `leaky_relu(·, leakySlope)` is applied to the result inside the kernel.
/// - Returns: [N, O, (H + 2p − d(KH−1) − 1)/s + 1, …].
/// - Throws: `ConvolutionError` when oneDNN cannot plan or run the convolution.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, leakySlope: Float? = nil) throws -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && weight.shape[1] == input.c,
                 "conv2d: weight \(weight.shape) vs input \(input.shape)")
    precondition(bias.map { $0.count == weight.shape[0] } ?? true, "conv2d: bias \(bias!.shape) vs weight \(weight.shape)")
    let key = DNNLConvolution.Key(
        transposed: false, n: input.n, ic: input.c, ih: input.h, iw: input.w,
        oc: weight.shape[0], kh: weight.shape[2], kw: weight.shape[3],
        stride: stride, dilation: dilation, padTop: padding, padLeft: padding, padBottom: padding, padRight: padding,
        hasBias: bias != nil, leakySlope: leakySlope)
    return try runConvolution(key, input, weight, bias)
}

/// Transposed 2-D convolution (PyTorch `F.conv_transpose2d`, output_padding 0, groups = 1), run by oneDNN.
/// - Parameters:
///   - input: [N, C, H, W].
///   - weight: [C, O, KH, KW] (PyTorch's ConvTranspose2d layout).
///   - bias: O elements, or nil.
/// - Returns: [N, O, (H−1)·s − 2p + KH, …].
/// - Throws: `ConvolutionError` when oneDNN cannot plan or run the convolution.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int) throws -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && weight.shape[0] == input.c,
                 "convTranspose2d: weight \(weight.shape) vs input \(input.shape)")
    let key = DNNLConvolution.Key(
        transposed: true, n: input.n, ic: input.c, ih: input.h, iw: input.w,
        oc: weight.shape[1], kh: weight.shape[2], kw: weight.shape[3],
        stride: stride, dilation: 1, padTop: padding, padLeft: padding, padBottom: padding, padRight: padding,
        hasBias: bias != nil, leakySlope: nil)
    return try runConvolution(key, input, weight, bias)
}

/// Runs an NCHW plan; the weights are packed for this call only (hot paths hold `ConvolutionWeights`).
private func runConvolution(_ key: DNNLConvolution.Key, _ input: Tensor, _ weight: Tensor, _ bias: Tensor?) throws -> Tensor {
    let shape = DNNL.outputShape(key)
    precondition(shape[2] > 0 && shape[3] > 0, "convolution of \(input.shape) with \(weight.shape) is empty")
    var out = Tensor(uninitializedShape: shape)
    let weights = ConvolutionWeights(weight: weight, bias: bias)
    try input.scalars.withUnsafeBufferPointer { i in
        try out.scalars.withUnsafeMutableBufferPointer { o in
            try DNNL.run(key, input: i.baseAddress!, weights: weights, output: o.baseAddress!)
        }
    }
    return out
}
