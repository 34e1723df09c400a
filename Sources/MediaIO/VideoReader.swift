public import Foundation
public import TensorCore

/// Decodes a video's frames as 8-bit RGB images, in order, through `ffmpeg … -f rawvideo -pix_fmt rgb24 -`.
///
/// Frames come out exactly as the stream stores them (`-fps_mode passthrough`: ffmpeg neither
/// drops nor duplicates any), rotated for display. A corrupt stream stops the decode
/// (`-xerror`) and is reported with the frame it failed at, instead of being concealed and
/// silently interpolated.
public final class VideoReader {
    public let url: URL
    public let info: VideoInfo
    /// 1: frames decoded as rgb24; 2: as rgb48le (sources deeper than 8 bits, when asked for).
    public let bytesPerComponent: Int
    private let child: ChildProcess
    private var assembler: FrameAssembler
    private var ready: [[UInt8]] = []
    private var finished = false
    /// Frames handed out so far.
    public private(set) var framesRead = 0

    /// - Parameter deep: decode a source deeper than 8 bits at 16 bits per component (read with
    ///   `nextTensor`); 8-bit sources are decoded at 8 bits either way.
    public convenience init(url: URL, info: VideoInfo, deep: Bool = false) throws {
        try self.init(input: .file(url), info: info, deep: deep)
    }

    public init(input: MediaInput, info: VideoInfo, deep: Bool = false) throws {
        self.url = input.url
        self.info = info
        bytesPerComponent = deep && info.bitDepth > 8 ? 2 : 1
        assembler = FrameAssembler(frameSize: info.width * info.height * 3 * bytesPerComponent)
        child = try ChildProcess(tool: "ffmpeg", arguments: [
            "-nostdin", "-hide_banner", "-v", "error", "-xerror"] + input.arguments + [
            "-map", "0:\(info.streamIndex)", "-an", "-sn", "-dn", "-fps_mode", "passthrough",
            // The source's own matrix and range (or a player's default), never ffmpeg's BT.601 guess
            // for untagged HD; the writer converts back with the same pair (`VideoColor`).
            "-vf", "scale=in_color_matrix=\(info.color.conversionMatrix(width: info.width, height: info.height))"
                + ":in_range=\(info.color.conversionRange(pixelFormat: info.pixelFormat))",
            "-f", "rawvideo", "-pix_fmt", bytesPerComponent == 2 ? "rgb48le" : "rgb24", "-",
        ], reading: input, output: true, relay: true)
    }

    deinit { child.kill() }

    /// The next frame, or nil at the end. Throws when ffmpeg fails or the stream ends inside a frame.
    /// 8-bit decoding only (`deep: false`, or an 8-bit source).
    public func next() throws -> RGBImage? {
        precondition(bytesPerComponent == 1, "a 16-bit decode is read with nextTensor()")
        guard let bytes = try nextBytes() else { return nil }
        return RGBImage(width: info.width, height: info.height, pixels: bytes)
    }

    /// The next frame as a [1, 3, H, W] tensor in [0, 1] (`u8 / 255`, or `u16 / 65535`), or nil at the end.
    public func nextTensor() throws -> Tensor? {
        guard let bytes = try nextBytes() else { return nil }
        if bytesPerComponent == 1 { return RGBImage(width: info.width, height: info.height, pixels: bytes).tensor }
        let plane = info.width * info.height
        var scalars = [Float](repeating: 0, count: 3 * plane)
        bytes.withUnsafeBytes { raw in
            for i in 0..<plane {
                for ch in 0..<3 {
                    let at = (i * 3 + ch) * 2
                    scalars[ch * plane + i] = Float(UInt16(raw[at]) | UInt16(raw[at + 1]) << 8) / 65535
                }
            }
        }
        return Tensor(shape: [1, 3, info.height, info.width], scalars: scalars)
    }

    private func nextBytes() throws -> [UInt8]? {
        while ready.isEmpty && !finished {
            let chunk: Data?
            do { chunk = try child.output!.fileHandleForReading.read(upToCount: 1 << 20) } catch {
                child.kill()
                throw MediaError("\(url.path): reading decoded frames failed (\(error))")
            }
            if let chunk, !chunk.isEmpty {
                ready.append(contentsOf: assembler.append(chunk))
            } else {
                finished = true
                let status = child.wait()
                guard status == 0 else {
                    throw MediaError("\(url.path): decoding failed after frame \(framesRead + ready.count): \(child.lastErrorLine)")
                }
                do { try assembler.finish() } catch let e as MediaError {
                    throw MediaError("\(url.path): \(e.message)")
                }
            }
        }
        guard !ready.isEmpty else { return nil }
        framesRead += 1
        return ready.removeFirst()
    }

    /// Stops decoding early (on failure elsewhere).
    public func cancel() { child.kill() }
}

/// How to encode the output video.
public struct EncoderSettings: Sendable, Equatable {
    /// x264 constant rate factor: 0 (lossless in YUV) … 51; 18 looks visually lossless.
    public var crf: Int = 18
    /// x264 preset: ultrafast … veryslow.
    public var preset: String = "medium"
    /// The codec; nil: `VideoCodec.defaultCodec` for the container and source.
    public var codec: VideoCodec? = nil
    public init(crf: Int = 18, preset: String = "medium", codec: VideoCodec? = nil) {
        self.crf = crf
        self.preset = preset
        self.codec = codec
    }
    public static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
}

/// What the writer does with the source's audio.
public enum AudioPlan: Sendable, Equatable {
    /// Copied as it is (re-encoded only where the container cannot hold it).
    case copy
    /// Left out.
    case drop
    /// Slowed down by this factor with its pitch kept (ffmpeg's `atempo`, chained: one filter
    /// slows by at most 2×), re-encoded (AAC; Opus for WebM). Subtitles are left out: their times
    /// would no longer match.
    case slowed(Int)

    /// The `atempo` chain that slows by `factor`: 0.5 as often as it fits, then the rest (in (0.5, 1)).
    public static func tempoFilter(slowingBy factor: Int) -> String {
        precondition(factor >= 1)
        var rest = 1.0 / Double(factor)
        var steps: [String] = []
        while rest <= 0.5 + 1e-12 {
            steps.append("atempo=0.5")
            rest *= 2
        }
        if rest < 1 - 1e-12 { steps.append("atempo=" + String(format: "%.6f", rest)) }
        return steps.isEmpty ? "anull" : steps.joined(separator: ",")
    }
}

/// Encodes RGB frames (8 or 16 bits per component) with one of `VideoCodec` into MP4, MOV, MKV
/// or WebM, and copies the input's audio and subtitle streams, all in one ffmpeg process: raw RGB on
/// stdin, the source file as a second input from which only the audio and subtitle streams are mapped.
public final class VideoWriter {
    public let destination: URL
    private let child: ChildProcess
    private let frameSize: Int
    /// The codec and pixel format written.
    public let codec: VideoCodec
    public let pixelFormat: String
    /// Bytes per component on stdin: 1 (rgb24) or 2 (rgb48le).
    public let inputBytesPerComponent: Int
    /// Subtitle streams left out because the container cannot hold them (MP4/MOV take mov_text only).
    public let droppedSubtitles: [String]
    /// Audio streams (their codecs) re-encoded because the container cannot hold them as they are.
    public let transcodedAudio: [String]

    /// Audio codecs MP4 and MOV hold as they are (ffmpeg's muxer refuses PCM, Vorbis, FLAC… in MP4).
    static let mp4Audio: Set<String> = ["aac", "mp3", "alac", "ac3", "eac3", "opus"]
    static let movAudio: Set<String> = mp4Audio.union(["pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le", "pcm_u8"])
    static let webmAudio: Set<String> = ["opus", "vorbis"]

    /// The audio codecs of `info` that `container` cannot hold as they are (re-encoded: AAC, Opus for WebM).
    public static func audioNeedingTranscode(_ info: VideoInfo, container: String) -> [String] {
        guard let allowed = copyableAudio(container) else { return [] }
        return info.audioCodecs.filter { !allowed.contains($0) }
    }

    static func copyableAudio(_ container: String) -> Set<String>? {
        switch container {
        case "mp4": mp4Audio
        case "mov": movAudio
        case "webm": webmAudio
        default: nil
        }
    }

    /// Checks, before any work, that `codec` fits `container` and the frame size; nil when it does,
    /// else the reason in words.
    public static func refusal(codec: VideoCodec, container: String, width: Int, height: Int) -> String? {
        if !codec.containers.contains(container) {
            let names = codec.containers.sorted().map { $0 == "matroska" ? ".mkv" : ".\($0)" }.joined(separator: ", ")
            return "--codec \(codec.rawValue) cannot be written to .\(container == "matroska" ? "mkv" : container) (it goes in \(names))"
        }
        if codec == .av1 && (width % 2 != 0 || height % 2 != 0) {
            return "--codec av1 (SVT-AV1) takes even sizes only, and the frames are \(width)x\(height); use --codec vp9"
        }
        return nil
    }

    /// - Parameters:
    ///   - destination: the file to write (a temporary name; the caller renames it).
    ///   - container: "mp4", "mov", "matroska" or "webm".
    ///   - rate: output frame rate as numerator/denominator.
    ///   - inputBytesPerComponent: 1 for 8-bit frames (`write(_:)`), 2 for 16-bit (`write(pixels16:)`).
    ///   - source: the input whose audio and subtitles are copied, with its probe.
    public init(destination: URL, container: String, width: Int, height: Int, rate: (Int, Int),
                settings: EncoderSettings, inputBytesPerComponent: Int = 1, source: MediaInput?, sourceInfo: VideoInfo?,
                toStandardOutput: Bool = false, audio: AudioPlan = .copy) throws {
        self.destination = destination
        precondition(inputBytesPerComponent == 1 || inputBytesPerComponent == 2)
        self.inputBytesPerComponent = inputBytesPerComponent
        frameSize = width * height * 3 * inputBytesPerComponent
        let codec = settings.codec ?? VideoCodec.defaultCodec(container: container, hdr: sourceInfo?.color.isHDR ?? false)
        if let reason = Self.refusal(codec: codec, container: container, width: width, height: height) { throw MediaError(reason) }
        self.codec = codec
        pixelFormat = codec.pixelFormat(depth: sourceInfo?.bitDepth ?? 8, width: width, height: height)
        var arguments = [
            "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", inputBytesPerComponent == 2 ? "rgb48le" : "rgb24",
            "-s", "\(width)x\(height)", "-framerate", "\(rate.0)/\(rate.1)",
        ]
        // The video starts as far into the file as the source's did, so copied audio stays in sync
        // (slowed audio starts that much later too).
        let slowing = if case .slowed(let factor) = audio { factor } else { 1 }
        if let offset = sourceInfo?.videoStartOffset, offset > 0, source != nil, audio != .drop {
            arguments += ["-itsoffset", String(format: "%.6f", offset * Double(slowing))]
        }
        arguments += ["-i", "-"]
        var dropped: [String] = []
        var maps = ["-map", "0:v:0"]
        var audioCodecs = ["-c:a", "copy"]
        var transcoded: [String] = []
        // A sequence has no audio or subtitles; a pipe cannot be read a second time for them; y4m holds video only.
        if let source, let sourceInfo, !source.isSequence, !source.isPipe, container != "yuv4mpegpipe" {
            arguments += source.arguments
            if sourceInfo.hasAudio && audio != .drop { maps += ["-map", "1:a"] }
            if case .slowed = audio {
                audioCodecs = container == "webm" ? ["-c:a", "libopus", "-b:a", "160k"] : ["-c:a", "aac", "-b:a", "192k"]
                audioCodecs += ["-filter:a", AudioPlan.tempoFilter(slowingBy: slowing)]
            } else if audio == .copy {
                transcoded = Self.audioNeedingTranscode(sourceInfo, container: container)
            }
            if audio == .copy, let copyable = Self.copyableAudio(container) {
                for (i, codec) in sourceInfo.audioCodecs.enumerated() where !copyable.contains(codec) {
                    audioCodecs += container == "webm" ? ["-c:a:\(i)", "libopus", "-b:a:\(i)", "160k"] : ["-c:a:\(i)", "aac", "-b:a:\(i)", "192k"]
                }
            }
            for s in sourceInfo.subtitleStreams {
                if audio != .copy { dropped.append(s.codec); continue }
                let fits = switch container {
                case "matroska": true
                case "webm": s.codec == "webvtt"
                default: s.codec == "mov_text"
                }
                if fits { maps += ["-map", "1:\(s.index)"] } else { dropped.append(s.codec) }
            }
            maps += ["-map_metadata", "1"]
        }
        // y4m takes the muxer's own default encoder: wrapped_avframe in ffmpeg 5, rawvideo from 6 on.
        arguments += maps + (container == "yuv4mpegpipe" ? [] : ["-c:v", codec.encoder])
        arguments += codec.qualityArguments(settings, container: container, sourceInfo: sourceInfo)
        arguments += ["-pix_fmt", pixelFormat]
        arguments += Self.colorArguments(sourceInfo, width: width, height: height)
        arguments += audioCodecs + ["-c:s", "copy"]
        if container == "mp4" || container == "mov" { arguments += ["-movflags", "+faststart"] }
        arguments += ["-f", container, toStandardOutput ? "pipe:1" : destination.path]
        droppedSubtitles = dropped
        transcodedAudio = transcoded
        child = try ChildProcess(tool: "ffmpeg", arguments: arguments, input: true, output: false, inheritOutput: toStandardOutput)
    }

    deinit { child.kill() }

    /// The RGB → YUV conversion with the matrix and range the frames were decoded with, the
    /// output's colour tags (the source's, or the defaults the conversion assumed), and its pixel
    /// shape. Without a source: BT.601 (BT.709 for HD) limited range, tagged as such.
    static func colorArguments(_ info: VideoInfo?, width: Int, height: Int) -> [String] {
        let color = info?.color ?? VideoColor()
        let range = color.conversionRange(pixelFormat: info?.pixelFormat ?? "")
        var filter = "scale=out_color_matrix=\(color.conversionMatrix(width: width, height: height)):out_range=\(range)"
        if let sar = info?.sampleAspectRatio { filter += ",setsar=\(sar.width)/\(sar.height)" }
        var arguments = ["-vf", filter, "-colorspace", color.outputMatrixTag(width: width, height: height), "-color_range", range]
        if let primaries = color.primaries { arguments += ["-color_primaries", primaries] }
        if let transfer = color.transfer { arguments += ["-color_trc", transfer] }
        if let location = color.chromaLocation { arguments += ["-chroma_sample_location", location] }
        return arguments
    }

    /// Sends one frame to the encoder.
    public func write(_ image: RGBImage) throws {
        precondition(image.pixels.count == frameSize, "frame size changed")
        do { try child.input!.fileHandleForWriting.write(contentsOf: image.pixels) } catch {
            // The encoder quit (bad stream mapping, disk full…): its stderr says why.
            child.kill()
            _ = child.wait()
            throw MediaError("\(destination.path): encoding failed: \(child.lastErrorLine)")
        }
    }

    /// Sends one 16-bit frame (interleaved RGB, `width × height × 3` values) to the encoder.
    public func write(pixels16: [UInt16]) throws {
        precondition(inputBytesPerComponent == 2 && pixels16.count * 2 == frameSize, "frame size changed")
        let bytes = pixels16.withUnsafeBytes { Data($0) }  // little-endian, as rgb48le
        do { try child.input!.fileHandleForWriting.write(contentsOf: bytes) } catch {
            child.kill()
            _ = child.wait()
            throw MediaError("\(destination.path): encoding failed: \(child.lastErrorLine)")
        }
    }

    /// Ends the stream and waits for the file to be complete.
    public func finish() throws {
        try? child.input!.fileHandleForWriting.close()
        let status = child.wait()
        guard status == 0 else { throw MediaError("\(destination.path): encoding failed: \(child.lastErrorLine)") }
    }

    /// Stops encoding (on failure elsewhere); the caller removes the file.
    public func cancel() { child.kill() }
}

/// Writes frames as numbered PNG files `000001.png`, `000002.png`, … in a directory (lossless).
public struct PNGSequenceWriter {
    public let directory: URL
    public private(set) var count = 0
    public init(directory: URL) { self.directory = directory }

    public mutating func write(_ image: RGBImage) throws {
        count += 1
        let name = String(format: "%06d.png", count)
        // The folder is a staging folder (`StagedOutput`), so each frame is written in place.
        do { try PNG.encode(image, to: directory.appendingPathComponent(name)) } catch let e as ImageError {
            throw MediaError(e.message)
        }
    }

    /// A 16-bit frame (interleaved RGB values), as a 16-bit PNG.
    public mutating func write(pixels16: [UInt16], width: Int, height: Int) throws {
        count += 1
        let name = String(format: "%06d.png", count)
        do { try PNG.encode16(pixels16, width: width, height: height, to: directory.appendingPathComponent(name)) } catch let e as ImageError {
            throw MediaError(e.message)
        }
    }
}
