import CPNGSupport
public import Foundation
public import TensorCore

/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "\(pixels.count) bytes for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// As a [1, 3, H, W] tensor with values `u8 / 255` (the reference's preprocessing,
    /// bit-identical to `float32(u8) / 255.0`).
    public var tensor: Tensor {
        let plane = width * height
        var scalars = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for ch in 0..<3 { scalars[ch * plane + i] = Float(pixels[i * 3 + ch]) / 255 }
        }
        return Tensor(shape: [1, 3, height, width], scalars: scalars)
    }

    /// Converts a [1, 3, H, W] tensor in [0, 1] to 8 bits by **rounding** `x · 255` to the nearest
    /// value (clamped), not truncating as the reference's `(x * 255).byte()` does: truncation
    /// biases every pixel down by half a step, which costs up to 0.36 dB PSNR.
    public init(tensor: Tensor) {
        precondition(tensor.rank == 4 && tensor.n == 1 && tensor.c == 3, "image tensor must be [1, 3, H, W], got \(tensor.shape)")
        let (h, w) = (tensor.h, tensor.w), plane = h * w
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for ch in 0..<3 {
                pixels[i * 3 + ch] = quantize8(tensor.scalars[ch * plane + i])
            }
        }
        self.init(width: w, height: h, pixels: pixels)
    }
}

/// A failure reading or writing an image file; the message names the file and the reason.
public struct ImageError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// PNG files through libpng.
public enum PNG {
    /// The largest width or height accepted when reading (guards against decompression bombs).
    public static let maxSide: UInt32 = 16384

    /// A PNG's width and height from its header, without inflating any pixel data (so a caller can
    /// refuse a frame too large for its memory budget before it costs anything).
    public static func dimensions(_ url: URL) throws -> (width: Int, height: Int) {
        var width: UInt32 = 0, height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 256)
        guard tween_png_read_size(url.path, maxSide, &width, &height, &message, message.count) == 0 else {
            throw ImageError("\(url.path): \(libpngMessage(message))")
        }
        return (Int(width), Int(height))
    }

    /// Reads a PNG as 8-bit RGB; palette, gray, 16-bit and alpha images are converted.
    public static func read(_ url: URL) throws -> RGBImage {
        var width: UInt32 = 0, height: UInt32 = 0
        var buffer: UnsafeMutablePointer<UInt8>?
        var message = [CChar](repeating: 0, count: 256)
        let status = tween_png_read_rgb8(url.path, maxSide, &width, &height, &buffer, &message, message.count)
        guard status == 0, let buffer else { throw ImageError("\(url.path): \(libpngMessage(message))") }
        defer { free(buffer) }
        let count = Int(width) * Int(height) * 3
        guard width > 0, height > 0 else { throw ImageError("\(url.path): empty image") }
        return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: buffer, count: count)))
    }

    /// Writes `image` to `url` atomically (through `StagedOutput`: a staging name beside it, renamed
    /// at the end), so a failed write never leaves a partial file under the final name.
    public static func write(_ image: RGBImage, to url: URL) throws {
        let staged: StagedOutput
        do { staged = try StagedOutput(url, kind: .file, inputs: [], force: true) } catch { throw ImageError(error.message) }
        try encode(image, to: staged.staging, reportedAs: url)
        do { try staged.commit() } catch { throw ImageError(error.message) }
    }

    /// Writes `image` to `path` directly, for a file that is itself a staging name (a frame inside a
    /// staged folder): no second temporary name.
    public static func encode(_ image: RGBImage, to path: URL, reportedAs shown: URL? = nil) throws {
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { p in
            tween_png_write_rgb8(path.path, UInt32(image.width), UInt32(image.height), p.baseAddress, &message, message.count)
        }
        guard status == 0 else {
            throw ImageError("\((shown ?? path).path): \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
    }
}

extension PNG {
    /// Writes interleaved 16-bit RGB (`width × height × 3` values) as a 16-bit PNG at `path`
    /// directly (a frame inside a staged folder).
    public static func encode16(_ pixels: [UInt16], width: Int, height: Int, to path: URL) throws {
        precondition(pixels.count == width * height * 3, "\(pixels.count) values for a \(width)x\(height) RGB image")
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { p in
            tween_png_write_rgb(path.path, UInt32(width), UInt32(height), 16, p.baseAddress, &message, message.count)
        }
        guard status == 0 else {
            throw ImageError("\(path.path): \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
    }
}

/// libpng's message, said plainly where it is terse ("Read Error" means the file ended early).
private func libpngMessage(_ buffer: [CChar]) -> String {
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text == "Read Error" ? "truncated PNG (a chunk runs past the end of the file)" : text
}

extension RGBImage {
    /// A [1, 3, H, W] tensor in [0, 1] as interleaved 16-bit RGB, `x · 65535` rounded to the nearest
    /// and clamped (the 16-bit twin of `init(tensor:)`; a `u16 / 65535` frame comes back exactly).
    public static func pixels16(_ tensor: Tensor) -> [UInt16] {
        let (h, w) = (tensor.shape[2], tensor.shape[3])
        let plane = h * w
        var out = [UInt16](repeating: 0, count: 3 * plane)
        tensor.scalars.withUnsafeBufferPointer { x in
            for i in 0..<plane {
                for ch in 0..<3 {
                    let v = x[ch * plane + i] * 65535
                    out[i * 3 + ch] = v.isNaN ? 0 : UInt16(min(max(v, 0), 65535).rounded())
                }
            }
        }
        return out
    }
}

extension RGBImage {
    /// Mean |a − b| over all pixels and channels, on the 0–255 scale (the duplicate-frame measure of
    /// `tween eval` and `--dedup`). The images must be the same size.
    public static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.pixels.count == b.pixels.count, "images of different sizes")
        var total = 0
        a.pixels.withUnsafeBufferPointer { p in
            b.pixels.withUnsafeBufferPointer { q in
                for i in 0..<p.count { total += abs(Int(p[i]) - Int(q[i])) }
            }
        }
        return Double(total) / Double(max(a.pixels.count, 1))
    }
}
