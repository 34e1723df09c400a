/// 2-D max pooling (PyTorch `F.max_pool2d`, no padding, dilation 1, `ceil_mode=False`): each
/// output is the largest input in its `kernel × kernel` window, windows `stride` apart.
/// LPIPS's AlexNet uses kernel 3, stride 2.
/// - Parameters:
///   - input: [N, C, H, W] with H, W ≥ kernel.
/// - Returns: [N, C, (H − kernel)/stride + 1, (W − kernel)/stride + 1]. NaN propagates, as in PyTorch.
public func maxPool2d(_ input: Tensor, kernel: Int, stride: Int) -> Tensor {
    precondition(input.rank == 4 && kernel >= 1 && stride >= 1, "maxPool2d: input \(input.shape), kernel \(kernel), stride \(stride)")
    precondition(input.h >= kernel && input.w >= kernel, "maxPool2d: \(input.shape) is smaller than the \(kernel)x\(kernel) window")
    let (h, w) = (input.h, input.w)
    let oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1
    var out = Tensor(shape: [input.n, input.c, oh, ow])
    input.scalars.withUnsafeBufferPointer { i in
        out.scalars.withUnsafeMutableBufferPointer { o in
            let (pi, po) = (i.baseAddress!, o.baseAddress!)
            parallelFor(input.n * input.c) { planes in
                for plane in planes {
                    let src = pi + plane * h * w, dst = po + plane * oh * ow
                    for y in 0..<oh {
                        for x in 0..<ow {
                            var best = -Float.infinity
                            var nan = false
                            for ky in 0..<kernel {
                                let row = src + (y * stride + ky) * w + x * stride
                                for kx in 0..<kernel {
                                    let v = row[kx]
                                    if v > best { best = v } else if v.isNaN { nan = true }
                                }
                            }
                            dst[y * ow + x] = nan ? .nan : best
                        }
                    }
                }
            }
        }
    }
    return out
}
