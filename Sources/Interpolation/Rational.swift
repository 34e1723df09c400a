import Foundation

/// An exact fraction `numerator / denominator`, always in lowest terms with a positive denominator.
///
/// Frame rates such as 24000/1001 are not representable in binary floating point, and a timeline
/// built by adding 1/fps up accumulates error until audio drifts; every timeline computation is
/// therefore done on fractions. Values stay small (frame rates, frame indices), and the arithmetic
/// traps on overflow rather than wrapping, so a wrong result can never be silent.
public struct Rational: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let numerator: Int
    public let denominator: Int

    public init(_ numerator: Int, _ denominator: Int = 1) {
        precondition(denominator != 0, "zero denominator")
        let g = Rational.gcd(abs(numerator), abs(denominator))
        let sign = denominator < 0 ? -1 : 1
        self.numerator = sign * numerator / max(g, 1)
        self.denominator = sign * denominator / max(g, 1)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// The largest integer ≤ the value.
    public var floor: Int {
        let q = numerator / denominator
        return (numerator % denominator != 0 && numerator < 0) ? q - 1 : q
    }

    /// The integer nearest to the value, halves rounded up.
    public var rounded: Int { (self + Rational(1, 2)).floor }

    /// The part after the integer: `self - floor`, in [0, 1).
    public var fractionalPart: Rational { self - Rational(floor) }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    public static func + (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func - (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator - b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func * (a: Rational, b: Rational) -> Rational {
        // Cross-reduce first so products of large frame counts and rates stay small.
        let g1 = max(gcd(abs(a.numerator), b.denominator), 1), g2 = max(gcd(abs(b.numerator), a.denominator), 1)
        return Rational((a.numerator / g1) * (b.numerator / g2), (a.denominator / g2) * (b.denominator / g1))
    }
    public static func / (a: Rational, b: Rational) -> Rational {
        precondition(b.numerator != 0, "division by zero")
        return a * Rational(b.denominator, b.numerator)
    }
    public static func < (a: Rational, b: Rational) -> Bool {
        a.numerator * b.denominator < b.numerator * a.denominator
    }

    /// Parses a frame rate as ffprobe and users write it: `30000/1001`, `25`, `59.94`.
    ///
    /// Decimals are exact (`12.5` is 25/2), except the NTSC rates, which are written rounded
    /// everywhere (23.976, 29.97, 47.952, 59.94, 119.88) and mean N·1000/1001: `59.94` is
    /// 60000/1001, not 5994/100, whose frames would slowly drift against 60000/1001 sources.
    /// Returns nil for anything else, including zero and negative rates.
    public init?(frameRate text: String) {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let slash = s.firstIndex(of: "/") {
            guard let n = Int(s[..<slash]), let d = Int(s[s.index(after: slash)...]), n > 0, d > 0,
                  n <= 1_000_000_000, d <= 1_000_000_000 else { return nil }
            self = Rational(n, d)
            return
        }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              s.filter({ $0 == "." }).count <= 1 else { return nil }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0].isEmpty ? "0" : String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard fraction.count <= 6, whole.count <= 7, let w = Int(whole), let f = Int(fraction.isEmpty ? "0" : fraction) else {
            return nil
        }
        var scale = 1
        for _ in 0..<fraction.count { scale *= 10 }
        let value = Rational(w * scale + f, scale)
        guard value.numerator > 0 else { return nil }
        for base in [24, 30, 48, 60, 120, 240] {
            let ntsc = Rational(base * 1000, 1001)
            // The rounded spelling (2 or 3 decimals) of an NTSC rate maps to the exact fraction.
            if fraction.count >= 2, abs((value - ntsc).doubleValue) < 0.0051, value != Rational(base) {
                self = ntsc
                return
            }
        }
        self = value
    }
}
