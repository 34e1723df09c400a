import Synchronization
import Testing
import TensorCore

/// Counts, per item, how often a `parallelFor` body was handed it.
private final class Visits: Sendable {
    let counts: Mutex<[Int]>
    init(_ n: Int) { counts = Mutex([Int](repeating: 0, count: n)) }
    func visit(_ range: Range<Int>) { counts.withLock { for i in range { $0[i] += 1 } } }
    var all: [Int] { counts.withLock { $0 } }
}

@Suite struct ParallelTests {
    /// Every item exactly once, for counts below, at and above the chunk count and with a chunk floor.
    @Test(arguments: [(1, 1), (2, 1), (7, 1), (8, 1), (9, 1), (1000, 1), (1001, 4), (13, 64)])
    func everyItemOnce(count: Int, minimumChunk: Int) {
        let visits = Visits(count)
        parallelFor(count, minimumChunk: minimumChunk) { visits.visit($0) }
        #expect(visits.all == [Int](repeating: 1, count: count))
    }

    @Test func zeroItemsNeverCallTheBody() {
        let calls = Atomic(0)
        parallelFor(0) { _ in calls.add(1, ordering: .relaxed) }
        #expect(calls.load(ordering: .relaxed) == 0)
    }

    /// A `parallelFor` inside a body still covers all of its items.
    @Test func nestedCallsCoverEveryItem() {
        let (outer, inner) = (10, 37)
        let visits = Visits(outer * inner)
        parallelFor(outer) { rows in
            for r in rows { parallelFor(inner) { visits.visit((r * inner + $0.lowerBound)..<(r * inner + $0.upperBound)) } }
        }
        #expect(visits.all == [Int](repeating: 1, count: outer * inner))
    }

    /// Callers on several threads at once (a service rendering two jobs) each get all their items.
    @Test func concurrentCallersEachCoverTheirItems() async {
        let count = 5000
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let visits = Visits(count)
                    for _ in 0..<20 { parallelFor(count, minimumChunk: 8) { visits.visit($0) } }
                    return visits.all
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        for visits in results { #expect(visits == [Int](repeating: 20, count: count)) }
    }
}
