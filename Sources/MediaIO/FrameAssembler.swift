import Foundation

/// Cuts a byte stream into fixed-size frames.
///
/// A pipe delivers data in chunks of whatever size the kernel chooses, unrelated to frame
/// boundaries: a chunk may hold part of a frame, several frames, or the end of one and the start
/// of the next. The assembler buffers the remainder and hands out whole frames only, so the
/// reader never sees a torn frame; `finish()` reports bytes left over at the end of the stream
/// (a truncated last frame).
public struct FrameAssembler: Sendable {
    public let frameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0  // bytes before `start` have been handed out already

    public init(frameSize: Int) {
        precondition(frameSize > 0, "frame size must be positive")
        self.frameSize = frameSize
        buffer.reserveCapacity(2 * frameSize)
    }

    /// Appends a chunk and returns the frames it completes, in order.
    public mutating func append(_ chunk: some Collection<UInt8>) -> [[UInt8]] {
        buffer.append(contentsOf: chunk)
        var frames: [[UInt8]] = []
        while buffer.count - start >= frameSize {
            frames.append(Array(buffer[start..<start + frameSize]))
            start += frameSize
        }
        // Drop consumed bytes now and then, so the buffer stays about one frame long.
        if start > 0 && (start >= frameSize || start == buffer.count) {
            buffer.removeFirst(start)
            start = 0
        }
        return frames
    }

    /// Bytes received that do not make a whole frame.
    public var pendingByteCount: Int { buffer.count - start }

    /// Ends the stream; throws when a partial frame is left over.
    public func finish() throws {
        if pendingByteCount != 0 {
            throw MediaError("stream ended inside a frame (\(pendingByteCount) of \(frameSize) bytes)")
        }
    }
}

/// A failure reading, writing or probing media; the message names the file and the reason.
public struct MediaError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
