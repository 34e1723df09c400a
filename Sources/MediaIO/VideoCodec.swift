/// The video codecs Tween encodes to, with the rules that decide each one's pixel format.
///
/// H.264 is the default (plays everywhere); HEVC is the default for HDR sources (HDR10 lives in
/// 10-bit HEVC); FFV1 (lossless) and ProRes 422 HQ are intermediates for editors; VP9 and AV1 are
/// for `.webm`.
public enum VideoCodec: String, CaseIterable, Sendable, Codable {
    case h264, hevc, ffv1, prores, vp9, av1
    /// Uncompressed frames, for pipes (`-o -`: NUT or y4m to another program).
    case raw

    /// ffmpeg's encoder.
    public var encoder: String {
        switch self {
        case .h264: "libx264"
        case .hevc: "libx265"
        case .ffv1: "ffv1"
        case .prores: "prores_ks"
        case .vp9: "libvpx-vp9"
        case .av1: "libsvtav1"
        case .raw: "rawvideo"
        }
    }

    /// Containers (ffmpeg muxer names) that hold the codec.
    public var containers: Set<String> {
        switch self {
        case .h264, .hevc: ["mp4", "mov", "matroska"]
        case .ffv1: ["matroska"]
        case .prores: ["mov", "matroska"]
        case .vp9, .av1: ["webm", "matroska", "mp4"]
        case .raw: ["nut", "yuv4mpegpipe", "matroska"]
        }
    }

    /// The default codec for a container and source: VP9 for WebM, HEVC for HDR, else H.264.
    public static func defaultCodec(container: String, hdr: Bool) -> VideoCodec {
        if container == "webm" { return .vp9 }
        if container == "nut" || container == "yuv4mpegpipe" { return .raw }
        return hdr ? .hevc : .h264
    }

    /// Whether the codec's constant-quality scale is the one `--crf` sets (not FFV1, ProRes).
    public var takesCRF: Bool { self != .ffv1 && self != .prores && self != .raw }

    /// The encoded pixel format for a source of `depth` bits (8 or deeper) at `width`×`height`:
    /// 4:2:0 where the codec and an even size allow it (what players expect), 4:4:4 for odd sizes
    /// rather than cropping a pixel; 10 bits for deeper sources (FFV1 16). ProRes is 4:2:2 10-bit
    /// always (its only profile family for video); FFV1 4:4:4, being lossless.
    public func pixelFormat(depth: Int, width: Int, height: Int) -> String {
        let deep = depth > 8
        let even = width % 2 == 0 && height % 2 == 0
        switch self {
        case .prores: return "yuv422p10le"
        case .ffv1: return deep ? "yuv444p16le" : "yuv444p"
        case .av1: return deep ? "yuv420p10le" : "yuv420p"  // SVT-AV1 takes 4:2:0 only (odd sizes refused up front)
        case .h264, .hevc, .vp9, .raw:
            let chroma = even ? "yuv420p" : "yuv444p"
            return deep ? chroma + "10le" : chroma
        }
    }

    /// Bits per component of `pixelFormat(depth:…)`.
    public func outputDepth(sourceDepth: Int) -> Int {
        switch self {
        case .prores: 10
        case .ffv1: sourceDepth > 8 ? 16 : 8
        default: sourceDepth > 8 ? 10 : 8
        }
    }

    /// The encoder's quality options.
    func qualityArguments(_ settings: EncoderSettings, container: String, sourceInfo: VideoInfo?) -> [String] {
        switch self {
        case .h264: return ["-preset", settings.preset, "-crf", "\(settings.crf)"]
        case .hevc:
            var arguments = ["-preset", settings.preset, "-crf", "\(settings.crf)"]
            if container == "mp4" || container == "mov" { arguments += ["-tag:v", "hvc1"] }  // what Apple's players look for
            // x265 logs at info level on its own; HDR10's static metadata goes in its SEI.
            var params = ["log-level=error"]
            if let hdr = sourceInfo?.hdrMetadata {
                params.append("hdr10=1")
                if let display = hdr.masteringDisplay { params.append("master-display=\(display)") }
                if let light = hdr.contentLight { params.append("max-cll=\(light)") }
            }
            return arguments + ["-x265-params", params.joined(separator: ":")]
        case .ffv1: return ["-level", "3", "-g", "1", "-slicecrc", "1"]
        case .prores: return ["-profile:v", "3"]  // 422 HQ
        case .vp9: return ["-crf", "\(settings.crf)", "-b:v", "0", "-row-mt", "1", "-cpu-used", "4"]
        case .av1: return ["-crf", "\(settings.crf)", "-preset", "8"]
        case .raw: return container == "yuv4mpegpipe" ? ["-strict", "-1"] : []  // y4m's 10-bit formats are "non-standard"
        }
    }
}
