/// How a long video is split for many workers: into chunks of whole shots, as chunked encoders do
/// (av1an, Netflix's): a chunk ends at a scene cut, and a shot longer than `maxSourceFrames` is cut
/// further. Neighbouring chunks share their boundary source frame — chunk A covers source frames
/// `s…b`, chunk B `b…e` — so every pair of consecutive frames belongs to exactly one chunk and no
/// pair is lost; each chunk makes the output frames whose source position lies in `[first, last)`
/// (the last chunk also the tail up to the output's length), so the chunks' outputs, concatenated,
/// are the frames one uninterrupted run makes.
public struct ChunkPlan: Sendable, Equatable {
    public struct Chunk: Sendable, Equatable {
        /// Source frames `first…last` (0-based, inclusive; `last` is shared with the next chunk).
        public var first: Int
        public var last: Int
        /// Output frames `outputStart..<outputEnd` (0-based, in the whole output).
        public var outputStart: Int
        public var outputEnd: Int
        public var outputFrames: Int { outputEnd - outputStart }
        public init(first: Int, last: Int, outputStart: Int, outputEnd: Int) {
            self.first = first
            self.last = last
            self.outputStart = outputStart
            self.outputEnd = outputEnd
        }
    }

    public let chunks: [Chunk]

    /// - Parameters:
    ///   - sourceFrames: frames in the source (≥ 2).
    ///   - cuts: pairs detected as scene cuts, by their first frame (`i` for the pair i → i+1).
    ///   - maxSourceFrames: the longest chunk in source frame steps (≥ 1).
    ///   - timeline: where output frames come from.
    public init(sourceFrames: Int, cuts: [Int], maxSourceFrames: Int, timeline: Timeline) {
        precondition(sourceFrames >= 2 && maxSourceFrames >= 1)
        // Chunk boundaries: after every cut pair (its second frame starts the next shot), and every
        // maxSourceFrames steps within a shot.
        var boundaries = [0]
        let cutEnds = Set(cuts.map { $0 + 1 }.filter { $0 > 0 && $0 < sourceFrames - 1 })
        var start = 0
        for frame in 1..<sourceFrames - 1 where cutEnds.contains(frame) || frame - start >= maxSourceFrames {
            boundaries.append(frame)
            start = frame
        }
        boundaries.append(sourceFrames - 1)

        let total = timeline.outputFrameCount(sourceFrames: sourceFrames)
        var chunks: [Chunk] = []
        var k = 0
        for (first, last) in zip(boundaries, boundaries.dropFirst()) {
            let begin = k
            let isLast = last == sourceFrames - 1
            while k < total && (isLast || timeline.position(k) < Rational(last)) { k += 1 }
            chunks.append(Chunk(first: first, last: last, outputStart: begin, outputEnd: k))
        }
        self.chunks = chunks
    }
}
