import Dispatch

/// Runs `body` over `0..<count` split into contiguous chunks on all cores.
///
/// The one owner of threads for Tween's own kernels. oneDNN runs its own OpenMP
/// pool, but only ever from outside a `parallelFor` body, so the two never nest.
/// - Parameters:
///   - count: number of work items (rows, planes…).
///   - minimumChunk: smallest number of items worth a thread hop.
///   - body: called with a half-open range of items; must be safe to run concurrently on disjoint ranges.
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = min(ParallelConfig.chunkCount, max(1, count / max(1, minimumChunk)))
    if chunks == 1 { body(0..<count); return }
    // The body only ever touches disjoint ranges, and concurrentPerform returns after
    // every chunk ran, so handing the non-escaping closure to the workers is safe.
    withoutActuallyEscaping(body) { escapable in
        let shared = UncheckedSendable(escapable)
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let lo = count * i / chunks, hi = count * (i + 1) / chunks
            if lo < hi { shared.value(lo..<hi) }
        }
    }
}

/// Carries a value across a concurrency boundary whose safety the caller establishes.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

enum ParallelConfig {
    /// A few chunks per core keep both cores busy when one chunk is slower.
    static let chunkCount: Int = {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) * 4
        #else
        return 8
        #endif
    }()
}

#if canImport(Glibc)
import Glibc
#endif
