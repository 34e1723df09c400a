public import TensorCore

/// Image-quality metrics. PSNR, SSIM and LPIPS arrive with the evaluation issue;
/// this module exists now so the package layout matches the plan.
public enum Metrics {
    /// Peak signal-to-noise ratio in dB of two equal-shape tensors with values in [0, 1].
    public static func psnr(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape, "psnr: \(a.shape) vs \(b.shape)")
        var sum = 0.0
        for i in 0..<a.count { let d = Double(a.scalars[i]) - Double(b.scalars[i]); sum += d * d }
        let mse = sum / Double(max(a.count, 1))
        return mse == 0 ? .infinity : 10 * log10(1 / mse)
    }
}

#if canImport(Glibc)
import Glibc
#endif
