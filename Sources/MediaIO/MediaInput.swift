public import Foundation

/// What the probe, the reader and the writer's audio mapping read: a video file, or a numbered
/// image sequence (a folder of frames, or a printf pattern such as `frames/%06d.png`) shown at a
/// given rate through ffmpeg's image2 demuxer.
public struct MediaInput: Sendable, Equatable {
    /// The file, or the folder that holds the sequence (for messages and the output-safety checks).
    public let url: URL
    /// ffmpeg's and ffprobe's input options, ending with `-i NAME`.
    public let arguments: [String]
    public let isSequence: Bool
    /// For standard input: the bytes read ahead to probe the stream (a pipe cannot be read twice,
    /// so every probe is fed these, and the decoder these and then the rest of the pipe).
    public let stdinPrefix: Data?

    public var isPipe: Bool { stdinPrefix != nil }

    init(url: URL, arguments: [String], isSequence: Bool, stdinPrefix: Data? = nil) {
        self.url = url
        self.arguments = arguments
        self.isSequence = isSequence
        self.stdinPrefix = stdinPrefix
    }

    /// Standard input before it is read (`standardInput()` reads ahead when the job runs).
    public init(pipePlaceholder url: URL) {
        self.init(url: url, arguments: ["-i", "pipe:0"], isSequence: false, stdinPrefix: Data())
    }

    public static func file(_ url: URL) -> MediaInput {
        MediaInput(url: url, arguments: ["-i", url.path], isSequence: false)
    }

    /// How much of a pipe is read ahead for the probe: enough for any header and the first frames.
    public static let pipeProbeBytes = 8 << 20

    /// Standard input (y4m, NUT or any stream ffmpeg can read from a pipe): reads up to
    /// `pipeProbeBytes` ahead now. Throws when nothing arrives.
    public static func standardInput() throws -> MediaInput {
        var prefix = Data()
        while prefix.count < pipeProbeBytes, let chunk = try? FileHandle.standardInput.read(upToCount: pipeProbeBytes - prefix.count), !chunk.isEmpty {
            prefix.append(chunk)
        }
        guard !prefix.isEmpty else { throw MediaError("standard input: empty (nothing was piped in)") }
        return MediaInput(url: URL(fileURLWithPath: "/dev/stdin"), arguments: ["-i", "pipe:0"], isSequence: false, stdinPrefix: prefix)
    }

    /// Image formats a sequence may hold.
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "webp"]

    /// A numbered sequence at `rate` ("24", "24000/1001"): `path` is a printf pattern, or a folder
    /// whose frames are named PREFIX + number + extension, numbered without gaps (ffmpeg stops at
    /// the first gap, so a gap is refused here, naming it).
    public static func sequence(_ path: String, rate: String) throws -> MediaInput {
        if path.contains("%") {
            let url = URL(fileURLWithPath: path)
            let folder = url.deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: folder.path) else { throw MediaError("\(path): no such folder \(folder.path)") }
            return MediaInput(url: folder, arguments: ["-f", "image2", "-framerate", rate, "-i", path], isSequence: true)
        }
        let folder = URL(fileURLWithPath: path)
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw MediaError("\(path): cannot list the folder (\(error.localizedDescription))")
        }
        // name → (prefix, digits, extension)
        let parsed: [(prefix: String, digits: String, ext: String)] = names.compactMap { name in
            let ext = (name as NSString).pathExtension
            guard imageExtensions.contains(ext.lowercased()) else { return nil }
            let stem = String(name.dropLast(ext.count + 1))
            let digits = String(stem.reversed().prefix { $0.isASCII && $0.isNumber }.reversed())
            guard !digits.isEmpty, digits.count <= 9 else { return nil }
            return (String(stem.dropLast(digits.count)), digits, ext)
        }
        guard let first = parsed.min(by: { ($0.prefix, Int($0.digits)!) < ($1.prefix, Int($1.digits)!) }) else {
            throw MediaError("\(path): no numbered images (e.g. 000001.png) in the folder")
        }
        let frames = parsed.filter { $0.prefix == first.prefix && $0.ext == first.ext }
        let padded = frames.allSatisfy { $0.digits.count == first.digits.count }
        let numbers = frames.map { Int($0.digits)! }.sorted()
        func name(_ n: Int) -> String { first.prefix + (padded ? String(format: "%0\(first.digits.count)d", n) : "\(n)") + "." + first.ext }
        for (a, b) in zip(numbers, numbers.dropFirst()) where b != a + 1 {
            let missing = b - a == 2 ? name(a + 1) + " is" : "\(name(a + 1)) … \(name(b - 1)) are"
            throw MediaError("\(path): the sequence has a gap: \(missing) missing (after \(name(a)))")
        }
        let pattern = first.prefix.replacingOccurrences(of: "%", with: "%%") + (padded ? "%0\(first.digits.count)d" : "%d") + "." + first.ext
        return MediaInput(url: folder, arguments: ["-f", "image2", "-framerate", rate, "-start_number", "\(numbers[0])",
                                                   "-i", folder.appendingPathComponent(pattern).path], isSequence: true)
    }
}
