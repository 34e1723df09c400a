public import Foundation
import MediaIO

/// The one HTML writer behind `tween eval --html` and the review page: a page with its pictures in
/// a folder beside it (`<name>_files/`), text escaped, the page written last and atomically.
struct HTMLPage {
    let url: URL
    /// `<name>_files`, relative to the page.
    let folderName: String
    let folder: URL
    private(set) var body = ""
    /// Every picture written, in order.
    private(set) var pictures: [URL] = []
    private let title: String
    private let style: String

    /// Creates the picture folder (so an unwritable place fails before any work).
    init(url: URL, title: String, style: String) throws {
        self.url = url
        self.title = title
        self.style = style
        folderName = url.deletingPathExtension().lastPathComponent + "_files"
        folder = url.deletingLastPathComponent().appendingPathComponent(folderName)
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw EvaluationError("\(folder.path): cannot create the thumbnail folder (\(error.localizedDescription))")
        }
    }

    /// Appends raw HTML (the caller escapes what it interpolates).
    mutating func add(_ html: String) { body += html }

    /// Writes `image` as `file` into the picture folder and shows it with `caption`.
    /// - Returns: its path relative to the page.
    @discardableResult
    mutating func figure(_ image: RGBImage, file: String, caption: String) throws -> String {
        let path = folder.appendingPathComponent(file)
        do { try PNG.write(image, to: path) } catch let error as ImageError { throw EvaluationError(error.message) }
        pictures.append(path)
        let source = "\(folderName)/\(file)"
        body += "<figure><img src=\"\(escape(source))\" alt=\"\(escape(caption))\"><figcaption>\(escape(caption))</figcaption></figure>\n"
        return source
    }

    /// Writes the page (under a staging name, renamed into place).
    func write() throws {
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 1.5em; }
            figure { display: inline-block; margin: 4px; vertical-align: top; } figcaption { font-size: 80%; }
            \(style)
            </style></head><body>
            \(body)</body></html>

            """
        do { try StagedOutput.write(Data(html.utf8), to: url) } catch {
            throw EvaluationError("\(url.path): cannot write (\(error.message))")
        }
    }
}
