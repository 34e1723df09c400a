public import Foundation

/// Decodes a video's frames as 8-bit RGB images, in order, through `ffmpeg … -f rawvideo -pix_fmt rgb24 -`.
///
/// Frames come out exactly as the stream stores them (`-fps_mode passthrough`: ffmpeg neither
/// drops nor duplicates any), rotated for display. A corrupt stream stops the decode
/// (`-xerror`) and is reported with the frame it failed at, instead of being concealed and
/// silently interpolated.
public final class VideoReader {
    public let url: URL
    public let info: VideoInfo
    private let child: ChildProcess
    private var assembler: FrameAssembler
    private var ready: [[UInt8]] = []
    private var finished = false
    /// Frames handed out so far.
    public private(set) var framesRead = 0

    public init(url: URL, info: VideoInfo) throws {
        self.url = url
        self.info = info
        assembler = FrameAssembler(frameSize: info.width * info.height * 3)
        child = try ChildProcess(tool: "ffmpeg", arguments: [
            "-nostdin", "-hide_banner", "-v", "error", "-xerror", "-i", url.path,
            "-map", "0:\(info.streamIndex)", "-an", "-sn", "-dn", "-fps_mode", "passthrough",
            // The source's own matrix and range (or a player's default), never ffmpeg's BT.601 guess
            // for untagged HD; the writer converts back with the same pair (`VideoColor`).
            "-vf", "scale=in_color_matrix=\(info.color.conversionMatrix(width: info.width, height: info.height))"
                + ":in_range=\(info.color.conversionRange(pixelFormat: info.pixelFormat))",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        ], input: false, output: true)
    }

    deinit { child.kill() }

    /// The next frame, or nil at the end. Throws when ffmpeg fails or the stream ends inside a frame.
    public func next() throws -> RGBImage? {
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
        return RGBImage(width: info.width, height: info.height, pixels: ready.removeFirst())
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
    public init(crf: Int = 18, preset: String = "medium") {
        self.crf = crf
        self.preset = preset
    }
    public static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
}

/// Encodes RGB frames to H.264 (MP4, MOV or MKV) and copies the input's audio and subtitle
/// streams unchanged, all in one ffmpeg process: raw rgb24 on stdin, the source file as a second
/// input from which only the audio and subtitle streams are mapped.
public final class VideoWriter {
    public let destination: URL
    private let child: ChildProcess
    private let frameSize: Int
    /// Subtitle streams left out because the container cannot hold them (MP4/MOV take mov_text only).
    public let droppedSubtitles: [String]
    /// Audio streams (their codecs) re-encoded as AAC because the container cannot hold them as they are.
    public let transcodedAudio: [String]

    /// Audio codecs MP4 and MOV hold as they are (ffmpeg's muxer refuses PCM, Vorbis, FLAC… in MP4).
    static let mp4Audio: Set<String> = ["aac", "mp3", "alac", "ac3", "eac3", "opus"]
    static let movAudio: Set<String> = mp4Audio.union(["pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le", "pcm_u8"])

    /// The audio codecs of `info` that `container` cannot hold as they are (re-encoded as AAC).
    public static func audioNeedingTranscode(_ info: VideoInfo, container: String) -> [String] {
        switch container {
        case "mp4": info.audioCodecs.filter { !mp4Audio.contains($0) }
        case "mov": info.audioCodecs.filter { !movAudio.contains($0) }
        default: []
        }
    }

    /// - Parameters:
    ///   - destination: the file to write (a temporary name; the caller renames it).
    ///   - container: "mp4", "mov" or "matroska".
    ///   - rate: output frame rate as numerator/denominator.
    ///   - source: the input whose audio and subtitles are copied, with its probe.
    public init(destination: URL, container: String, width: Int, height: Int, rate: (Int, Int),
                settings: EncoderSettings, source: URL?, sourceInfo: VideoInfo?) throws {
        self.destination = destination
        frameSize = width * height * 3
        var arguments = [
            "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-framerate", "\(rate.0)/\(rate.1)",
        ]
        // The video starts as far into the file as the source's did, so copied audio stays in sync.
        if let offset = sourceInfo?.videoStartOffset, offset > 0, source != nil { arguments += ["-itsoffset", String(format: "%.6f", offset)] }
        arguments += ["-i", "-"]
        var dropped: [String] = []
        var maps = ["-map", "0:v:0"]
        var audioCodecs = ["-c:a", "copy"]
        var transcoded: [String] = []
        if let source, let sourceInfo {
            arguments += ["-i", source.path]
            if sourceInfo.hasAudio { maps += ["-map", "1:a"] }
            transcoded = Self.audioNeedingTranscode(sourceInfo, container: container)
            if !transcoded.isEmpty {
                let copyable = container == "mov" ? Self.movAudio : Self.mp4Audio
                for (i, codec) in sourceInfo.audioCodecs.enumerated() where !copyable.contains(codec) {
                    audioCodecs += ["-c:a:\(i)", "aac", "-b:a:\(i)", "192k"]
                }
            }
            for s in sourceInfo.subtitleStreams {
                if container == "matroska" || s.codec == "mov_text" { maps += ["-map", "1:\(s.index)"] }
                else { dropped.append(s.codec) }
            }
            maps += ["-map_metadata", "1"]
        }
        // 4:2:0 needs even sizes; odd-sized video is kept at its size in 4:4:4 rather than cropped.
        let pixelFormat = width % 2 == 0 && height % 2 == 0 ? "yuv420p" : "yuv444p"
        arguments += maps + ["-c:v", "libx264", "-preset", settings.preset, "-crf", "\(settings.crf)", "-pix_fmt", pixelFormat]
        arguments += Self.colorArguments(sourceInfo, width: width, height: height)
        arguments += audioCodecs + ["-c:s", "copy"]
        if container != "matroska" { arguments += ["-movflags", "+faststart"] }
        arguments += ["-f", container, destination.path]
        droppedSubtitles = dropped
        transcodedAudio = transcoded
        child = try ChildProcess(tool: "ffmpeg", arguments: arguments, input: true, output: false)
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
}
