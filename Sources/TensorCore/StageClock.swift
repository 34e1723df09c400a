import Dispatch

/// Accumulates wall time per named stage (Head, block0 … block4, warp/blend) for benchmarks.
/// Passing none costs one branch per stage.
public final class StageClock: @unchecked Sendable {
    public private(set) var seconds: [String: Double] = [:]
    public private(set) var order: [String] = []

    public init() {}

    /// Runs `body`, adding its wall time to `label`.
    public func measure<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if seconds[label] == nil { order.append(label) }
        seconds[label, default: 0] += elapsed
        return result
    }

    public func reset() { seconds = [:]; order = [] }
}

extension Optional where Wrapped == StageClock {
    /// Measures with the clock when there is one, else just runs `body`.
    @inline(__always)
    public func measure<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        switch self {
        case .some(let clock): return try clock.measure(label, body)
        case .none: return try body()
        }
    }
}
