public import Foundation

/// The durable ledger of the service's jobs and their chunks, shared by every server and worker:
/// SQLite for one machine (`SQLiteJobStore`), PostgreSQL for many (`PostgresJobStore`). Both pass
/// one conformance suite (Tests/JobStoreTests).
///
/// A job is split into chunks (whole shots of the source, cut further when long); each chunk is
/// worked on under a **lease**: a claim gives the worker an attempt number and a deadline, renewed
/// by heartbeat. A lease whose deadline passes can be claimed again, with the next attempt number,
/// and every write a worker makes about its chunk is fenced by that number (`WHERE job = … AND
/// chunk = … AND attempt = …`): a worker that was paused or cut off past its deadline and then
/// comes back changes nothing, because its attempt is no longer the chunk's. That is what makes
/// time-based rescue safe: a chunk can be *worked on* twice, but only one attempt can *commit*.
///
/// After its video chunks, every job has one more task, the **join** (`Lease.isJoin`): it becomes
/// claimable when all video chunks are done and is leased and fenced the same way; completing it
/// completes the job.
///
/// Deadlines are kept on the database's clock, so workers on machines whose clocks disagree still
/// agree on whose lease has lapsed.
public protocol JobStore: Sendable {
    /// Records a job and its chunks (all queued) and returns its id.
    func createJob(_ job: NewJob) async throws -> JobID

    /// Claims the oldest job's next claimable task — a queued chunk, a chunk whose lease lapsed, or
    /// a join whose chunks are all done — for `worker`, for `seconds`. Nil when there is none.
    /// A lapsed chunk that has had `maxAttempts` attempts is failed instead (and its job with it).
    func claim(worker: String, leaseSeconds: Double) async throws -> Lease?

    /// Extends the lease by `seconds` from now. False when the lease is no longer this attempt's
    /// (re-claimed after it lapsed, or its job was cancelled or failed): the worker must stop.
    func renew(_ lease: Lease, seconds: Double) async throws -> Bool

    /// Marks the leased task done with what it produced; for the join, the job is done. False (and
    /// nothing changed) when the lease is no longer this attempt's.
    func complete(_ lease: Lease, framesOut: Int, output: String) async throws -> Bool

    /// Gives the task back after a failure: queued again when `retry` and attempts are left, else
    /// failed together with its job (`reason` kept). False when the lease is no longer this attempt's.
    func fail(_ lease: Lease, reason: String, retry: Bool) async throws -> Bool

    /// Cancels a job that is not finished: its unfinished chunks are cancelled, so their leases
    /// stop renewing. False when there is no such job for `owner` (nil: any owner) or it had finished.
    func cancel(_ job: JobID, owner: String?) async throws -> Bool

    /// A job's state and progress, or nil when there is none for `owner` (nil: any owner).
    func status(_ job: JobID, owner: String?) async throws -> JobStatus?

    /// Every task of a job (video chunks in order, then the join).
    func tasks(of job: JobID) async throws -> [TaskRecord]

    /// Totals for metrics.
    func counts() async throws -> StoreCounts
}

/// A job's identifier: 32 hex digits, random.
public struct JobID: Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init?(_ text: String) {
        guard text.count == 32, text.allSatisfy(\.isHexDigit) else { return nil }
        rawValue = text.lowercased()
    }
    public static func random() -> JobID {
        var generator = SystemRandomNumberGenerator()
        let text = (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
        return JobID(text)!
    }
    public var description: String { rawValue }
}

public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, done, failed, cancelled
    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

public enum TaskState: String, Codable, Sendable, CaseIterable {
    case queued, running, done, failed, cancelled
}

/// A stretch of the source that one chunk converts: source frames `first…last` (neighbouring
/// chunks share their boundary frame, so no pair is lost) and the output frames it must produce.
public struct ChunkSpan: Codable, Sendable, Equatable {
    public var first: Int
    public var last: Int
    public var expectedFrames: Int
    public init(first: Int, last: Int, expectedFrames: Int) {
        self.first = first
        self.last = last
        self.expectedFrames = expectedFrames
    }
}

/// What a job is when it is created: its owner (a token's name), its options (opaque to the store:
/// the service's JSON) and its chunks.
public struct NewJob: Sendable {
    public var owner: String
    public var options: String
    public var chunks: [ChunkSpan]
    public init(owner: String, options: String, chunks: [ChunkSpan]) {
        precondition(!chunks.isEmpty, "a job has at least one chunk")
        self.owner = owner
        self.options = options
        self.chunks = chunks
    }
}

/// One claim on one task: the fence every later write carries.
public struct Lease: Sendable, Equatable {
    public let job: JobID
    /// The chunk's index (0-based); the join's is the number of video chunks.
    public let index: Int
    public let attempt: Int
    public let worker: String
    public let isJoin: Bool
    /// The chunk's span (the join's covers the whole source).
    public let span: ChunkSpan
    /// The job's options, as given to `createJob`.
    public let options: String

    public init(job: JobID, index: Int, attempt: Int, worker: String, isJoin: Bool, span: ChunkSpan, options: String) {
        self.job = job
        self.index = index
        self.attempt = attempt
        self.worker = worker
        self.isJoin = isJoin
        self.span = span
        self.options = options
    }
}

/// A job as the API shows it.
public struct JobStatus: Sendable, Equatable, Codable {
    public var id: JobID
    public var owner: String
    public var state: JobState
    public var chunksDone: Int
    public var chunksTotal: Int
    /// Output frames of the chunks done, and of all chunks.
    public var framesDone: Int
    public var framesTotal: Int
    /// Why the job failed.
    public var error: String?
    /// The join's output, once done.
    public var output: String?
    /// Seconds since 1970 on the database's clock.
    public var createdAt: Double
    public var finishedAt: Double?
}

/// One task as the ledger holds it.
public struct TaskRecord: Sendable, Equatable {
    public var index: Int
    public var isJoin: Bool
    public var state: TaskState
    public var attempt: Int
    public var worker: String?
    public var span: ChunkSpan
    public var framesOut: Int?
    public var output: String?
    public var error: String?
}

/// Totals over the whole store.
public struct StoreCounts: Sendable, Equatable {
    public var jobs: [JobState: Int] = [:]
    public var tasks: [TaskState: Int] = [:]
    public init() {}
}

/// A store that cannot do what was asked (bad URL, unreachable server, corrupt file); the message says why.
public struct JobStoreError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Opens the store a `--db` argument names: `sqlite:PATH` (or a bare path) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
public enum JobStores {
    public static func open(_ argument: String, maxAttempts: Int = 3) async throws -> any JobStore {
        if argument.hasPrefix("postgres://") || argument.hasPrefix("postgresql://") {
            return try await PostgresJobStore(url: argument, maxAttempts: maxAttempts)
        }
        let path = argument.hasPrefix("sqlite:") ? String(argument.dropFirst("sqlite:".count)) : argument
        return try SQLiteJobStore(path: path, maxAttempts: maxAttempts)
    }
}
