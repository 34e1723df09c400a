import CDNNL
import Synchronization

/// Runs `body` over `0..<count` split into contiguous chunks on all cores.
///
/// The one owner of threads: the chunks run on libgomp's pool, the pool oneDNN runs its
/// convolutions on, so a pair's convolutions and Tween's own kernels hand over between the same
/// threads. (With Dispatch's pool beside it, each of the two pools had to sleep between its regions
/// and wake for the next: 448×256 pairs took 1.3× as long, 720p 1.15×, a video 1.07–1.09×; BENCHMARKS.md.)
/// A call from inside a body covers its items too (libgomp runs it on the calling thread unless the
/// environment enables nested parallelism).
/// - Parameters:
///   - count: number of work items (rows, planes…).
///   - minimumChunk: smallest number of items worth a thread hop.
///   - body: called with a half-open range of items; must be safe to run concurrently on disjoint ranges.
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = min(ParallelConfig.chunkCount, max(1, count / max(1, minimumChunk)))
    if chunks == 1 { body(0..<count); return }
    // The body only ever touches disjoint ranges, and the parallel region returns after
    // every chunk ran, so handing the non-escaping closure to the workers is safe.
    withoutActuallyEscaping(body) { escapable in
        let job = ParallelJob(count: count, chunks: chunks, body: escapable)
        withExtendedLifetime(job) {
            GOMP_parallel({ context in
                Unmanaged<ParallelJob>.fromOpaque(context!).takeUnretainedValue().runChunks()
            }, Unmanaged.passUnretained(job).toOpaque(), 0, 0)
        }
    }
}

/// One `parallelFor` call as the pool's threads see it: each takes the next chunk until none is left,
/// so a thread that finishes early takes more (the chunks need not cost the same).
private final class ParallelJob: @unchecked Sendable {
    let count: Int, chunks: Int
    let body: (Range<Int>) -> Void
    let next = Atomic<Int>(0)

    init(count: Int, chunks: Int, body: @escaping (Range<Int>) -> Void) {
        (self.count, self.chunks, self.body) = (count, chunks, body)
    }

    func runChunks() {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < chunks else { return }
            let lo = count * i / chunks, hi = count * (i + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
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
