import Foundation
import Interpolation
import Models
import TensorCore
import TestSupport
import Testing

/// Gates for `--precision bf16`, from measurement with 2–2.6× margin (README, "Precision"). Measured
/// on the demo pair at t = 0.5: worst element 0.0250 against fp32 (one pixel on a moving edge, 6.4
/// of 255), mean 1.9e-4; on bbb 301×173 at most 0.0131 against the reference.
enum BFloat16Gate {
    /// The final frame (values in [0, 1]), worst element, against fp32 and against the PyTorch reference.
    static let frame: Float = 0.05
    /// Mean absolute difference of the final frame against fp32.
    static let frameMean: Double = 5e-4
}

@Suite("bf16 convolutions on the golden fixtures", .enabled(if: Golden.ready, "run Scripts/setup.sh and put shared/ beside the checkout"))
struct BFloat16GoldenTests {
    @Test("the demo pair at t = 0.5 stays close to fp32 and to the PyTorch reference",
          .enabled(if: Precision.bfloat16.isSupported, "this CPU has no native bf16"))
    func demoFrame() throws {
        let bf16 = Interpolator(model: try Golden.interpolator.model.computing(in: .bfloat16))
        #expect(bf16.model.precision == .bfloat16 && Golden.interpolator.model.precision == .float32)
        let demo = Golden.demo
        let frame = try bf16.interpolate(demo["img0"]!, demo["img1"]!, times: [0.5])[0]
        let fp32 = Golden.demoRun.result.frame
        let againstFP32 = difference(frame, fp32), againstReference = difference(frame, demo["out_t0.5"]!)
        print("bf16 demo out_t0.5 vs fp32: \(againstFP32)")
        print("bf16 demo out_t0.5 vs PyTorch: \(againstReference)")
        let mse = zip(frame.scalars, fp32.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(frame.count)
        print("bf16 demo out_t0.5 vs fp32: PSNR \(10 * log10(1 / mse)) dB")
        #expect(againstFP32.maxAbs <= BFloat16Gate.frame && againstFP32.nonFinite == 0, "\(againstFP32)")
        #expect(againstFP32.meanAbs <= BFloat16Gate.frameMean, "\(againstFP32)")
        #expect(againstReference.maxAbs <= BFloat16Gate.frame, "\(againstReference)")
        // Switching precision shares the weights and leaves the fp32 model exact.
        let again = try Golden.interpolator.interpolate(Golden.demoRun.prepared.0, Golden.demoRun.prepared.1, t: 0.5)
        #expect(again == fp32)
    }

    @Test("odd size, t = 0.7, scale 0.5: bbb 301x173", .enabled(if: Precision.bfloat16.isSupported, "this CPU has no native bf16"))
    func oddSize() throws {
        let odd = Golden.tensors("v425_odd.safetensors")
        let model = try Golden.interpolator.model.computing(in: .bfloat16)
        let frame = try Interpolator(model: model).interpolate(odd["bbb_img0"]!, odd["bbb_img1"]!, times: [0.7])[0]
        let d = difference(frame, odd["bbb_out_t0.7"]!)
        print("bf16 bbb out_t0.7 vs PyTorch: \(d)")
        #expect(d.maxAbs <= BFloat16Gate.frame, "\(d)")
        let half = try Interpolator(model: model, scale: 0.5).interpolate(odd["bbb_img0"]!, odd["bbb_img1"]!, times: [0.5])[0]
        let dHalf = difference(half, odd["bbb_out_t0.5_scale0.5"]!)
        print("bf16 bbb out_t0.5 scale 0.5 vs PyTorch: \(dHalf)")
        #expect(dHalf.maxAbs <= BFloat16Gate.frame, "\(dHalf)")
    }

    @Test("bf16 is refused with a clear error where the CPU lacks it", .enabled(if: !Precision.bfloat16.isSupported))
    func refusedWithoutHardware() {
        #expect(throws: UnsupportedPrecisionError.self) { try Golden.interpolator.model.computing(in: .bfloat16) }
    }
}
