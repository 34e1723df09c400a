import Interpolation
import Testing

@Suite("ChunkPlan: whole shots, shared boundary frames, output frames split exactly")
struct ChunkPlanTests {
    @Test("chunks end at cuts and every maxSourceFrames steps; boundaries shared; output ranges tile the whole output",
          arguments: [(Rational(24), Timeline.Target.multiply(2)), (Rational(24000, 1001), .rate(Rational(60))), (Rational(30), .rate(Rational(24)))])
    func tiling(rate: Rational, target: Timeline.Target) {
        let timeline = Timeline(sourceRate: rate, target: target)
        let plan = ChunkPlan(sourceFrames: 100, cuts: [9, 40, 41, 98], maxSourceFrames: 25, timeline: timeline)
        let chunks = plan.chunks
        #expect(chunks.first?.first == 0 && chunks.last?.last == 99)
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            #expect(a.last == b.first, "boundary frame shared")
            #expect(a.outputEnd == b.outputStart, "output ranges contiguous")
        }
        #expect(chunks.last?.outputEnd == timeline.outputFrameCount(sourceFrames: 100))
        #expect(chunks.allSatisfy { $0.last - $0.first <= 25 })
        // A cut pair i → i+1 ends a chunk at i+1, so the next shot starts its own chunk.
        let starts = Set(chunks.map(\.first))
        #expect(starts.isSuperset(of: [10, 41, 42]) && !starts.contains(99), "\(chunks.map(\.first))")
        // Every output frame's pair lies in its chunk.
        for chunk in chunks {
            for k in chunk.outputStart..<chunk.outputEnd {
                let sample = timeline.sample(k, sourceFrames: 100)
                #expect(sample.index >= chunk.first && (sample.index < chunk.last || (chunk.last == 99 && sample.index == 99)), "frame \(k) in \(chunk)")
            }
        }
    }

    @Test("no cuts and a short clip: one chunk holding everything")
    func single() {
        let timeline = Timeline(sourceRate: Rational(25), target: .multiply(4))
        #expect(ChunkPlan(sourceFrames: 10, cuts: [], maxSourceFrames: 100, timeline: timeline).chunks
                == [ChunkPlan.Chunk(first: 0, last: 9, outputStart: 0, outputEnd: 40)])
    }
}
