import CDNNL

/// The number format the convolutions compute in.
///
/// `.bfloat16` rounds convolution inputs and weights to bfloat16 (8 bits of mantissa) and
/// accumulates in Float32; everything else (warps, resizes, sigmoid, blend, residual sums) stays
/// Float32. On CPUs with AVX512-BF16 (or AMX) oneDNN's bf16 kernels do twice the work per
/// instruction; without them it would emulate bf16, so it is refused there (`isSupported`).
public enum Precision: String, Sendable, CaseIterable, Codable {
    case float32 = "f32"
    case bfloat16 = "bf16"

    /// Whether this CPU runs this precision natively, as oneDNN sees it (its effective ISA also
    /// honours `ONEDNN_MAX_CPU_ISA`, which is how the fallback is tested on bf16 hardware).
    public var isSupported: Bool {
        switch self {
        case .float32: true
        case .bfloat16: Precision.cpuHasBFloat16
        }
    }

    /// Throws `UnsupportedPrecisionError` unless `isSupported`.
    public func requireSupported() throws {
        guard isSupported else { throw UnsupportedPrecisionError(self) }
    }

    /// oneDNN's ISA values are nested bit sets (AMX ⊃ AVX512-BF16 ⊃ VNNI ⊃ AVX-512), so a plain `>=`
    /// would also accept unrelated later entries such as AVX2-VNNI; test the bits instead.
    private static let cpuHasBFloat16: Bool = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return isa & bf16 == bf16
    }()

    /// The name oneDNN gives the best instruction set it may use here (e.g. `avx512_core_bf16`).
    public static var cpuInstructionSet: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx2: "avx2"
        case let other: "isa 0x\(String(other.rawValue, radix: 16))"
        }
    }
}

/// A precision that this CPU cannot run natively was asked for.
public struct UnsupportedPrecisionError: Error, CustomStringConvertible, Sendable {
    public let precision: Precision
    public init(_ precision: Precision) { self.precision = precision }
    public var description: String {
        "\(precision.rawValue) needs a CPU with AVX512-BF16 or AMX; this one offers \(Precision.cpuInstructionSet) (use f32)"
    }
}

/// A scalar type convolution activations can be stored in between convolutions.
///
/// The per-element conversions are protocol requirements that work on whole runs of values, so
/// generic callers pay one dynamic dispatch per run while the loops themselves stay specialised.
public protocol ActivationScalar: Sendable, Equatable, BitwiseCopyable {
    /// The precision oneDNN reads or writes this scalar in.
    static var precision: Precision { get }
    /// Writes `count` values to `destination`, `stride` elements apart, converted to this type.
    static func store(_ values: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<Self>, stride: Int)
}

extension Float: ActivationScalar {
    public static var precision: Precision { .float32 }
    public static func store(_ values: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<Float>,
                             stride: Int) {
        if stride == 1 {
            destination.update(from: values, count: count)
        } else {
            for i in 0..<count { destination[i * stride] = values[i] }
        }
    }
}

/// bfloat16: the top 16 bits of a Float32 (same exponent range, 8-bit mantissa).
public struct BFloat16: ActivationScalar, CustomStringConvertible {
    public var bitPattern: UInt16

    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds to nearest, ties to even (what oneDNN's own conversions do); NaN stays a quiet NaN
    /// instead of rounding into infinity.
    @inlinable public init(_ value: Float) {
        let bits = value.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        bitPattern = value.isNaN ? 0x7FC0 : rounded
    }

    @inlinable public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    public var description: String { "\(float)" }

    public static var precision: Precision { .bfloat16 }

    public static func store(_ values: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<BFloat16>,
                             stride: Int) {
        if stride == 1 {
            for i in 0..<count { destination[i] = BFloat16(values[i]) }  // contiguous: the compiler vectorises it
        } else {
            for i in 0..<count { destination[i * stride] = BFloat16(values[i]) }
        }
    }
}

extension Precision {
    /// The activation scalar type this precision keeps between convolutions.
    public var activationScalar: any ActivationScalar.Type {
        switch self {
        case .float32: Float.self
        case .bfloat16: BFloat16.self
        }
    }

    var dnnlType: dnnl_data_type_t {
        switch self {
        case .float32: dnnl_f32
        case .bfloat16: dnnl_bf16
        }
    }
}
