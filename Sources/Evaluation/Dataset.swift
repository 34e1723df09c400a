public import Foundation

/// A problem with the evaluation's input (a dataset, a manifest, an image, weights), described in
/// one line that names the file and says what is wrong.
public struct EvaluationError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One triplet to evaluate: two input frames, the true frame between them and its time.
public struct EvaluationSample: Sendable, Equatable {
    /// A short identifier (the sample folder's name, or the manifest's `name`).
    public var name: String
    public var frame0: URL
    public var frame1: URL
    public var groundTruth: URL
    /// Time of the ground truth between frame0 (0) and frame1 (1).
    public var t: Double
    /// For a video sample (the three URLs are then the video itself): the 0-based indices of the
    /// two input frames and the ground-truth frame in decoding order.
    public var videoFrames: VideoFrames? = nil

    /// Frame numbers of a video sample.
    public struct VideoFrames: Sendable, Equatable {
        public var frame0: Int, frame1: Int, groundTruth: Int
        public init(frame0: Int, frame1: Int, groundTruth: Int) {
            self.frame0 = frame0
            self.frame1 = frame1
            self.groundTruth = groundTruth
        }
    }

    public init(name: String, frame0: URL, frame1: URL, groundTruth: URL, t: Double = 0.5, videoFrames: VideoFrames? = nil) {
        self.videoFrames = videoFrames
        self.name = name
        self.frame0 = frame0
        self.frame1 = frame1
        self.groundTruth = groundTruth
        self.t = t
    }
}

/// A set of triplets with ground truth, in one of the layouts VFI benchmarks ship.
public struct EvaluationDataset: Sendable {
    /// How the samples were laid out on disk.
    public enum Layout: String, Sendable {
        /// `NAME/frame10.png`, `NAME/frame11.png` → `NAME/frame10i11.png` (Middlebury "Other"), t = 0.5.
        case middlebury
        /// `ID/frame_00.png`, `ID/frame_02.png` → `ID/frame_01_gt.png` (the UCF101 triplets), t = 0.5.
        case ucf101
        /// A JSON file listing `{"frame0", "frame1", "gt", "t"?, "name"?}` objects; relative paths
        /// are resolved against the manifest's folder and t defaults to 0.5.
        case manifest
        /// A video, sampled by the drop-frame protocol (`Evaluator.run(video:…)`); never made by `load`.
        case video
    }

    public var location: URL
    public var layout: Layout
    /// Samples in a stable order: folders sorted by name, a manifest in its own order.
    public var samples: [EvaluationSample]

    /// Finds the layout of `path` and lists its samples.
    ///
    /// A file is read as a JSON manifest. In a folder, subfolders holding `frame10.png` make it a
    /// Middlebury set and subfolders holding `frame_00.png` a UCF101 set; every such subfolder
    /// must then hold all three files of the layout.
    /// - Throws: `EvaluationError` for a missing path, an unknown layout, a sample with a missing
    ///   file, a malformed manifest or an empty set.
    public static func load(_ path: URL) throws -> EvaluationDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw EvaluationError("\(path.path): no such file or directory")
        }
        let dataset = isDirectory.boolValue ? try folder(path) : try manifest(path)
        guard !dataset.samples.isEmpty else { throw EvaluationError("\(path.path): no samples") }
        return dataset
    }

    static let layouts: [(Layout, String, String, String)] = [
        (.middlebury, "frame10.png", "frame11.png", "frame10i11.png"),
        (.ucf101, "frame_00.png", "frame_02.png", "frame_01_gt.png"),
    ]

    static func folder(_ root: URL) throws -> EvaluationDataset {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() } catch {
            throw EvaluationError("\(root.path): cannot list the folder (\(error.localizedDescription))")
        }
        let subfolders = names.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &d) && d.boolValue
        }
        for (layout, first, second, truth) in layouts {
            let members = subfolders.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent(first).path) }
            guard !members.isEmpty else { continue }
            let samples = try members.map { name -> EvaluationSample in
                let dir = root.appendingPathComponent(name)
                for file in [second, truth] where !FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path) {
                    throw EvaluationError("\(dir.appendingPathComponent(file).path): missing (a \(layout.rawValue) sample needs \(first), \(second) and \(truth))")
                }
                return EvaluationSample(name: name, frame0: dir.appendingPathComponent(first), frame1: dir.appendingPathComponent(second),
                                        groundTruth: dir.appendingPathComponent(truth))
            }
            return EvaluationDataset(location: root, layout: layout, samples: samples)
        }
        throw EvaluationError("\(root.path): no samples found: expected NAME/frame10.png, frame11.png, frame10i11.png (Middlebury), "
                              + "ID/frame_00.png, frame_02.png, frame_01_gt.png (UCF101), or a JSON manifest file")
    }

    private struct ManifestEntry: Decodable {
        var frame0: String, frame1: String, gt: String
        var t: Double?
        var name: String?
    }

    static func manifest(_ file: URL) throws -> EvaluationDataset {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw EvaluationError("\(file.path): cannot read (\(error.localizedDescription))")
        }
        let entries: [ManifestEntry]
        do { entries = try JSONDecoder().decode([ManifestEntry].self, from: data) } catch {
            throw EvaluationError("\(file.path): not a manifest: expected a JSON list of {\"frame0\", \"frame1\", \"gt\", \"t\"} objects (\(jsonProblem(error)))")
        }
        let base = file.deletingLastPathComponent()
        let samples = try entries.enumerated().map { i, e -> EvaluationSample in
            let urls = [e.frame0, e.frame1, e.gt].map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) }
            for url in urls where !FileManager.default.fileExists(atPath: url.path) {
                throw EvaluationError("\(file.path): entry \(i): \(url.path): no such file")
            }
            let t = e.t ?? 0.5
            guard t >= 0, t <= 1 else { throw EvaluationError("\(file.path): entry \(i): t must be in [0, 1] (got \(t))") }
            return EvaluationSample(name: e.name ?? urls[2].deletingPathExtension().lastPathComponent + "#\(i)",
                                    frame0: urls[0], frame1: urls[1], groundTruth: urls[2], t: t)
        }
        return EvaluationDataset(location: file, layout: .manifest, samples: samples)
    }
}

/// A one-line account of a JSON decoding failure.
func jsonProblem(_ error: any Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        return "missing \"\(key.stringValue)\" at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        return "\(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    case DecodingError.dataCorrupted(let context):
        return context.debugDescription
    default:
        return "\(error)"
    }
}
