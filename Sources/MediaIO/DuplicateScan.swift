import Foundation

/// Finds the frames of a video that repeat the picture before them (`--dedup`): anime drawn on
/// twos and threes, the copies a constant-rate conversion of a variable-rate clip inserted, a
/// frame-rate converter's held frames. Interpolating across such a copy makes motion stop and
/// start; dropping the copies and placing the distinct frames at their own times makes it even.
///
/// A frame is a repeat when its mean absolute difference (0–255, all pixels and channels) from the
/// last *kept* frame is below the threshold — the last kept, not the previous, so a slow fade whose
/// every step is below the threshold still keeps a frame whenever the change adds up. The scan is a
/// decoding pass of its own at 8 bits (the network's pass decodes again), so it needs a file, not a pipe.
public enum DuplicateScan {
    /// 0.5 of 255 sits well apart from both sides, as measured: a frame duplicated in an H.264 clip
    /// differs from its copy by 0.03 (coding noise), consecutive frames of the carphone clip and of
    /// ffmpeg's testsrc2 by more than 1.
    public static let defaultThreshold = 0.5

    /// The indices of the frames to keep (the first always is), and the number of frames decoded.
    /// - Parameter check: called between frames (throws to stop the scan: cancellation).
    public static func distinctFrames(_ input: MediaInput, info: VideoInfo, threshold: Double,
                                      check: () throws -> Void = {}) throws -> (kept: [Int], frames: Int) {
        let reader = try VideoReader(input: input, info: info, deep: false)
        defer { reader.cancel() }
        var kept: [Int] = []
        var last: RGBImage?
        var index = 0
        while let frame = try reader.next() {
            try check()
            if last.map({ RGBImage.meanAbsoluteDifference($0, frame) >= threshold }) ?? true {
                kept.append(index)
                last = frame
            }
            index += 1
        }
        return (kept, index)
    }
}
