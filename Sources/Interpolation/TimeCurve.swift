import Foundation

/// How a region's time follows the background's inside each pair of source frames: the frame at
/// phase t (the timeline's t in [0, 1)) shows the region at `time(at: t)`.
///
/// Written as text (`tween video --time-curve MASK.png:CURVE`):
/// - a number c in [0, 1]: the region always at c;
/// - `linear`: the region at t (moves with the background);
/// - `hold`: the region at 0, on the earlier source frame (a stop-motion look);
/// - `ease`: smoothstep 3t² − 2t³ (the region eases out of and into each source frame);
/// - keyframes `0=0,0.5=0.1,1=1`: phase=time pairs, phases strictly increasing from exactly 0 to
///   exactly 1, times in [0, 1], linear in between.
public struct TimeCurve: Sendable, Equatable, CustomStringConvertible {
    public struct Keyframe: Sendable, Equatable {
        public var phase: Double
        public var time: Double

        public init(phase: Double, time: Double) {
            self.phase = phase
            self.time = time
        }
    }

    public enum Shape: Sendable, Equatable {
        case constant(Double)
        case linear
        case ease
        case keyframes([Keyframe])
    }

    public let shape: Shape
    /// The text the curve was parsed from, for messages and reports.
    public let description: String

    /// The region's time at phase `t` (clamped to [0, 1]).
    public func time(at t: Double) -> Float {
        let t = min(max(t, 0), 1)
        switch shape {
        case .constant(let c): return Float(c)
        case .linear: return Float(t)
        case .ease: return Float(t * t * (3 - 2 * t))
        case .keyframes(let keys):
            // The segment [keys[i-1].phase, keys[i].phase] that holds t; keys start at 0 and end at 1.
            let i = keys.firstIndex { $0.phase >= t } ?? keys.count - 1
            if i == 0 { return Float(keys[0].time) }
            let (from, to) = (keys[i - 1], keys[i])
            return Float(from.time + (to.time - from.time) * (t - from.phase) / (to.phase - from.phase))
        }
    }

    /// Parses one of the forms above.
    /// - Throws: `TimeCurveError` saying what is wrong, in one line.
    public init(parsing text: String) throws(TimeCurveError) {
        let s = text.trimmingCharacters(in: .whitespaces)
        description = s
        switch s {
        case "": throw TimeCurveError("the curve is empty")
        case "linear": shape = .linear; return
        case "hold": shape = .constant(0); return
        case "ease": shape = .ease; return
        default: break
        }
        if !s.contains("=") {
            guard let c = Self.number(s) else {
                throw TimeCurveError("unknown curve \(s): give a time in [0, 1], linear, hold, ease, or keyframes such as 0=0,0.5=0.1,1=1")
            }
            guard (0...1).contains(c) else { throw TimeCurveError("the constant time \(s) is outside [0, 1]") }
            shape = .constant(c)
            return
        }
        var keys: [Keyframe] = []
        for item in s.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let phase = Self.number(parts[0]), let time = Self.number(parts[1]) else {
                throw TimeCurveError("keyframe \"\(item)\" is not PHASE=TIME (e.g. 0.5=0.1)")
            }
            guard (0...1).contains(phase) else { throw TimeCurveError("keyframe \(item): the phase is outside [0, 1]") }
            guard (0...1).contains(time) else { throw TimeCurveError("keyframe \(item): the time is outside [0, 1]") }
            if let last = keys.last, phase <= last.phase {
                throw TimeCurveError("keyframe phases must increase strictly (\(item) follows phase \(last.phase))")
            }
            keys.append(Keyframe(phase: phase, time: time))
        }
        guard keys.first?.phase == 0 else { throw TimeCurveError("the keyframes must start at phase 0 (e.g. 0=0,…)") }
        guard keys.last?.phase == 1 else { throw TimeCurveError("the keyframes must end at phase 1 (e.g. …,1=1)") }
        shape = .keyframes(keys)
    }

    /// A finite decimal; `Double.init` alone would also take "nan", "inf" and hex.
    private static func number(_ text: some StringProtocol) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }) else { return nil }
        return Double(t)
    }
}

/// A curve that cannot be parsed; the message says why.
public struct TimeCurveError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
