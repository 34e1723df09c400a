import Foundation
import MediaIO
import ImageMetrics
import TensorCore
import TestSupport
import Testing

/// A 3-channel image whose sample at (c, y, x) is `value(c, y, x)`.
func image(_ h: Int, _ w: Int, _ value: (Int, Int, Int) -> Int) -> Image8 {
    var s: [UInt8] = []
    for c in 0..<3 { for y in 0..<h { for x in 0..<w { s.append(UInt8(value(c, y, x))) } } }
    return Image8(channels: 3, height: h, width: w, samples: s)
}

func lpipsFixture(_ name: String) -> URL { Fixtures.shared.appendingPathComponent("fixtures/lpips").appendingPathComponent(name) }

@Suite("PSNR, IE and SSIM on hand-made images")
struct HandMadeMetricTests {
    let textured = image(23, 31) { c, y, x in (x * 7 + y * 13 + c * 40) % 200 }

    @Test("identical images: PSNR ∞, IE 0, both SSIMs exactly 1")
    func identical() {
        #expect(Metrics.psnr(textured, textured) == .infinity)
        #expect(Metrics.interpolationError(textured, textured) == 0)
        #expect(Metrics.ssimUniform7(textured, textured) == 1)
        #expect(abs(Metrics.ssimGaussian(textured, textured) - 1) < 1e-15)
    }

    @Test("a constant offset of 10: PSNR 10·log10(255²/100), IE 10, SSIM = luminance term only")
    func constantOffset() {
        let shifted = image(23, 31) { c, y, x in (x * 7 + y * 13 + c * 40) % 200 + 10 }
        #expect(abs(Metrics.psnr(textured, shifted) - 10 * log10(255.0 * 255 / 100)) < 1e-12)  // 28.1308…
        #expect(Metrics.interpolationError(shifted, textured) == 10)
        // Flat images 100 and 110: variances and covariance are 0, so SSIM = (2·μx·μy + C1)/(μx² + μy² + C1).
        let flatA = image(16, 16) { _, _, _ in 100 }, flatB = image(16, 16) { _, _, _ in 110 }
        let c1 = (0.01 * 255) * (0.01 * 255)
        let expected = (2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1)  // 0.995476…
        #expect(abs(Metrics.ssimUniform7(flatA, flatB) - expected) < 1e-12)
        #expect(abs(Metrics.ssimGaussian(flatA, flatB) - expected) < 1e-12)
        // With texture, an offset keeps the structure term at 1 and only lowers the luminance term.
        let s = Metrics.ssimUniform7(textured, shifted)
        #expect(s < 1 && s > 0.95, "\(s)")
    }

    @Test("SSIM is symmetric and NaN when the window does not fit")
    func symmetryAndTiny() {
        let other = image(23, 31) { c, y, x in (x * x + y * 3 + c) % 256 }
        #expect(Metrics.ssimUniform7(textured, other) == Metrics.ssimUniform7(other, textured))
        let tiny = image(6, 40) { _, _, x in x }
        #expect(Metrics.ssimUniform7(tiny, tiny).isNaN)
        #expect(Metrics.ssimGaussian(image(10, 10) { _, _, _ in 1 }, image(10, 10) { _, _, _ in 1 }).isNaN)
    }

    @Test("Image8 from a tensor rounds like RGBImage(tensor:) and round-trips 8-bit data")
    func quantization() {
        let t = textured.tensor
        #expect(Image8(tensor: t) == textured)
        var u = t
        u.scalars[0] = 0.5  // 127.5 → 128 (ties to even), -0.1 → 0, 2 → 255
        u.scalars[1] = -0.1
        u.scalars[2] = 2
        let q = Image8(tensor: u)
        #expect(q.samples[0] == 128 && q.samples[1] == 0 && q.samples[2] == 255)
    }
}

@Suite("SSIM and PSNR against an independent computation on real images",
       .enabled(if: Fixtures.available(lpipsFixture("carphone_0000_vs_0001_a.png")), "needs ../shared/fixtures/lpips"))
struct RealImageMetricTests {
    @Test("carphone frames 0 and 1 (176×144)")
    func carphone() throws {
        let a = try PNG.read(lpipsFixture("carphone_0000_vs_0001_a.png"))
        let b = try PNG.read(lpipsFixture("carphone_0000_vs_0001_b.png"))
        let ia = Image8(width: a.width, height: a.height, interleavedRGB: a.pixels)
        let ib = Image8(width: b.width, height: b.height, interleavedRGB: b.pixels)
        // Expected values: a Python script written for this test from scikit-image 0.26's
        // structural_similarity formula (scikit-image itself not used): per channel, float64,
        // scipy.ndimage.uniform_filter(size=7) with cov_norm 49/48, or gaussian_filter(sigma=1.5,
        // truncate=3.5) with cov_norm 1; C1 = (0.01·255)², C2 = (0.03·255)²; the SSIM map cropped by
        // 3 (resp. 5) px per side, its float64 mean, then the mean over R, G, B. PNGs decoded by
        // the same script (zlib + PNG filters). numpy 2.4.6, scipy 1.17.1. The same script gives
        // 0.6588130961716584 for middlebury-other/Venus frame10 vs frame10i11, exactly REFERENCE's
        // per-sample "repeat" SSIM, which is how it was checked against scikit-image.
        let uniform = Metrics.ssimUniform7(ia, ib), gaussian = Metrics.ssimGaussian(ia, ib)
        #expect(abs(uniform - 0.8870835294853255) < 1e-4, "ssimUniform7 \(uniform)")
        #expect(abs(gaussian - 0.8833578233627045) < 1e-4, "ssimGaussian \(gaussian)")
        // Tighter than the gate: both are float64 sums of the same terms.
        #expect(abs(uniform - 0.8870835294853255) < 1e-10, "ssimUniform7 \(uniform)")
        #expect(abs(gaussian - 0.8833578233627045) < 1e-10, "ssimGaussian \(gaussian)")
        #expect(abs(Metrics.psnr(ia, ib) - 26.152098552280712) < 1e-9)
        #expect(abs(Metrics.interpolationError(ia, ib) - 5.937657828282828) < 1e-12)
    }
}
