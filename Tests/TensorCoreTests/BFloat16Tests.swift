import Foundation
import Testing
import TensorCore
import TestSupport

@Test("BFloat16 rounds to nearest even and keeps NaN and infinities")
func bfloat16Rounding() {
    #expect(BFloat16(1).bitPattern == 0x3F80)
    #expect(BFloat16(-2.5).float == -2.5)
    // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
    #expect(BFloat16(1 + 0x1p-8).float == 1)
    // 1 + 3·2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
    #expect(BFloat16(1 + 3 * 0x1p-8).float == 1 + 0x1p-6)
    #expect(BFloat16(1 + 0x1p-8 + 0x1p-20).float == 1 + 0x1p-7)  // just above the tie rounds up
    #expect(BFloat16(.infinity).float == .infinity && BFloat16(-.infinity).float == -.infinity)
    #expect(BFloat16(.nan).float.isNaN && BFloat16(-Float.nan).float.isNaN)
    #expect(BFloat16(Float.greatestFiniteMagnitude).float == .infinity)  // beyond bf16's largest finite value
}

/// A tensor whose values are exactly representable in bf16, so a bf16 convolution of it computes
/// the very same products as a Float32 one (bf16 × bf16 is exact in Float32).
private func bf16Exact(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.scalars.map { BFloat16($0).float }) }

@Test("bf16 conv2d: same layouts and arithmetic as Float32 on bf16-exact data, either output type",
      .enabled(if: Precision.bfloat16.isSupported, "this CPU has no native bf16"),
      arguments: [
          ConvCase(c: 28, o: 16, h: 9, w: 13, k: 3, stride: 2, padding: 1, dilation: 1, bias: true, leaky: true),
          ConvCase(c: 32, o: 32, h: 6, w: 10, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, leaky: false),
          ConvCase(c: 5, o: 52, h: 4, w: 7, k: 2, stride: 1, padding: 0, dilation: 1, bias: true, leaky: false),
      ])
func bfloat16ConvolutionMatchesFloat32(_ cc: ConvCase) throws {
    let x = bf16Exact(Tensor.random([1, cc.c, cc.h, cc.w], seed: 40))
    let weights = ConvolutionWeights(weight: bf16Exact(Tensor.random([cc.o, cc.c, cc.k, cc.k], seed: 41)),
                                     bias: Tensor.random([cc.o], seed: 42))
    let slope: Float? = cc.leaky ? 0.2 : nil
    let p = (cc.padding, cc.padding, cc.padding, cc.padding)
    var expected = Reference.conv2d(x, weight: weights.weight, bias: weights.bias, stride: cc.stride, padding: cc.padding)
    if cc.leaky { expected = Reference.leakyReLU(expected) }
    let input = channelsLastConcatenation([x], as: BFloat16.self)
    #expect(input.scalars.map(\.float) == x.channelsLast().scalars)
    let wide = try conv2d(input, weights: weights, stride: cc.stride, padding: p, leakySlope: slope, as: Float.self)
    #expect(difference(Tensor(wide), expected).maxAbs <= kernelTolerance, "\(cc) f32 out")
    // bf16 output: the same sums, rounded once (8 significant bits: relative error ≤ 2^-8).
    let narrow = try conv2d(input, weights: weights, stride: cc.stride, padding: p, leakySlope: slope, as: BFloat16.self)
    let rounded = ChannelsLastTensor(n: narrow.n, h: narrow.h, w: narrow.w, c: narrow.c, scalars: narrow.scalars.map(\.float))
    let scale = expected.scalars.map(abs).max()!
    #expect(difference(Tensor(rounded), expected).maxAbs <= scale * 0x1p-8 + kernelTolerance, "\(cc) bf16 out")
    // The weights were packed once per kernel layout; a Float32 plan on the same weights packs its own copy.
    let again = try conv2d(x.channelsLast(), weights: weights, stride: cc.stride, padding: p, leakySlope: slope, as: Float.self)
    #expect(difference(Tensor(again), expected).maxAbs <= kernelTolerance, "\(cc) f32 after bf16")
}

@Test("packed weights are reused across sizes and give the same results as fresh ones")
func packedWeightsReused() throws {
    let weights = ConvolutionWeights(weight: Tensor.random([8, 6, 3, 3], seed: 43), bias: Tensor.random([8], seed: 44))
    for (h, w) in [(5, 9), (12, 4), (5, 9)] {
        let x = Tensor.random([1, 6, h, w], seed: UInt64(45 + h))
        let cached = try conv2d(x.channelsLast(), weights: weights, padding: (1, 1, 1, 1), as: Float.self)
        let fresh = try conv2d(x.channelsLast(), weight: weights.weight, bias: weights.bias, padding: 1)
        #expect(cached == fresh, "\(h)x\(w)")
    }
}

@Test("Float32 → bf16 conversion of channels-last data rounds every element; Float32 is returned as is")
func channelsLastConversion() {
    let x = Tensor.random([1, 7, 33, 65], in: -3...3, seed: 46).channelsLast()
    #expect(x.converted(to: Float.self) == x)
    let y = x.converted(to: BFloat16.self)
    #expect(y.scalars == x.scalars.map(BFloat16.init))
    #expect(channelsLastConcatenation([Tensor(x)], as: BFloat16.self) == y)
}

/// The CPU's own word on native bf16 (/proc/cpuinfo flags), independent of oneDNN; nil where it
/// cannot be read or where oneDNN is capped below it on purpose (`ONEDNN_MAX_CPU_ISA`).
private func cpuinfoSaysBFloat16() -> Bool? {
    guard ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"] == nil,
          let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let set = Set(flags.split(separator: " ").map(String.init))
    return set.contains("avx512_bf16") || set.contains("amx_bf16")
}

@Test("the bf16 support query agrees with the CPU's flags and with the error it raises")
func precisionSupport() {
    #expect(Precision.float32.isSupported)
    if let expected = cpuinfoSaysBFloat16() {
        #expect(Precision.bfloat16.isSupported == expected, "oneDNN's ISA \(Precision.cpuInstructionSet) vs /proc/cpuinfo")
    }
    if Precision.bfloat16.isSupported {
        #expect(throws: Never.self) { try Precision.bfloat16.requireSupported() }
    } else {
        #expect(throws: UnsupportedPrecisionError.self) { try Precision.bfloat16.requireSupported() }
    }
}
