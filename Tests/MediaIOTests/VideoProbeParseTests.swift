import Foundation
import MediaIO
import Testing

/// ffprobe's report describes an untrusted file: whatever numbers it claims, reading it ends in a
/// `VideoInfo` or a `MediaError`, never a trap (each case below trapped before: `Int(Double)` of a
/// huge rotation or frame count, and rates that overflow the timeline's exact fractions).
@Suite("VideoProbe.parse on hostile reports")
struct VideoProbeParseTests {
    private func report(_ stream: String, width: Int = 64) -> Data {
        Data(#"{"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264", "width": \#(width), "height": 48, \#(stream)}], "format": {"duration": "1.0"}}"#.utf8)
    }

    @Test("a plain report reads as it says")
    func plain() throws {
        let info = try VideoProbe.parse(report(#""r_frame_rate": "30000/1001", "avg_frame_rate": "30000/1001", "nb_frames": "12""#), path: "x")
        #expect(info.width == 64 && info.frameRateNumerator == 30000 && info.expectedFrameCount == 12 && !info.isVariableFrameRate)
    }

    @Test("huge or non-finite numbers are refused or ignored, never trapped on", arguments: [
        #""r_frame_rate": "25/1", "side_data_list": [{"rotation": 1e300}]"#,
        #""r_frame_rate": "25/1", "side_data_list": [{"rotation": -9.2e18}]"#,
        #""r_frame_rate": "25/1", "tags": {"rotate": "-9223372036854775807"}"#,
        #""r_frame_rate": "25/1", "duration": "1e308""#,
        #""r_frame_rate": "25/1", "duration": "nan""#,
        #""r_frame_rate": "25/1", "duration": "-5""#,
    ])
    func hostileNumbers(_ stream: String) throws {
        let info = try VideoProbe.parse(report(stream), path: "x")
        #expect([0, 90, 180, 270].contains(info.rotation) || (0..<360).contains(info.rotation))
        _ = info.expectedFrameCount
    }

    @Test("implausible sizes and rates are one clear error", arguments: [
        (#""r_frame_rate": "9223372036854775807/1""#, "implausible frame rate"),
        (#""r_frame_rate": "0/0""#, "no frame rate"),
    ])
    func refused(_ stream: String, _ message: String) {
        #expect { try VideoProbe.parse(report(stream), path: "x") } throws: { ($0 as? MediaError)?.message.contains(message) == true }
    }

    @Test("a frame size no codec makes is refused")
    func hugeSize() {
        #expect { try VideoProbe.parse(report(#""r_frame_rate": "25/1""#, width: 100_000), path: "x") } throws: {
            ($0 as? MediaError)?.message.contains("100000x48 frame size") == true
        }
    }
}

@Suite("variable frame rate from timestamps")
struct FrameDurationTests {
    @Test("gaps from ffprobe's packet times, in any order; N/A skipped")
    func gaps() throws {
        let range = try #require(VideoProbe.frameDurations(fromPacketTimes: "0.100\n0.000\nN/A\n0.033\n0.067\n0.183,\n"))
        #expect(abs(range.lowerBound - 0.033) < 1e-9 && abs(range.upperBound - 0.083) < 1e-9)
        #expect(VideoProbe.frameDurations(fromPacketTimes: "0.0\n0.04\n") == nil)
    }

    @Test("timebase rounding (33/34 ms) is constant; 12 → 30 fps is variable, whatever the average says")
    func judged() {
        let json = #"{"streams": [{"codec_type": "video", "width": 64, "height": 48, "r_frame_rate": "30000/1001", "avg_frame_rate": "30000/1001"}], "format": {"format_name": "matroska,webm"}}"#
        guard var info = try? VideoProbe.parse(Data(json.utf8), path: "x") else { Issue.record("did not parse"); return }
        info.frameDurations = 0.033...0.034
        #expect(!info.isVariableFrameRate)
        info.frameDurations = 0.033...0.083
        #expect(info.isVariableFrameRate)
        #expect(info.missingFramePeriods == nil, "2.5 frame periods is not a hole of whole frames")
    }

    @Test("holes of whole frames at the nominal rate are missing frames; a different base rate is not")
    func missing() {
        let json = #"{"streams": [{"codec_type": "video", "width": 64, "height": 48, "r_frame_rate": "25/1", "avg_frame_rate": "25/1"}], "format": {"format_name": "mpegts"}}"#
        guard var info = try? VideoProbe.parse(Data(json.utf8), path: "x") else { Issue.record("did not parse"); return }
        info.frameDurations = 0.04...0.24
        #expect(info.isVariableFrameRate && info.missingFramePeriods == 6)
        info.frameDurations = 0.04...0.0401
        #expect(info.missingFramePeriods == nil)
        info.frameDurations = 0.02...0.08  // frames at 50 fps somewhere: not the nominal period
        #expect(info.missingFramePeriods == nil)
    }
}
