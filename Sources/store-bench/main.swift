// The job store's cost per chunk: create a job of N chunks, then claim → renew → complete each one
// (what a worker does per chunk, with one heartbeat), from W concurrent workers; prints a table.
//   swift run -c release store-bench [--chunks N] [--workers W] [--postgres URL]
import Foundation
import JobStore

let arguments = CommandLine.arguments
func value(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let chunks = Int(value("--chunks") ?? "") ?? 500
let workerCounts = (value("--workers") ?? "1,3").split(separator: ",").compactMap { Int($0) }
var backends: [(String, () async throws -> any JobStore)] = []
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("store-bench-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
backends.append(("sqlite", { try SQLiteJobStore(path: folder.appendingPathComponent("\(UUID()).sqlite").path) }))
if let url = value("--postgres") { backends.append(("postgres", { try await PostgresJobStore(url: url) })) }

print("| store | workers | chunks | total s | ms per chunk (claim+renew+complete) | chunks/s |")
print("|---|---|---|---|---|---|")
for (name, open) in backends {
    for workers in workerCounts {
        let stores = try await (0..<workers).asyncMap { _ in try await open() }
        let spans = (0..<chunks).map { ChunkSpan(first: $0 * 10, last: $0 * 10 + 10, expectedFrames: 20) }
        _ = try await stores[0].createJob(NewJob(owner: "bench", options: "{}", chunks: spans))
        let started = Date()
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for (w, store) in stores.enumerated() {
                group.addTask {
                    var n = 0
                    while let lease = try await store.claim(worker: "w\(w)", leaseSeconds: 60) {
                        _ = try await store.renew(lease, seconds: 60)
                        _ = try await store.complete(lease, framesOut: lease.span.expectedFrames, output: "c\(lease.index)")
                        n += 1
                    }
                    return n
                }
            }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "| %@ | %d | %d | %.2f | %.2f | %.0f |", name, workers, done, seconds, seconds * 1000 / Double(done) * Double(workers),
                     Double(done) / seconds))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
