import Interpolation
import Testing

@Suite("Time curves")
struct TimeCurveTests {
    func curve(_ text: String) throws -> TimeCurve { try TimeCurve(parsing: text) }

    @Test("constants, presets and keyframes evaluate as documented")
    func forms() throws {
        #expect(try curve("0.25").shape == .constant(0.25))
        #expect(try curve("1").time(at: 0.3) == 1 && curve("0").time(at: 0.9) == 0)
        #expect(try curve("linear").time(at: 0.375) == 0.375)
        #expect(try curve("hold").shape == .constant(0))
        #expect(try curve("hold").time(at: 0.75) == 0)
        let ease = try curve("ease")
        #expect(ease.time(at: 0) == 0 && ease.time(at: 0.5) == 0.5 && ease.time(at: 1) == 1)
        #expect(ease.time(at: 0.25) == 0.15625 && ease.time(at: 0.75) == 0.84375)  // 3t² − 2t³
        let keys = try curve("0=0,0.5=0.1,1=1")
        #expect(keys.shape == .keyframes([.init(phase: 0, time: 0), .init(phase: 0.5, time: 0.1), .init(phase: 1, time: 1)]))
        #expect(keys.time(at: 0) == 0 && keys.time(at: 0.5) == Float(0.1) && keys.time(at: 1) == 1)
        #expect(abs(keys.time(at: 0.25) - 0.05) < 1e-7 && abs(keys.time(at: 0.75) - 0.55) < 1e-7)
        // A curve may start away from 0 (the region is off the source frame even at t = 0) and fall.
        let falling = try curve(" 0=0.5, 1=0 ")
        #expect(falling.time(at: 0) == 0.5 && falling.time(at: 0.5) == 0.25)
        #expect(keys.description == "0=0,0.5=0.1,1=1")
    }

    @Test("bad curves are refused with a message that says why", arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("fast", "unknown curve fast"),
        ("nan", "unknown curve"),
        ("inf", "unknown curve"),
        ("1.5", "outside [0, 1]"),
        ("-0.1", "outside [0, 1]"),
        ("0=0,0.5=0.5,0.5=0.6,1=1", "increase strictly"),
        ("0=0,0.7=0.5,0.6=0.6,1=1", "increase strictly"),
        ("0=0,0.5=1.2,1=1", "time is outside [0, 1]"),
        ("0=0,1.5=1", "phase is outside [0, 1]"),
        ("0.1=0,1=1", "start at phase 0"),
        ("0=0,0.9=1", "end at phase 1"),
        ("0=0", "end at phase 1"),
        ("0=0,,1=1", "not PHASE=TIME"),
        ("0=0,0.5,1=1", "not PHASE=TIME"),
        ("0=0,0.5=x,1=1", "not PHASE=TIME"),
        ("0=0=0,1=1", "not PHASE=TIME"),
    ])
    func refused(_ text: String, _ reason: String) {
        #expect { try TimeCurve(parsing: text) } throws: { "\($0)".contains(reason) }
    }
}
