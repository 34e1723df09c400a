/// A video stream's colour description as ffprobe reports it (`color_space`, `color_range`,
/// `color_primaries`, `color_transfer`, `chroma_location`), and the one rule Tween converts by.
///
/// Decoding to RGB and encoding back must use the same YUV matrix and range, and the output must
/// say which it used; otherwise a player reads Tween's file with a different matrix than the one
/// it was written with (BT.709 HD written with ffmpeg's BT.601 default and left untagged read
/// 24 dB against its source). Values are ffprobe's names; nil where the file says nothing
/// ("unknown" and "reserved" are read as nothing).
public struct VideoColor: Sendable, Equatable, Codable {
    public var matrix: String?
    public var range: String?
    public var primaries: String?
    public var transfer: String?
    public var chromaLocation: String?

    public init(matrix: String? = nil, range: String? = nil, primaries: String? = nil,
                transfer: String? = nil, chromaLocation: String? = nil) {
        func known(_ value: String?) -> String? {
            guard let value, !value.isEmpty, value != "unknown", value != "reserved", value != "unspecified" else { return nil }
            // Tag values go onto ffmpeg's command line: keep them to the names ffmpeg prints.
            guard value.count <= 32, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
            return value
        }
        self.matrix = known(matrix)
        self.range = known(range)
        self.primaries = known(primaries)
        self.transfer = known(transfer)
        self.chromaLocation = known(chromaLocation)
    }

    /// The YUV matrix of the conversion, as the scale filter names it: the tagged one when the
    /// scaler knows it, else what players assume for untagged video (mpv, VLC, browsers): BT.709
    /// for HD and larger (wider than 1024 or taller than 576), BT.601 below.
    public func conversionMatrix(width: Int, height: Int) -> String {
        switch matrix {
        case "bt709": "bt709"
        case "smpte170m": "smpte170m"
        case "bt470bg": "bt470"
        case "bt2020nc", "bt2020c": "bt2020"
        case "smpte240m": "smpte240m"
        case "fcc": "fcc"
        default: width > 1024 || height > 576 ? "bt709" : "bt601"
        }
    }

    /// The matrix as a tag for the output (ffmpeg's `-colorspace` names): the source's tag, or the
    /// default that `conversionMatrix` assumed, so the output says what it was written with.
    public func outputMatrixTag(width: Int, height: Int) -> String {
        switch conversionMatrix(width: width, height: height) {
        case "bt709": "bt709"
        case "bt601": "smpte170m"
        default: matrix ?? "smpte170m"  // a tag the scaler knew, so the one converted with
        }
    }

    /// "pc" (full, 0–255) or "tv" (limited, 16–235): the tag, or full for the JPEG pixel formats
    /// (`yuvj420p`…) that imply it, else limited as every player assumes.
    public func conversionRange(pixelFormat: String) -> String {
        if let range, range == "pc" || range == "tv" { return range }
        return pixelFormat.hasPrefix("yuvj") ? "pc" : "tv"
    }

    /// Whether the transfer is an HDR one (PQ, HLG).
    public var isHDR: Bool { transfer == "smpte2084" || transfer == "arib-std-b67" }
}
