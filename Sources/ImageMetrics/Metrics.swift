import Foundation
public import TensorCore

/// An 8-bit image as the metrics see it: `channels` planes of `height × width` samples (planar,
/// like one NCHW tensor). Every metric here is defined on 8-bit images, the form published scores
/// use, so a float frame is quantized first (see `init(tensor:)`).
public struct Image8: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Planar samples: channel-major, then rows top to bottom.
    public var samples: [UInt8]

    public init(channels: Int, height: Int, width: Int, samples: [UInt8]) {
        precondition(channels > 0 && height > 0 && width > 0 && samples.count == channels * height * width,
                     "\(samples.count) samples for a \(channels)x\(height)x\(width) image")
        self.channels = channels
        self.height = height
        self.width = width
        self.samples = samples
    }

    /// From interleaved RGB bytes (3 per pixel, rows top to bottom), e.g. `RGBImage.pixels`.
    public init(width: Int, height: Int, interleavedRGB pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "\(pixels.count) bytes for a \(width)x\(height) RGB image")
        let plane = width * height
        var planar = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane { for c in 0..<3 { planar[c * plane + i] = pixels[i * 3 + c] } }
        self.init(channels: 3, height: height, width: width, samples: planar)
    }

    /// From a [1, C, H, W] tensor with values in [0, 1]: `x · 255` rounded to the nearest value and
    /// clamped, the same quantization as `RGBImage(tensor:)`, so a tensor made from 8-bit data
    /// (`u8 / 255`) comes back exactly. NaN becomes 0.
    public init(tensor: Tensor) {
        precondition(tensor.rank == 4 && tensor.n == 1, "image tensor must be [1, C, H, W], got \(tensor.shape)")
        let samples = tensor.scalars.map(quantize8)
        self.init(channels: tensor.c, height: tensor.h, width: tensor.w, samples: samples)
    }

    /// As a [1, C, H, W] tensor of `u8 / 255`.
    public var tensor: Tensor {
        Tensor(shape: [1, channels, height, width], scalars: samples.map { Float($0) / 255 })
    }

    /// Whether `other` has the same channel count and size.
    public func sameShape(as other: Image8) -> Bool {
        channels == other.channels && height == other.height && width == other.width
    }
}

/// Full-reference image-quality metrics on 8-bit images (the prediction against the ground truth).
public enum Metrics {
    /// Peak signal-to-noise ratio in dB: `10 · log10(255² / MSE)`, the MSE taken over all pixels and
    /// channels of the full frame. Identical images give `+∞`.
    public static func psnr(_ a: Image8, _ b: Image8) -> Double {
        precondition(a.sameShape(as: b), "psnr: \(a.channels)x\(a.height)x\(a.width) vs \(b.channels)x\(b.height)x\(b.width)")
        var sum: Int = 0  // exact: at most 255² per sample
        for i in 0..<a.samples.count { let d = Int(a.samples[i]) - Int(b.samples[i]); sum += d * d }
        guard sum > 0 else { return .infinity }
        let mse = Double(sum) / Double(a.samples.count)
        return 10 * log10(255 * 255 / mse)
    }

    /// Interpolation error (the Middlebury benchmark's "IE"): the mean absolute difference over all
    /// pixels and channels, on the 0–255 scale.
    public static func interpolationError(_ a: Image8, _ b: Image8) -> Double {
        precondition(a.sameShape(as: b), "interpolationError: images differ in shape")
        var sum: Int = 0
        for i in 0..<a.samples.count { sum += abs(Int(a.samples[i]) - Int(b.samples[i])) }
        return Double(sum) / Double(a.samples.count)
    }
}
