import CSQLite
public import Foundation

/// The embedded store: one SQLite file, for `tween serve` on one machine with no server to install.
///
/// Several processes may open the same file (a server and workers on one machine): the file is in
/// WAL mode, every write is an `IMMEDIATE` transaction (the write lock is taken at `BEGIN`, so a
/// claim's read and update cannot interleave with another process's), and a busy database is waited
/// for (5 s) rather than failed. Within a process, one connection is shared under a lock.
/// Deadlines are seconds since 1970 by SQLite's clock (`julianday('now')`, millisecond resolution).
public final class SQLiteJobStore: JobStore {
    private let database: Locked<Connection>
    public let path: String
    public let maxAttempts: Int

    /// Opens (creating when missing) the store at `path`.
    public init(path: String, maxAttempts: Int = 3) throws {
        precondition(maxAttempts >= 1)
        self.path = path
        self.maxAttempts = maxAttempts
        let connection = try Connection(path: path)
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA foreign_keys = ON")
        try connection.transaction {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS jobs (
                    id TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    options TEXT NOT NULL,
                    state TEXT NOT NULL,
                    error TEXT,
                    output TEXT,
                    created_at REAL NOT NULL,
                    finished_at REAL)
                """)
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS tasks (
                    job_id TEXT NOT NULL REFERENCES jobs(id),
                    idx INTEGER NOT NULL,
                    is_join INTEGER NOT NULL,
                    first_frame INTEGER NOT NULL,
                    last_frame INTEGER NOT NULL,
                    expected_frames INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    worker TEXT,
                    lease_until REAL,
                    frames_out INTEGER,
                    output TEXT,
                    error TEXT,
                    PRIMARY KEY (job_id, idx))
                """)
            try connection.execute("CREATE INDEX IF NOT EXISTS tasks_claimable ON tasks(state, lease_until)")
        }
        database = Locked(connection)
    }

    /// The database clock: seconds since 1970.
    private static let now = "((julianday('now') - 2440587.5) * 86400.0)"

    public func createJob(_ job: NewJob) async throws -> JobID {
        let id = JobID.random()
        try database.withLock { db in
            try db.transaction {
                try db.run("INSERT INTO jobs (id, owner, options, state, created_at) VALUES (?1, ?2, ?3, 'queued', \(Self.now))",
                           [.text(id.rawValue), .text(job.owner), .text(job.options)])
                for (i, span) in job.chunks.enumerated() {
                    try db.run("""
                        INSERT INTO tasks (job_id, idx, is_join, first_frame, last_frame, expected_frames, state)
                        VALUES (?1, ?2, 0, ?3, ?4, ?5, 'queued')
                        """, [.text(id.rawValue), .int(i), .int(span.first), .int(span.last), .int(span.expectedFrames)])
                }
                let whole = ChunkSpan(first: job.chunks.first!.first, last: job.chunks.last!.last,
                                      expectedFrames: job.chunks.reduce(0) { $0 + $1.expectedFrames })
                try db.run("""
                    INSERT INTO tasks (job_id, idx, is_join, first_frame, last_frame, expected_frames, state)
                    VALUES (?1, ?2, 1, ?3, ?4, ?5, 'queued')
                    """, [.text(id.rawValue), .int(job.chunks.count), .int(whole.first), .int(whole.last), .int(whole.expectedFrames)])
            }
        }
        return id
    }

    public func claim(worker: String, leaseSeconds: Double) async throws -> Lease? {
        try database.withLock { db in
            try db.transaction {
                // Lapsed leases out of attempts fail their job.
                let exhausted = try db.rows("""
                    SELECT job_id, idx, worker FROM tasks
                    WHERE state = 'running' AND lease_until < \(Self.now) AND attempt >= ?1
                    """, [.int(maxAttempts)])
                for row in exhausted {
                    let reason = "chunk \(row[1].int) lost its lease \(maxAttempts) times (last worker \(row[2].text ?? "?"))"
                    try failJob(db, job: row[0].text ?? "", reason: reason, failing: row[1].int)
                }
                let candidates = try db.rows("""
                    SELECT t.job_id, t.idx, t.attempt, t.is_join, t.first_frame, t.last_frame, t.expected_frames, j.options
                    FROM tasks t JOIN jobs j ON j.id = t.job_id
                    WHERE j.state IN ('queued', 'running')
                      AND (t.state = 'queued' OR (t.state = 'running' AND t.lease_until < \(Self.now)))
                      AND (t.is_join = 0 OR NOT EXISTS (
                          SELECT 1 FROM tasks v WHERE v.job_id = t.job_id AND v.is_join = 0 AND v.state <> 'done'))
                    ORDER BY j.created_at, j.id, t.idx
                    LIMIT 1
                    """, [])
                guard let row = candidates.first else { return nil }
                let job = row[0].text ?? "", index = row[1].int, attempt = row[2].int + 1
                try db.run("""
                    UPDATE tasks SET state = 'running', attempt = ?3, worker = ?4, lease_until = \(Self.now) + ?5, error = NULL
                    WHERE job_id = ?1 AND idx = ?2
                    """, [.text(job), .int(index), .int(attempt), .text(worker), .double(leaseSeconds)])
                try db.run("UPDATE jobs SET state = 'running' WHERE id = ?1 AND state = 'queued'", [.text(job)])
                return Lease(job: JobID(job)!, index: index, attempt: attempt, worker: worker, isJoin: row[3].int != 0,
                             span: ChunkSpan(first: row[4].int, last: row[5].int, expectedFrames: row[6].int), options: row[7].text ?? "")
            }
        }
    }

    /// The fence: this task, this attempt, still running.
    private static let fence = "job_id = ?1 AND idx = ?2 AND attempt = ?3 AND state = 'running'"

    public func renew(_ lease: Lease, seconds: Double) async throws -> Bool {
        try database.withLock { db in
            try db.transaction {
                try db.run("UPDATE tasks SET lease_until = \(Self.now) + ?4 WHERE \(Self.fence)",
                           Self.fenceValues(lease) + [.double(seconds)])
                return db.changes == 1
            }
        }
    }

    public func complete(_ lease: Lease, framesOut: Int, output: String) async throws -> Bool {
        try database.withLock { db in
            try db.transaction {
                try db.run("UPDATE tasks SET state = 'done', frames_out = ?4, output = ?5, lease_until = NULL WHERE \(Self.fence)",
                           Self.fenceValues(lease) + [.int(framesOut), .text(output)])
                guard db.changes == 1 else { return false }
                if lease.isJoin {
                    try db.run("UPDATE jobs SET state = 'done', output = ?2, finished_at = \(Self.now) WHERE id = ?1",
                               [.text(lease.job.rawValue), .text(output)])
                }
                return true
            }
        }
    }

    public func fail(_ lease: Lease, reason: String, retry: Bool) async throws -> Bool {
        try database.withLock { db in
            try db.transaction {
                if retry && lease.attempt < maxAttempts {
                    try db.run("UPDATE tasks SET state = 'queued', error = ?4, lease_until = NULL WHERE \(Self.fence)",
                               Self.fenceValues(lease) + [.text(reason)])
                    return db.changes == 1
                }
                try db.run("UPDATE tasks SET state = 'failed', error = ?4, lease_until = NULL WHERE \(Self.fence)",
                           Self.fenceValues(lease) + [.text(reason)])
                guard db.changes == 1 else { return false }
                try failJob(db, job: lease.job.rawValue, reason: "chunk \(lease.index): \(reason)", failing: nil)
                return true
            }
        }
    }

    /// Fails a job: its unfinished tasks are cancelled (and `failing`, if given, failed).
    private func failJob(_ db: Connection, job: String, reason: String, failing index: Int?) throws {
        if let index {
            try db.run("UPDATE tasks SET state = 'failed', lease_until = NULL WHERE job_id = ?1 AND idx = ?2", [.text(job), .int(index)])
        }
        try db.run("UPDATE tasks SET state = 'cancelled', lease_until = NULL WHERE job_id = ?1 AND state IN ('queued', 'running')", [.text(job)])
        try db.run("UPDATE jobs SET state = 'failed', error = ?2, finished_at = \(Self.now) WHERE id = ?1 AND state IN ('queued', 'running')",
                   [.text(job), .text(reason)])
    }

    public func cancel(_ job: JobID, owner: String?) async throws -> Bool {
        try database.withLock { db in
            try db.transaction {
                try db.run("""
                    UPDATE jobs SET state = 'cancelled', finished_at = \(Self.now)
                    WHERE id = ?1 AND (?2 IS NULL OR owner = ?2) AND state IN ('queued', 'running')
                    """, [.text(job.rawValue), owner.map { .text($0) } ?? .null])
                guard db.changes == 1 else { return false }
                try db.run("UPDATE tasks SET state = 'cancelled', lease_until = NULL WHERE job_id = ?1 AND state IN ('queued', 'running')",
                           [.text(job.rawValue)])
                return true
            }
        }
    }

    public func status(_ job: JobID, owner: String?) async throws -> JobStatus? {
        try database.withLock { db in
            let rows = try db.rows("""
                SELECT j.owner, j.state, j.error, j.output, j.created_at, j.finished_at,
                       SUM(CASE WHEN t.is_join = 0 AND t.state = 'done' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN t.is_join = 0 THEN 1 ELSE 0 END),
                       SUM(CASE WHEN t.is_join = 0 AND t.state = 'done' THEN t.frames_out ELSE 0 END),
                       SUM(CASE WHEN t.is_join = 0 THEN t.expected_frames ELSE 0 END)
                FROM jobs j JOIN tasks t ON t.job_id = j.id
                WHERE j.id = ?1 AND (?2 IS NULL OR j.owner = ?2)
                GROUP BY j.id
                """, [.text(job.rawValue), owner.map { .text($0) } ?? .null])
            guard let r = rows.first else { return nil }
            return JobStatus(id: job, owner: r[0].text ?? "", state: JobState(rawValue: r[1].text ?? "") ?? .failed,
                             chunksDone: r[6].int, chunksTotal: r[7].int, framesDone: r[8].int, framesTotal: r[9].int,
                             error: r[2].text, output: r[3].text, createdAt: r[4].double, finishedAt: r[5].optionalDouble)
        }
    }

    public func tasks(of job: JobID) async throws -> [TaskRecord] {
        try database.withLock { db in
            try db.rows("""
                SELECT idx, is_join, state, attempt, worker, first_frame, last_frame, expected_frames, frames_out, output, error
                FROM tasks WHERE job_id = ?1 ORDER BY idx
                """, [.text(job.rawValue)]).map { r in
                TaskRecord(index: r[0].int, isJoin: r[1].int != 0, state: TaskState(rawValue: r[2].text ?? "") ?? .failed,
                           attempt: r[3].int, worker: r[4].text,
                           span: ChunkSpan(first: r[5].int, last: r[6].int, expectedFrames: r[7].int),
                           framesOut: r[8].optionalInt, output: r[9].text, error: r[10].text)
            }
        }
    }

    public func counts() async throws -> StoreCounts {
        try database.withLock { db in
            var counts = StoreCounts()
            for r in try db.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state", []) {
                if let state = JobState(rawValue: r[0].text ?? "") { counts.jobs[state] = r[1].int }
            }
            for r in try db.rows("SELECT state, COUNT(*) FROM tasks WHERE is_join = 0 GROUP BY state", []) {
                if let state = TaskState(rawValue: r[0].text ?? "") { counts.tasks[state] = r[1].int }
            }
            return counts
        }
    }

    private static func fenceValues(_ lease: Lease) -> [Connection.Value] {
        [.text(lease.job.rawValue), .int(lease.index), .int(lease.attempt)]
    }
}

/// A thin owner of one `sqlite3` handle: statements prepared, bound, stepped and finalized in one call.
final class Connection: @unchecked Sendable {  // used only under SQLiteJobStore's lock
    enum Value {
        case null, int(Int), double(Double), text(String)

        var int: Int { if case .int(let v) = self { v } else if case .double(let v) = self { Int(v) } else { 0 } }
        var optionalInt: Int? { if case .null = self { nil } else { int } }
        var double: Double { if case .double(let v) = self { v } else if case .int(let v) = self { Double(v) } else { 0 } }
        var optionalDouble: Double? { if case .null = self { nil } else { double } }
        var text: String? { if case .text(let v) = self { v } else { nil } }
    }

    private let handle: OpaquePointer
    let path: String

    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            throw JobStoreError("\(path): cannot open the job store (\(message))")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(handle) }

    var changes: Int { Int(sqlite3_changes(handle)) }

    private func error(_ what: String) -> JobStoreError {
        JobStoreError("\(path): \(what): \(String(cString: sqlite3_errmsg(handle)))")
    }

    func execute(_ sql: String) throws {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error("cannot run \(sql.prefix(40))…") }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    func run(_ sql: String, _ values: [Value]) throws {
        _ = try rows(sql, values)
    }

    func rows(_ sql: String, _ values: [Value]) throws -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw error("cannot prepare") }
        defer { sqlite3_finalize(statement) }
        // SQLITE_TRANSIENT: SQLite copies the bytes before bind returns.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, value) in values.enumerated() {
            let position = Int32(i + 1)
            let status: Int32 = switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .int(let v): sqlite3_bind_int64(statement, position, Int64(v))
            case .double(let v): sqlite3_bind_double(statement, position, v)
            case .text(let v): sqlite3_bind_text(statement, position, v, -1, transient)
            }
            guard status == SQLITE_OK else { throw error("cannot bind") }
        }
        var result: [[Value]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error("cannot step") }
            result.append((0..<sqlite3_column_count(statement)).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: .int(Int(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: .double(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(statement, column)))
                default: .null
                }
            })
        }
        return result
    }
}

/// A value used by one thread at a time (`Mutex` needs macOS 15; the package supports 14).
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
