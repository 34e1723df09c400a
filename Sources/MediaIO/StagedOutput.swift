public import Foundation

/// What an output is: one file (a video, a PNG, a report) or a folder of numbered PNG frames.
public enum OutputKind: Sendable, Equatable {
    case file
    case frameFolder
}

/// An output refused before any work: it would touch an input or something Tween did not write.
public struct OutputError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The one place that decides whether an output may be written and that writes it atomically.
///
/// Rules (they protect what is not Tween's):
/// - paths are compared after resolving symlinks, so a link cannot smuggle an input in;
/// - an output that is an input, or a folder that contains one, is refused;
/// - an existing output is replaced only with `force`, and then only when it is what Tween writes
///   there: a regular file for a file output; for a frame folder, a folder holding nothing but
///   Tween's numbered frames (`000001.png` …). Anything else is refused, never removed;
/// - the output is first written under a hidden name beside the target
///   (`.NAME.tween-PID.partial[.EXT]`) and moved into place by `commit()`; until then, or when the
///   value is dropped uncommitted, only that staging name is ever deleted.
public final class StagedOutput: @unchecked Sendable {  // `state` is guarded by `lock`
    /// Where the finished output goes (standardised, as given; not resolved).
    public let destination: URL
    /// Where it is written meanwhile.
    public let staging: URL
    public let kind: OutputKind
    private let lock = NSLock()
    private var committed = false

    /// Checks `destination` against the rules above and claims its staging name (an empty file,
    /// or an empty folder), so an unwritable folder fails before any work.
    public init(_ destination: URL, kind: OutputKind, inputs: [URL], force: Bool) throws(OutputError) {
        let destination = destination.standardizedFileURL
        try StagedOutput.check(destination, kind: kind, inputs: inputs, force: force)
        self.destination = destination
        self.kind = kind
        let ext = destination.pathExtension
        staging = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tween-\(getpid()).partial" + (ext.isEmpty ? "" : ".\(ext)"))
        let folder = destination.deletingLastPathComponent().path
        StagedOutput.removeStale(beside: destination, kind: kind)
        switch kind {
        case .file:
            guard FileManager.default.createFile(atPath: staging.path, contents: nil) else {
                throw OutputError("\(folder): output directory is not writable (cannot create \(staging.lastPathComponent))")
            }
        case .frameFolder:
            guard mkdir(staging.path, 0o755) == 0 else {
                throw OutputError("\(folder): output directory is not writable (\(String(cString: strerror(errno))))")
            }
        }
        StagedOutput.registry.add(self)
    }

    deinit { discard() }

    /// Checks an output without claiming anything (for outputs written later, such as reports).
    public static func check(_ destination: URL, kind: OutputKind, inputs: [URL], force: Bool) throws(OutputError) {
        let destination = destination.standardizedFileURL
        let shown = destination.path
        let folder = destination.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OutputError("\(folder): output directory does not exist")
        }
        let resolved = resolvedPath(destination)
        for input in inputs {
            let source = resolvedPath(input)
            if source == resolved { throw OutputError("\(shown): output would overwrite the input \(input.path)") }
            if source.hasPrefix(resolved == "/" ? "/" : resolved + "/") {
                throw OutputError("\(shown): the output folder contains the input \(input.path); choose another output")
            }
        }
        var existsAsDirectory: ObjCBool = false
        // lstat semantics: a symlink at the destination is judged by what it points to, and was resolved above.
        guard FileManager.default.fileExists(atPath: destination.path, isDirectory: &existsAsDirectory) else { return }
        guard force else { throw OutputError("\(shown) already exists (use --force to overwrite)") }
        switch (kind, existsAsDirectory.boolValue) {
        case (.file, false): return
        case (.file, true):
            throw OutputError("\(shown) is a folder; --force replaces only a file Tween wrote, never a folder")
        case (.frameFolder, false):
            throw OutputError("\(shown) is a file, not a folder of Tween frames; --force will not replace it")
        case (.frameFolder, true):
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? []
            let foreign = entries.filter { !isFrameName($0) }.sorted()
            if !foreign.isEmpty {
                let listed = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? ", …" : "")
                throw OutputError("\(shown) is not a folder of Tween frames (it holds \(foreign.count) other entr\(foreign.count == 1 ? "y" : "ies"): "
                                  + "\(listed)); --force replaces only a previous Tween frame folder")
            }
        }
    }

    /// Removes what a killed run left: `.NAME.tween-PID.partial[.EXT]` beside `destination` whose
    /// process no longer exists (a SIGKILL cannot clean up after itself). Only this output's own
    /// staging names are touched, only for dead PIDs, and a folder only when it holds nothing but frames.
    /// - Returns: the names removed.
    @discardableResult
    public static func removeStale(beside destination: URL, kind: OutputKind) -> [String] {
        let folder = destination.deletingLastPathComponent()
        let prefix = ".\(destination.lastPathComponent).tween-"
        let ext = destination.pathExtension
        let suffix = ".partial" + (ext.isEmpty ? "" : ".\(ext)")
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(suffix) {
            let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let pid = Int32(digits),
                  pid != getpid(), kill(pid, 0) == -1, errno == ESRCH else { continue }
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
                  isDirectory.boolValue == (kind == .frameFolder) else { continue }
            if kind == .frameFolder {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                guard entries.allSatisfy(isFrameName) else { continue }
            }
            removeStaging(url, kind)
            removed.append(name)
        }
        return removed
    }

    /// Tween's frame names: six or more digits and `.png` (`PNGSequenceWriter`).
    public static func isFrameName(_ name: String) -> Bool {
        guard name.hasSuffix(".png") else { return false }
        let stem = name.dropLast(4)
        return stem.count >= 6 && stem.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Moves the finished output into place. A file replaces the old one in one rename; a frame
    /// folder's old frames (only Tween's numbered files) are removed first, then its empty folder.
    public func commit() throws(OutputError) {
        lock.lock(); defer { lock.unlock() }
        precondition(!committed, "committed twice")
        let shown = destination.path
        if kind == .frameFolder {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: shown, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw OutputError("\(shown) is a file, not a folder of Tween frames; --force will not replace it") }
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: shown)) ?? []
                for name in entries where StagedOutput.isFrameName(name) {
                    unlink(destination.appendingPathComponent(name).path)
                }
                guard rmdir(shown) == 0 else {
                    throw OutputError("\(shown): cannot replace the old frame folder (\(String(cString: strerror(errno)))); the new frames are in \(staging.path)")
                }
            }
        }
        guard rename(staging.path, shown) == 0 else {
            throw OutputError("\(shown): cannot move the finished output into place (\(String(cString: strerror(errno))))")
        }
        committed = true
        StagedOutput.registry.remove(self)
    }

    /// Deletes the staging file or folder (only it, and for a folder only its frame files) unless committed.
    public func discard() {
        lock.lock(); defer { lock.unlock() }
        guard !committed else { return }
        committed = true  // nothing more to do either way
        if StagedOutput.registry.remove(self) { StagedOutput.removeStaging(staging, kind) }
    }

    private static func removeStaging(_ staging: URL, _ kind: OutputKind) {
        switch kind {
        case .file: unlink(staging.path)
        case .frameFolder:
            for name in (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? [] {
                unlink(staging.appendingPathComponent(name).path)
            }
            rmdir(staging.path)
        }
    }

    /// For a signal handler that must exit now: deletes every staging name still open in this process.
    public static func discardAll() {
        for (staging, kind) in registry.takeAll() { removeStaging(staging, kind) }
    }

    /// The staging names not yet committed or discarded (paths, not objects, so a signal handler
    /// never touches an object another thread is releasing).
    private final class Registry: @unchecked Sendable {  // guarded by `lock`
        private let lock = NSLock()
        private var open: [ObjectIdentifier: (URL, OutputKind)] = [:]
        func add(_ o: StagedOutput) { lock.lock(); open[ObjectIdentifier(o)] = (o.staging, o.kind); lock.unlock() }
        /// False when `discardAll` took it already.
        @discardableResult func remove(_ o: StagedOutput) -> Bool {
            lock.lock(); defer { lock.unlock() }
            return open.removeValue(forKey: ObjectIdentifier(o)) != nil
        }
        func takeAll() -> [(URL, OutputKind)] {
            lock.lock(); defer { lock.unlock() }
            let all = Array(open.values)
            open = [:]
            return all
        }
    }
    private static let registry = Registry()

    /// Writes `data` to `url` atomically (staged beside it, renamed into place); for reports and pages.
    public static func write(_ data: Data, to url: URL, inputs: [URL] = []) throws(OutputError) {
        let output = try StagedOutput(url, kind: .file, inputs: inputs, force: true)
        do { try data.write(to: output.staging) } catch {
            throw OutputError("\(url.path): cannot write (\((error as NSError).localizedDescription))")
        }
        try output.commit()
    }
}

/// The path with every symlink resolved; for a path that does not exist yet, its folder resolved
/// and its name appended.
func resolvedPath(_ url: URL) -> String {
    let path = url.standardizedFileURL.path
    if let real = realpath(path, nil) { defer { free(real) }; return String(cString: real) }
    let folder = url.standardizedFileURL.deletingLastPathComponent().path
    guard let real = realpath(folder, nil) else { return path }
    defer { free(real) }
    let base = String(cString: real)
    return (base == "/" ? "" : base) + "/" + url.lastPathComponent
}
