/// A 4×4, stride-2, padding-1 transposed convolution computed as four 2×2 convolutions, one per
/// output phase, interleaved (the "sub-pixel" form).
///
/// Why: oneDNN's transposed convolutions are its slow path (≈17 GFLOP/s measured), its direct
/// convolutions its fast one. The rewrite is exact: output pixel `(2i + a, 2j + b)` sums input rows
/// `i − 1 + a + dy` (dy ∈ {0, 1}) with kernel row `ky = 3 − a − 2·dy`, and likewise for columns, so
/// phase (a, b) is a plain 2×2 convolution padded by `1 − a` at the top and `a` at the bottom
/// (`1 − b` / `b` left and right), with no wasted taps.
public struct SubPixelConvTranspose: Sendable {
    /// Phase (a, b) at index `a·2 + b`: weight [O, I, 2, 2].
    public let phaseWeights: [Tensor]
    /// [O]
    public let bias: Tensor

    /// - Parameters:
    ///   - transposedWeight: PyTorch `ConvTranspose2d` weight [I, O, 4, 4].
    ///   - bias: [O].
    public init(transposedWeight w: Tensor, bias b: Tensor) {
        precondition(w.rank == 4 && w.shape[2] == 4 && w.shape[3] == 4, "sub-pixel rewrite needs a 4x4 kernel, got \(w.shape)")
        let (inputs, outputs) = (w.shape[0], w.shape[1])
        phaseWeights = (0..<4).map { phase in
            let (a, bb) = (phase / 2, phase % 2)
            var k = Tensor(shape: [outputs, inputs, 2, 2])
            for o in 0..<outputs { for i in 0..<inputs { for dy in 0..<2 { for dx in 0..<2 {
                k[o, i, dy, dx] = w[i, o, 3 - a - 2 * dy, 3 - bb - 2 * dx]
            } } } }
            return k
        }
        bias = b
    }

    /// `conv_transpose2d(x, w, b, stride: 2, padding: 1)`: [N, I, H, W] → [N, O, 2H, 2W].
    public func callAsFunction(_ x: Tensor) -> Tensor { self(x.channelsLast()) }

    /// The same from channels-last input; the result is NCHW (the interleave does the transpose).
    public func callAsFunction(_ x: ChannelsLastTensor) -> Tensor {
        let phases = (0..<4).map { phase in
            let (a, b) = (phase / 2, phase % 2)
            return conv2d(x, weight: phaseWeights[phase], bias: bias, stride: 1,
                          padding: (top: 1 - a, left: 1 - b, bottom: a, right: b))
        }
        return interleavedPhases(phases)
    }
}

/// Interleaves four channels-last phase outputs [N, H, W, C] into one NCHW tensor [N, C, 2H, 2W]:
/// `out[c, 2i + a, 2j + b] = phases[a·2 + b][i, j, c]`.
func interleavedPhases(_ phases: [ChannelsLastTensor]) -> Tensor {
    let (n, h, w, c) = (phases[0].n, phases[0].h, phases[0].w, phases[0].c)
    var out = Tensor(shape: [n, c, 2 * h, 2 * w])
    let ow = 2 * w
    phases[0].scalars.withUnsafeBufferPointer { p0 in
    phases[1].scalars.withUnsafeBufferPointer { p1 in
    phases[2].scalars.withUnsafeBufferPointer { p2 in
    phases[3].scalars.withUnsafeBufferPointer { p3 in
    out.scalars.withUnsafeMutableBufferPointer { o in
        let sources = [p0.baseAddress!, p1.baseAddress!, p2.baseAddress!, p3.baseAddress!]
        let po = o.baseAddress!
        parallelFor(n * c * h, minimumChunk: 4) { rows in
            for row in rows {  // row = (b·c + ch)·h + i
                let i = row % h, plane = row / h, ch = plane % c, b = plane / c
                for a in 0..<2 {
                    let dst = po + (plane * 2 * h + 2 * i + a) * ow
                    let s0 = sources[a * 2] + ((b * h + i) * w) * c + ch
                    let s1 = sources[a * 2 + 1] + ((b * h + i) * w) * c + ch
                    for j in 0..<w {
                        dst[2 * j] = s0[j * c]
                        dst[2 * j + 1] = s1[j * c]
                    }
                }
            }
        }
    } } } } }
    return out
}
