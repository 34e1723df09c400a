import Foundation

extension Metrics {
    /// SSIM as scikit-image 0.26 computes it by default:
    /// `structural_similarity(a, b, channel_axis=2, data_range=255)`.
    ///
    /// Per channel: local means, variances and covariance over a 7×7 **uniform** window with the
    /// sample-covariance correction N/(N−1) = 49/48 (`use_sample_covariance=True`), C1 = (0.01·255)²,
    /// C2 = (0.03·255)²; the SSIM map is averaged over the valid interior (3 px cropped on every
    /// side, where the window fits), and the channel means are averaged. This is the SSIM of
    /// `../shared/data/REFERENCE.md`. It reads a few thousandths lower than `ssimGaussian` on
    /// typical frames; the two are not interchangeable.
    /// - Returns: the mean SSIM, 1 for identical images; NaN if a side is shorter than 7 px.
    public static func ssimUniform7(_ a: Image8, _ b: Image8) -> Double {
        ssim(a, b, window: [Double](repeating: 1.0 / 7, count: 7), covarianceCorrection: 49.0 / 48)
    }

    /// SSIM in the form of Wang et al. 2004 ("Image quality assessment: from error visibility to
    /// structural similarity"), the one VFI papers report: an 11×11 **Gaussian** window with
    /// σ = 1.5 (normalized to sum 1), population statistics (no N/(N−1) correction), K1 = 0.01,
    /// K2 = 0.03, L = 255, averaged over the valid interior (5 px cropped on every side), per
    /// channel, then over channels. Equal to scikit-image's `gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False` on each channel.
    /// - Returns: the mean SSIM, 1 for identical images; NaN if a side is shorter than 11 px.
    public static func ssimGaussian(_ a: Image8, _ b: Image8) -> Double {
        let raw = (-5...5).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
        let total = raw.reduce(0, +)
        return ssim(a, b, window: raw.map { $0 / total }, covarianceCorrection: 1)
    }

    /// Shared SSIM core: a separable window `window ⊗ window`, valid region only, all in Double.
    static func ssim(_ a: Image8, _ b: Image8, window: [Double], covarianceCorrection: Double) -> Double {
        precondition(a.sameShape(as: b), "ssim: images differ in shape")
        let k = window.count, (h, w) = (a.height, a.width)
        guard h >= k, w >= k else { return .nan }
        let c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255)
        let plane = h * w, oh = h - k + 1, ow = w - k + 1
        var total = 0.0
        for ch in 0..<a.channels {
            let x = a.samples[(ch * plane)..<((ch + 1) * plane)].map(Double.init)
            let y = b.samples[(ch * plane)..<((ch + 1) * plane)].map(Double.init)
            let mx = filterValid(x, h, w, window)
            let my = filterValid(y, h, w, window)
            let mxx = filterValid(zip(x, x).map(*), h, w, window)
            let myy = filterValid(zip(y, y).map(*), h, w, window)
            let mxy = filterValid(zip(x, y).map(*), h, w, window)
            var sum = 0.0
            for i in 0..<(oh * ow) {
                let (ux, uy) = (mx[i], my[i])
                let vx = covarianceCorrection * (mxx[i] - ux * ux)
                let vy = covarianceCorrection * (myy[i] - uy * uy)
                let vxy = covarianceCorrection * (mxy[i] - ux * uy)
                sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
            }
            total += sum / Double(oh * ow)
        }
        return total / Double(a.channels)
    }

    /// Correlates an h×w plane with `window ⊗ window`, keeping only positions where the window
    /// fits: (h − k + 1) × (w − k + 1) outputs, rows then columns.
    static func filterValid(_ p: [Double], _ h: Int, _ w: Int, _ window: [Double]) -> [Double] {
        let k = window.count, ow = w - k + 1, oh = h - k + 1
        var rows = [Double](repeating: 0, count: h * ow)
        for y in 0..<h {
            for x in 0..<ow {
                var s = 0.0
                for j in 0..<k { s += window[j] * p[y * w + x + j] }
                rows[y * ow + x] = s
            }
        }
        var out = [Double](repeating: 0, count: oh * ow)
        for y in 0..<oh {
            for x in 0..<ow {
                var s = 0.0
                for j in 0..<k { s += window[j] * rows[(y + j) * ow + x] }
                out[y * ow + x] = s
            }
        }
        return out
    }
}
