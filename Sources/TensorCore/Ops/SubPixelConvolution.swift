/// A 4×4, stride-2, padding-1 transposed convolution computed as four 2×2 convolutions, one per
/// output phase, interleaved (the "sub-pixel" form).
///
/// Why: oneDNN's transposed convolutions are its slow path (≈17 GFLOP/s measured), its direct
/// convolutions its fast one. The rewrite is exact: output pixel `(2i + a, 2j + b)` sums input rows
/// `i − 1 + a + dy` (dy ∈ {0, 1}) with kernel row `ky = 3 − a − 2·dy`, and likewise for columns, so
/// phase (a, b) is a plain 2×2 convolution padded by `1 − a` at the top and `a` at the bottom
/// (`1 − b` / `b` left and right), with no wasted taps.
public struct SubPixelConvTranspose: Sendable {
    /// Phase (a, b) at index `a·2 + b`: weight [O, I, 2, 2] and the shared bias [O].
    public let phases: [ConvolutionWeights]
    /// For few output channels, the four phases as one 3×3 convolution with 4·O outputs (channel
    /// `phase·O + o`), each 2×2 phase kernel placed at rows `a…a+1`, columns `b…b+1` and zeros
    /// elsewhere; nil otherwise.
    ///
    /// Why: oneDNN runs a 2×2 convolution with 4 outputs (the Head's last layer) at ≈ 20 GFLOP/s
    /// and a 3×3 one with 16 outputs at ≈ 85 (`Benchmarks/dnnl_precision.cpp` shapes, BENCHMARKS.md),
    /// so the merged form is twice as fast despite its 2.25× arithmetic. With 52 outputs (the
    /// IFBlocks' last layer) the phases themselves run at ≈ 68 GFLOP/s and the merged form loses.
    public let merged: ConvolutionWeights?
    /// Largest output count for which `merged` is used.
    public static let mergedMaximumOutputs = 8

    /// - Parameters:
    ///   - transposedWeight: PyTorch `ConvTranspose2d` weight [I, O, 4, 4].
    ///   - bias: [O].
    public init(transposedWeight w: Tensor, bias b: Tensor) {
        precondition(w.rank == 4 && w.shape[2] == 4 && w.shape[3] == 4, "sub-pixel rewrite needs a 4x4 kernel, got \(w.shape)")
        let (inputs, outputs) = (w.shape[0], w.shape[1])
        phases = (0..<4).map { phase in
            let (a, bb) = (phase / 2, phase % 2)
            var k = Tensor(shape: [outputs, inputs, 2, 2])
            for o in 0..<outputs { for i in 0..<inputs { for dy in 0..<2 { for dx in 0..<2 {
                k[o, i, dy, dx] = w[i, o, 3 - a - 2 * dy, 3 - bb - 2 * dx]
            } } } }
            return ConvolutionWeights(weight: k, bias: b)
        }
        if outputs <= SubPixelConvTranspose.mergedMaximumOutputs {
            var k3 = Tensor(shape: [4 * outputs, inputs, 3, 3])  // zeros
            for phase in 0..<4 {
                let (a, bb) = (phase / 2, phase % 2), k2 = phases[phase].weight
                for o in 0..<outputs { for i in 0..<inputs { for dy in 0..<2 { for dx in 0..<2 {
                    k3[phase * outputs + o, i, a + dy, bb + dx] = k2[o, i, dy, dx]
                } } } }
            }
            merged = ConvolutionWeights(weight: k3, bias: Tensor(shape: [4 * outputs],
                                                                   scalars: Array(repeating: b.scalars, count: 4).flatMap { $0 }))
        } else {
            merged = nil
        }
    }

    /// The same layer computing only the output channels `outputs` (each phase's weight and bias sliced):
    /// for a caller that reads only some channels, the others are never computed.
    public func keepingOutputs(_ outputs: Range<Int>) -> SubPixelConvTranspose {
        SubPixelConvTranspose(phases: phases.map { phase in
            let w = phase.weight, (inputs, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
            let per = inputs * kh * kw
            return ConvolutionWeights(
                weight: Tensor(shape: [outputs.count, inputs, kh, kw],
                               scalars: Array(w.scalars[(outputs.lowerBound * per)..<(outputs.upperBound * per)])),
                bias: phase.bias.map { Tensor(shape: [outputs.count], scalars: Array($0.scalars[outputs])) })
        })
    }

    private init(phases: [ConvolutionWeights]) {
        self.phases = phases
        merged = nil
    }

    /// `conv_transpose2d(x, w, b, stride: 2, padding: 1)`: [N, I, H, W] → [N, O, 2H, 2W].
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try self(x.channelsLast()) }

    /// The same from channels-last input (Float32, or bf16 for a bf16 convolution); the result is
    /// Float32 NCHW (the interleave does the transpose).
    /// - Parameter shuffle: a further `pixel_shuffle` factor applied in the same pass (RIFE's
    ///   IFBlock follows its transposed convolution with `PixelShuffle(2)`); 1 for none.
    public func callAsFunction<S: ActivationScalar>(_ x: ChannelsLast<S>, shuffle: Int = 1) throws -> Tensor {
        if let merged, shuffle == 1 {
            return try interleavedMergedPhases(conv2d(x, weights: merged, stride: 1, padding: (1, 1, 1, 1), as: Float.self))
        }
        let outputs = try (0..<4).map { phase in
            let (a, b) = (phase / 2, phase % 2)
            return try conv2d(x, weights: phases[phase], stride: 1, padding: (top: 1 - a, left: 1 - b, bottom: a, right: b),
                              as: Float.self)
        }
        return interleavedPhases(outputs, shuffle: shuffle)
    }

    /// The four phase outputs, channels-last Float32, before any interleave.
    public func phases<S: ActivationScalar>(_ x: ChannelsLast<S>) throws -> [ChannelsLastTensor] {
        try (0..<4).map { phase in
            let (a, b) = (phase / 2, phase % 2)
            return try conv2d(x, weights: phases[phase], stride: 1, padding: (top: 1 - a, left: 1 - b, bottom: a, right: b),
                              as: Float.self)
        }
    }

    /// Rows `rows` of the four phase outputs (each phase has as many rows as `x`), computed from only
    /// the input rows they read: phase (a, ·) output row i reads input rows i − 1 + a and i + a, so
    /// the band is a 2×2 convolution of input rows `rows.lowerBound − 1 + a ..< rows.upperBound + a`,
    /// zero-padded only where that range leaves the input. Same values as those rows of `phases(x)`.
    public func phases<S: ActivationScalar>(_ x: ChannelsLast<S>, rows: Range<Int>) throws -> [ChannelsLastTensor] {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= x.h, "phase rows \(rows) of \(x.h)")
        if rows == 0..<x.h { return try phases(x) }
        return try (0..<4).map { phase in
            let (a, b) = (phase / 2, phase % 2)
            let (first, end) = (rows.lowerBound - 1 + a, rows.upperBound + a)
            let (lo, hi) = (max(0, first), min(x.h, end))
            return try conv2d(x.slicedRows(lo..<hi), weights: phases[phase], stride: 1,
                              padding: (top: lo - first, left: 1 - b, bottom: end - hi, right: b), as: Float.self)
        }
    }
}

extension ChannelsLast {
    /// Rows `rows` of every image (a copy).
    public func slicedRows(_ rows: Range<Int>) -> ChannelsLast<Scalar> {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h, "rows \(rows) of \(h)")
        if rows == 0..<h { return self }
        let row = w * c
        var out = ChannelsLast<Scalar>(uninitializedN: n, h: rows.count, w: w, c: c)
        scalars.withUnsafeBufferPointer { src in
            out.scalars.withUnsafeMutableBufferPointer { dst in
                for b in 0..<n {
                    (dst.baseAddress! + b * rows.count * row).update(from: src.baseAddress! + (b * h + rows.lowerBound) * row,
                                                                     count: rows.count * row)
                }
            }
        }
        return out
    }
}

/// `splitBlockOutput(interleavedPhases(phases, shuffle: r), scale: 1, previousFlow:)` in one pass,
/// without the 13-channel full-size intermediate (an IFBlock working at full resolution): the
/// interleave is a copy and the split's arithmetic is applied to the copied values, so the result
/// is bit-identical to the two-step form.
public func interleavedSplitBlockOutput(_ phases: [ChannelsLastTensor], shuffle r: Int, previousFlow: Tensor?)
    -> (flow: Tensor, maskLogit: Tensor, features: Tensor) {
    interleavedSplitBlockOutput(height: phases[0].h, width: phases[0].w, batch: phases[0].n, shuffle: r,
                                previousFlow: previousFlow, bandRows: phases[0].h) { _ in phases }
}

/// The same with the phase outputs produced one band of rows at a time, so that only one band of
/// them exists at once (13 full-size planes at 4K: 434 MB); each band is interleaved and split into
/// its rows of the result. Bit-identical to the whole form when each band holds those rows' values.
/// - Parameters:
///   - height, width, batch: the phase outputs' size (the result is `2·height·r × 2·width·r`).
///   - bandRows: phase rows per band.
///   - withFeatures: false when the phases carry flow and mask only (5·r² channels, from
///     `SubPixelConvTranspose.keepingOutputs(0..<5·r²)`); the features come back empty ([N, 0, H, W]).
///   - phases: the four phase outputs for a range of phase rows.
public func interleavedSplitBlockOutput(height h: Int, width w: Int, batch n: Int, shuffle r: Int, previousFlow: Tensor?,
                                        bandRows: Int, withFeatures: Bool = true,
                                        phases: (Range<Int>) throws -> [ChannelsLastTensor]) rethrows
    -> (flow: Tensor, maskLogit: Tensor, features: Tensor) {
    let (oh, ow) = (2 * h * r, 2 * w * r)
    if let previousFlow { precondition(previousFlow.shape == [n, 4, oh, ow], "flow \(previousFlow.shape) vs \(oh)x\(ow)") }
    // 13 channels (flow, mask, features), or 5 when the caller asked the phases for flow and mask only.
    let channels = withFeatures ? 13 : 5
    var flow = Tensor(uninitializedShape: [n, 4, oh, ow])
    var maskLogit = Tensor(uninitializedShape: [n, 1, oh, ow])
    var features = Tensor(uninitializedShape: [n, withFeatures ? 8 : 0, oh, ow])
    var i0 = 0
    while i0 < h {
        let i1 = min(i0 + max(1, bandRows), h)
        let band = try phases(i0..<i1)
        precondition(band.count == 4 && band.allSatisfy { $0.n == n && $0.h == i1 - i0 && $0.w == w },
                     "phase band \(band.map(\.shape)) for rows \(i0)..<\(i1)")
        precondition(band[0].c == channels * r * r, "block output must have \(channels) channels, got \(band[0].c / (r * r))")
        let y0 = 2 * i0 * r  // the band's first result row
        flow.scalars.withUnsafeMutableBufferPointer { fd in
        maskLogit.scalars.withUnsafeMutableBufferPointer { md in
        features.scalars.withUnsafeMutableBufferPointer { ed in
            let (pfd, pmd, ped) = (fd.baseAddress!, md.baseAddress!, ed.baseAddress!)
            (previousFlow?.scalars).withOptionalPointer { pp in
                interleavePhases(band, shuffle: r) { b, ch, y in
                    switch ch {
                    case 0..<4:
                        let offset = ((b * 4 + ch) * oh + y0 + y) * ow
                        return (pfd + offset, pp.map { $0 + offset })
                    case 4: return (pmd + (b * oh + y0 + y) * ow, nil)
                    default: return (ped + ((b * 8 + ch - 5) * oh + y0 + y) * ow, nil)
                    }
                } finish: { row, previous in
                    // splitBlockOutput's `previous + out · k` with k = 1 (the first block: `out · k`).
                    if let previous { for x in 0..<ow { row[x] = previous[x] + row[x] * 1 } }
                }
            }
        } } }
        i0 = i1
    }
    return (flow, maskLogit, features)
}

/// Interleaves four channels-last phase outputs [N, H, W, C] into one NCHW tensor and applies a
/// pixel shuffle by `r` in the same pass:
/// `out[c', (2i + a)·r + a', (2j + b)·r + b'] = phases[a·2 + b][i, j, c'·r² + a'·r + b']`,
/// which is `pixel_shuffle(interleave(phases), r)` (r = 1: the plain interleave, [N, C, 2H, 2W]).
/// Public so that tests can check it against its definition on phases of any shape.
public func interleavedPhases(_ phases: [ChannelsLastTensor], shuffle r: Int = 1) -> Tensor {
    let (n, h, w, c) = (phases[0].n, phases[0].h, phases[0].w, phases[0].c)
    precondition(c % (r * r) == 0, "pixel shuffle: channels \(c) not divisible by \(r * r)")
    let oc = c / (r * r), oh = 2 * h * r, ow = 2 * w * r
    var out = Tensor(uninitializedShape: [n, oc, oh, ow])
    out.scalars.withUnsafeMutableBufferPointer { o in
        let po = o.baseAddress!
        interleavePhases(phases, shuffle: r) { b, ch, y in (po + ((b * oc + ch) * oh + y) * ow, nil) } finish: { _, _ in }
    }
    return out
}

/// The interleave's loop: writes output row `y` of channel `ch` (batch `b`) where `destination`
/// says, then calls `finish` on that row with the pointer `destination` returned beside it.
///
/// Why it walks the phases' rows, not the output's: a phase pixel's C values are contiguous and
/// feed `C / r` output rows, `r` values each, while an output row takes only `r` values from each
/// phase pixel. Walking output rows reads every phase row `C / r` times with a stride of C floats;
/// walking the two phase rows (a, 0) and (a, 1) that make up a group of output rows reads each
/// pixel's values once, in order, and stores them as contiguous runs of `2r` floats into the
/// group's `C / r` output rows (a pure copy: the values are unchanged).
func interleavePhases(_ phases: [ChannelsLastTensor], shuffle r: Int,
                      destination: (_ b: Int, _ ch: Int, _ y: Int) -> (UnsafeMutablePointer<Float>, UnsafePointer<Float>?),
                      finish: (UnsafeMutablePointer<Float>, UnsafePointer<Float>?) -> Void) {
    let (n, h, w, c) = (phases[0].n, phases[0].h, phases[0].w, phases[0].c)
    let oc = c / (r * r)
    let rowsPerGroup = oc * r  // output rows fed by one pair of phase rows: (channel, a') pairs
    phases[0].scalars.withUnsafeBufferPointer { p0 in
    phases[1].scalars.withUnsafeBufferPointer { p1 in
    phases[2].scalars.withUnsafeBufferPointer { p2 in
    phases[3].scalars.withUnsafeBufferPointer { p3 in
        let sources = [p0.baseAddress!, p1.baseAddress!, p2.baseAddress!, p3.baseAddress!]
        // One work item per group: (batch, phase row i, row phase a), writing output rows
        // y = (2i + a)·r + a' of every channel, a' < r.
        parallelFor(n * h * 2, minimumChunk: 2) { groups in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: rowsPerGroup) { rowStarts in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: rowsPerGroup) { extras in
                for group in groups {
                    let a = group % 2, i = (group / 2) % h, b = group / (2 * h)
                    // Output row (ch, a') is entry ch·r + a', matching the phase channel order ch·r² + a'·r + b'.
                    for ch in 0..<oc {
                        for aPrime in 0..<r {
                            let (row, extra) = destination(b, ch, (2 * i + a) * r + aPrime)
                            rowStarts[ch * r + aPrime] = row
                            extras[ch * r + aPrime] = extra
                        }
                    }
                    let left = sources[a * 2] + (b * h + i) * w * c, right = sources[a * 2 + 1] + (b * h + i) * w * c
                    let dst = rowStarts.baseAddress!
                    if r == 2 {
                        // Output x = 4j + 2·bPhase + b': each row gets left[b'] then right[b'], 4 floats per pixel.
                        for j in 0..<w {
                            let (l, rt) = (UnsafeRawPointer(left + j * c), UnsafeRawPointer(right + j * c))
                            for k in 0..<rowsPerGroup {
                                let run = SIMD4<Float>(lowHalf: l.loadUnaligned(fromByteOffset: 8 * k, as: SIMD2<Float>.self),
                                                       highHalf: rt.loadUnaligned(fromByteOffset: 8 * k, as: SIMD2<Float>.self))
                                UnsafeMutableRawPointer(dst[k] + 4 * j).storeBytes(of: run, as: SIMD4<Float>.self)
                            }
                        }
                    } else {
                        // Output x = (2j + bPhase)·r + b'.
                        for j in 0..<w {
                            let (l, rt) = (left + j * c, right + j * c)
                            for k in 0..<rowsPerGroup {
                                let d = dst[k] + 2 * r * j
                                for bPrime in 0..<r { d[bPrime] = l[k * r + bPrime]; d[r + bPrime] = rt[k * r + bPrime] }
                            }
                        }
                    }
                    for k in 0..<rowsPerGroup { finish(rowStarts[k], extras[k]) }
                }
            } }
        }
    } } } }
}

/// The interleave of `SubPixelConvTranspose.merged`'s output: channels-last [N, H, W, 4·O] with
/// phase (a, b)'s channel o at `(a·2 + b)·O + o`, to NCHW [N, O, 2H, 2W] with
/// `out[o, 2i + a, 2j + b] = x[i, j, (a·2 + b)·O + o]`. A pure copy.
func interleavedMergedPhases(_ x: ChannelsLastTensor) -> Tensor {
    precondition(x.c % 4 == 0, "merged phases: \(x.c) channels")
    let (n, h, w, c) = (x.n, x.h, x.w, x.c), outputs = x.c / 4, (oh, ow) = (2 * x.h, 2 * x.w)
    var out = Tensor(uninitializedShape: [n, outputs, oh, ow])
    x.scalars.withUnsafeBufferPointer { src in
        out.scalars.withUnsafeMutableBufferPointer { dst in
            let (ps, pd) = (src.baseAddress!, dst.baseAddress!)
            // One work item per input row i: it feeds output rows 2i and 2i + 1 of every channel.
            parallelFor(n * h, minimumChunk: 4) { rows in
                for row in rows {
                    let (b, i) = (row / h, row % h)
                    let s = ps + row * w * c
                    for a in 0..<2 {
                        for o in 0..<outputs {
                            let d = pd + ((b * outputs + o) * oh + 2 * i + a) * ow
                            let even = s + (a * 2) * outputs + o, odd = s + (a * 2 + 1) * outputs + o
                            for j in 0..<w {
                                d[2 * j] = even[j * c]
                                d[2 * j + 1] = odd[j * c]
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}
