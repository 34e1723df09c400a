/// 2-D convolution (PyTorch `F.conv2d`, zero padding, groups = 1), run by oneDNN,
/// optionally followed by a fused LeakyReLU.
/// - Parameters:
///   - input: [N, C, H, W].
///   - weight: [O, C, KH, KW] (PyTorch layout).
///   - bias: O elements, or nil.
///   - leakySlope: when set, `leaky_relu(·, leakySlope)` is applied to the result inside the kernel.
/// - Returns: [N, O, (H + 2p − d(KH−1) − 1)/s + 1, …].
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, leakySlope: Float? = nil) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && weight.shape[1] == input.c,
                 "conv2d: weight \(weight.shape) vs input \(input.shape)")
    precondition(bias.map { $0.count == weight.shape[0] } ?? true, "conv2d: bias \(bias!.shape) vs weight \(weight.shape)")
    let key = DNNLConvolution.Key(
        transposed: false, n: input.n, ic: input.c, ih: input.h, iw: input.w,
        oc: weight.shape[0], kh: weight.shape[2], kw: weight.shape[3],
        stride: stride, padding: padding, dilation: dilation, hasBias: bias != nil, leakySlope: leakySlope)
    return runConvolution(key, input, weight, bias)
}

/// Transposed 2-D convolution (PyTorch `F.conv_transpose2d`, output_padding 0, groups = 1), run by oneDNN.
/// - Parameters:
///   - input: [N, C, H, W].
///   - weight: [C, O, KH, KW] (PyTorch's ConvTranspose2d layout).
///   - bias: O elements, or nil.
/// - Returns: [N, O, (H−1)·s − 2p + KH, …].
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && weight.shape[0] == input.c,
                 "convTranspose2d: weight \(weight.shape) vs input \(input.shape)")
    let key = DNNLConvolution.Key(
        transposed: true, n: input.n, ic: input.c, ih: input.h, iw: input.w,
        oc: weight.shape[1], kh: weight.shape[2], kw: weight.shape[3],
        stride: stride, padding: padding, dilation: 1, hasBias: bias != nil, leakySlope: nil)
    return runConvolution(key, input, weight, bias)
}

private func runConvolution(_ key: DNNLConvolution.Key, _ input: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
    let oh: Int, ow: Int
    if key.transposed {
        oh = (key.ih - 1) * key.stride - 2 * key.padding + key.kh
        ow = (key.iw - 1) * key.stride - 2 * key.padding + key.kw
    } else {
        oh = (key.ih + 2 * key.padding - key.dilation * (key.kh - 1) - 1) / key.stride + 1
        ow = (key.iw + 2 * key.padding - key.dilation * (key.kw - 1) - 1) / key.stride + 1
    }
    precondition(oh > 0 && ow > 0, "convolution of \(input.shape) with \(weight.shape) is empty")
    var out = Tensor(shape: [key.n, key.oc, oh, ow])
    input.scalars.withUnsafeBufferPointer { i in
        weight.scalars.withUnsafeBufferPointer { w in
            out.scalars.withUnsafeMutableBufferPointer { o in
                if let bias {
                    bias.scalars.withUnsafeBufferPointer { b in
                        DNNL.run(key, input: i.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, output: o.baseAddress!)
                    }
                } else {
                    DNNL.run(key, input: i.baseAddress!, weight: w.baseAddress!, bias: nil, output: o.baseAddress!)
                }
            }
        }
    }
    return out
}
