public import Foundation
import Logging
import PostgresNIO

/// The shared store for many machines: PostgreSQL through postgres-nio's connection pool.
///
/// Claims are `SELECT … FOR UPDATE OF t SKIP LOCKED LIMIT 1` then `UPDATE` in one transaction, so
/// workers claiming at once each get a different task without waiting on each other; every fenced
/// write is `UPDATE … WHERE job_id = $1 AND idx = $2 AND attempt = $3 AND state = 'running'
/// RETURNING idx`, and counts as done only when a row comes back. Deadlines are seconds since 1970
/// on the server's clock (`clock_timestamp()`, not the transaction's start). The schema is created
/// on first use under an advisory lock, so servers starting together do not race.
public final class PostgresJobStore: JobStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    public let maxAttempts: Int

    /// Connects to `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` and creates the schema if missing.
    /// - Parameter connectTimeout: how long to wait for the server at first (the pool itself retries
    ///   without end, which is right later — a restarted database is waited for — but not at start).
    public init(url: String, maxAttempts: Int = 3, connectTimeout: Double = 10) async throws {
        precondition(maxAttempts >= 1)
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty, let user = parts.user else {
            throw JobStoreError("\(url): not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        var configuration = PostgresClient.Configuration(host: host, port: parts.port ?? 5432, username: user, password: parts.password,
                                                         database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.maximumConnections = 8
        configuration.options.connectionIdleTimeout = .seconds(60)
        var logger = Logger(label: "tween.jobstore")
        logger.logLevel = .critical
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        self.maxAttempts = maxAttempts
        do { try await Self.within(seconds: connectTimeout) { try await self.createSchema() } } catch {
            runner.cancel()
            throw JobStoreError("\(Self.redacted(url)): cannot use the job store (\(Self.describe(error)))")
        }
    }

    deinit { runner.cancel() }

    /// Stops the connection pool.
    public func close() { runner.cancel() }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "…"
        return parts.string ?? url
    }

    /// postgres-nio's errors print little by default; the server's message is what a person needs.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PostgresTransactionError {
            if let inner = e.closureError ?? e.beginError ?? e.commitError { return describe(inner) }
        }
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            return "\(e.code)"
        }
        return "\(error)"
    }

    /// `body`, or a timeout error after `seconds`.
    static func within<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw JobStoreError("no answer from the server within \(Int(seconds)) s")
            }
            return value
        }
    }

    private static let now = "extract(epoch from clock_timestamp())::float8"

    private func createSchema() async throws {
        try await client.withTransaction(logger: logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(7412023)", logger: logger)
            try await db.query("""
                CREATE TABLE IF NOT EXISTS jobs (
                    id text PRIMARY KEY,
                    owner text NOT NULL,
                    options text NOT NULL,
                    state text NOT NULL,
                    error text,
                    output text,
                    created_at float8 NOT NULL,
                    finished_at float8)
                """, logger: logger)
            try await db.query("""
                CREATE TABLE IF NOT EXISTS tasks (
                    job_id text NOT NULL REFERENCES jobs(id),
                    idx integer NOT NULL,
                    is_join boolean NOT NULL,
                    first_frame integer NOT NULL,
                    last_frame integer NOT NULL,
                    expected_frames integer NOT NULL,
                    state text NOT NULL,
                    attempt integer NOT NULL DEFAULT 0,
                    worker text,
                    lease_until float8,
                    frames_out integer,
                    output text,
                    error text,
                    PRIMARY KEY (job_id, idx))
                """, logger: logger)
            try await db.query("CREATE INDEX IF NOT EXISTS tasks_claimable ON tasks(state, lease_until)", logger: logger)
        }
    }

    public func createJob(_ job: NewJob) async throws -> JobID {
        let id = JobID.random().rawValue
        try await client.withTransaction(logger: logger) { db in
            try await db.query("""
                INSERT INTO jobs (id, owner, options, state, created_at)
                VALUES (\(id), \(job.owner), \(job.options), 'queued', \(unescaped: Self.now))
                """, logger: logger)
            for (i, span) in job.chunks.enumerated() {
                try await db.query("""
                    INSERT INTO tasks (job_id, idx, is_join, first_frame, last_frame, expected_frames, state)
                    VALUES (\(id), \(i), false, \(span.first), \(span.last), \(span.expectedFrames), 'queued')
                    """, logger: logger)
            }
            let first = job.chunks.first!.first, last = job.chunks.last!.last
            let expected = job.chunks.reduce(0) { $0 + $1.expectedFrames }
            try await db.query("""
                INSERT INTO tasks (job_id, idx, is_join, first_frame, last_frame, expected_frames, state)
                VALUES (\(id), \(job.chunks.count), true, \(first), \(last), \(expected), 'queued')
                """, logger: logger)
        }
        return JobID(id)!
    }

    public func claim(worker: String, leaseSeconds: Double) async throws -> Lease? {
        let maxAttempts = maxAttempts
        return try await client.withTransaction(logger: logger) { db in
            // Lapsed leases out of attempts fail their job.
            let exhausted = try await db.query("""
                SELECT job_id, idx, worker FROM tasks
                WHERE state = 'running' AND lease_until < \(unescaped: Self.now) AND attempt >= \(maxAttempts)
                FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var lapsed: [(String, Int, String?)] = []
            for try await row in exhausted.decode((String, Int, String?).self) { lapsed.append(row) }
            for (job, index, last) in lapsed {
                try await Self.failJob(db, logger: logger, job: job, failing: index,
                                       reason: "chunk \(index) lost its lease \(maxAttempts) times (last worker \(last ?? "?"))")
            }
            let rows = try await db.query("""
                SELECT t.job_id, t.idx, t.attempt, t.is_join, t.first_frame, t.last_frame, t.expected_frames, j.options
                FROM tasks t JOIN jobs j ON j.id = t.job_id
                WHERE j.state IN ('queued', 'running')
                  AND (t.state = 'queued' OR (t.state = 'running' AND t.lease_until < \(unescaped: Self.now)))
                  AND (NOT t.is_join OR NOT EXISTS (
                      SELECT 1 FROM tasks v WHERE v.job_id = t.job_id AND NOT v.is_join AND v.state <> 'done'))
                ORDER BY j.created_at, j.id, t.idx
                LIMIT 1
                FOR UPDATE OF t SKIP LOCKED
                """, logger: logger)
            var found: (String, Int, Int, Bool, Int, Int, Int, String)?
            for try await row in rows.decode((String, Int, Int, Bool, Int, Int, Int, String).self) { found = row }
            guard let (job, index, previous, isJoin, first, last, expected, options) = found else { return nil }
            let attempt = previous + 1
            try await db.query("""
                UPDATE tasks SET state = 'running', attempt = \(attempt), worker = \(worker),
                       lease_until = \(unescaped: Self.now) + \(leaseSeconds), error = NULL
                WHERE job_id = \(job) AND idx = \(index)
                """, logger: logger)
            try await db.query("UPDATE jobs SET state = 'running' WHERE id = \(job) AND state = 'queued'", logger: logger)
            return Lease(job: JobID(job)!, index: index, attempt: attempt, worker: worker, isJoin: isJoin,
                         span: ChunkSpan(first: first, last: last, expectedFrames: expected), options: options)
        }
    }

    /// Runs a fenced `UPDATE tasks SET <assignments> WHERE <fence> RETURNING idx`; true when it changed the row.
    private static func fenced(_ db: PostgresConnection, logger: Logger, _ lease: Lease, set assignments: PostgresQuery) async throws -> Bool {
        var query = assignments
        let k = query.binds.count
        query.sql = "UPDATE tasks SET " + query.sql
            + " WHERE job_id = $\(k + 1) AND idx = $\(k + 2) AND attempt = $\(k + 3) AND state = 'running' RETURNING idx"
        query.binds.append(lease.job.rawValue)
        query.binds.append(lease.index)
        query.binds.append(lease.attempt)
        var changed = 0
        for try await _ in try await db.query(query, logger: logger).decode(Int.self) { changed += 1 }
        return changed == 1
    }

    public func renew(_ lease: Lease, seconds: Double) async throws -> Bool {
        try await client.withConnection { db in
            try await Self.fenced(db, logger: logger, lease, set: "lease_until = \(unescaped: Self.now) + \(seconds)")
        }
    }

    public func complete(_ lease: Lease, framesOut: Int, output: String) async throws -> Bool {
        try await client.withTransaction(logger: logger) { db in
            guard try await Self.fenced(db, logger: logger, lease,
                                        set: "state = 'done', frames_out = \(framesOut), output = \(output), lease_until = NULL") else { return false }
            if lease.isJoin {
                try await db.query("""
                    UPDATE jobs SET state = 'done', output = \(output), finished_at = \(unescaped: Self.now) WHERE id = \(lease.job.rawValue)
                    """, logger: logger)
            }
            return true
        }
    }

    public func fail(_ lease: Lease, reason: String, retry: Bool) async throws -> Bool {
        let maxAttempts = maxAttempts
        return try await client.withTransaction(logger: logger) { db in
            if retry && lease.attempt < maxAttempts {
                return try await Self.fenced(db, logger: logger, lease, set: "state = 'queued', error = \(reason), lease_until = NULL")
            }
            guard try await Self.fenced(db, logger: logger, lease, set: "state = 'failed', error = \(reason), lease_until = NULL") else { return false }
            try await Self.failJob(db, logger: logger, job: lease.job.rawValue, failing: nil, reason: "chunk \(lease.index): \(reason)")
            return true
        }
    }

    private static func failJob(_ db: PostgresConnection, logger: Logger, job: String, failing index: Int?, reason: String) async throws {
        if let index {
            try await db.query("UPDATE tasks SET state = 'failed', lease_until = NULL WHERE job_id = \(job) AND idx = \(index)", logger: logger)
        }
        try await db.query("UPDATE tasks SET state = 'cancelled', lease_until = NULL WHERE job_id = \(job) AND state IN ('queued', 'running')",
                           logger: logger)
        try await db.query("""
            UPDATE jobs SET state = 'failed', error = \(reason), finished_at = \(unescaped: now)
            WHERE id = \(job) AND state IN ('queued', 'running')
            """, logger: logger)
    }

    public func cancel(_ job: JobID, owner: String?) async throws -> Bool {
        try await client.withTransaction(logger: logger) { db in
            var changed = 0
            let rows = try await db.query("""
                UPDATE jobs SET state = 'cancelled', finished_at = \(unescaped: Self.now)
                WHERE id = \(job.rawValue) AND (\(owner)::text IS NULL OR owner = \(owner)) AND state IN ('queued', 'running')
                RETURNING id
                """, logger: logger)
            for try await _ in rows.decode(String.self) { changed += 1 }
            guard changed == 1 else { return false }
            try await db.query("""
                UPDATE tasks SET state = 'cancelled', lease_until = NULL WHERE job_id = \(job.rawValue) AND state IN ('queued', 'running')
                """, logger: logger)
            return true
        }
    }

    public func status(_ job: JobID, owner: String?) async throws -> JobStatus? {
        let rows = try await client.query("""
            SELECT j.owner, j.state, j.error, j.output, j.created_at, j.finished_at,
                   COUNT(*) FILTER (WHERE NOT t.is_join AND t.state = 'done')::int8,
                   COUNT(*) FILTER (WHERE NOT t.is_join)::int8,
                   COALESCE(SUM(t.frames_out) FILTER (WHERE NOT t.is_join AND t.state = 'done'), 0)::int8,
                   COALESCE(SUM(t.expected_frames) FILTER (WHERE NOT t.is_join), 0)::int8
            FROM jobs j JOIN tasks t ON t.job_id = j.id
            WHERE j.id = \(job.rawValue) AND (\(owner)::text IS NULL OR j.owner = \(owner))
            GROUP BY j.id
            """, logger: logger)
        for try await r in rows.decode((String, String, String?, String?, Double, Double?, Int, Int, Int, Int).self) {
            return JobStatus(id: job, owner: r.0, state: JobState(rawValue: r.1) ?? .failed, chunksDone: r.6, chunksTotal: r.7,
                             framesDone: r.8, framesTotal: r.9, error: r.2, output: r.3, createdAt: r.4, finishedAt: r.5)
        }
        return nil
    }

    public func tasks(of job: JobID) async throws -> [TaskRecord] {
        let rows = try await client.query("""
            SELECT idx, is_join, state, attempt, worker, first_frame, last_frame, expected_frames, frames_out, output, error
            FROM tasks WHERE job_id = \(job.rawValue) ORDER BY idx
            """, logger: logger)
        var records: [TaskRecord] = []
        for try await r in rows.decode((Int, Bool, String, Int, String?, Int, Int, Int, Int?, String?, String?).self) {
            records.append(TaskRecord(index: r.0, isJoin: r.1, state: TaskState(rawValue: r.2) ?? .failed, attempt: r.3, worker: r.4,
                                      span: ChunkSpan(first: r.5, last: r.6, expectedFrames: r.7), framesOut: r.8, output: r.9, error: r.10))
        }
        return records
    }

    public func counts() async throws -> StoreCounts {
        var counts = StoreCounts()
        for try await (state, n) in try await client.query("SELECT state, COUNT(*)::int8 FROM jobs GROUP BY state", logger: logger)
            .decode((String, Int).self) {
            if let s = JobState(rawValue: state) { counts.jobs[s] = n }
        }
        for try await (state, n) in try await client.query("SELECT state, COUNT(*)::int8 FROM tasks WHERE NOT is_join GROUP BY state", logger: logger)
            .decode((String, Int).self) {
            if let s = TaskState(rawValue: state) { counts.tasks[s] = n }
        }
        return counts
    }
}
