public import Foundation

/// Scratch folders for tests that need real files.
///
/// Every folder lies inside one folder per test process, which is removed when the process exits:
/// a test run leaves nothing behind in the temporary directory (a crashed run aside). Before this,
/// a few hundred runs of the suite had left about a thousand folders of PNGs and reports in /tmp.
public enum Scratch {
    /// A new, empty folder whose name starts with `label`.
    public static func directory(_ label: String) -> URL {
        let url = scratchRoot.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

private let scratchRoot: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tween-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit(removeScratchRoot)
    return url
}()

private func removeScratchRoot() {
    try? FileManager.default.removeItem(at: scratchRoot)
}
