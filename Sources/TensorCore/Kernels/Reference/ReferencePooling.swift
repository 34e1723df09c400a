extension Reference {
    /// `torch.nn.functional.max_pool2d(input, kernel, stride)` (no padding, floor mode).
    /// - input: [N, C, H, W] → [N, C, (H − kernel)/stride + 1, (W − kernel)/stride + 1].
    public static func maxPool2d(_ input: Tensor, kernel: Int, stride: Int) -> Tensor {
        let oh = (input.h - kernel) / stride + 1, ow = (input.w - kernel) / stride + 1
        var out = Tensor(shape: [input.n, input.c, oh, ow])
        for b in 0..<input.n { for c in 0..<input.c { for y in 0..<oh { for x in 0..<ow {
            var values: [Float] = []
            for ky in 0..<kernel { for kx in 0..<kernel { values.append(input[b, c, y * stride + ky, x * stride + kx]) } }
            out[b, c, y, x] = values.contains(where: \.isNaN) ? .nan : values.max()!
        } } } }
        return out
    }
}
