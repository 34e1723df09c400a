public import Foundation
public import TensorCore

/// Reads and writes the safetensors format: an 8-byte little-endian header length,
/// a JSON header mapping names to `{dtype, shape, data_offsets}` (plus an optional
/// `__metadata__` map of strings), then the raw little-endian tensor bytes.
/// Only `F32` tensors are supported; anything else is rejected with the tensor named.
public enum SafeTensors {
    /// The tensors and metadata of one file.
    public struct Contents: Sendable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]
        public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    /// The largest header we accept (the format's reference implementation uses 100 MB).
    static let maxHeaderBytes = 100_000_000

    /// Reads a safetensors file.
    /// - Parameter url: the file.
    /// - Throws: `CheckpointError` naming the offset or tensor at fault.
    public static func read(contentsOf url: URL) throws -> Contents {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw CheckpointError("\(url.path): cannot read file (\(error.localizedDescription))")
        }
        do { return try parse(data) } catch let e as CheckpointError {
            throw CheckpointError("\(url.path): \(e.message)")
        }
    }

    /// Parses safetensors bytes.
    public static func parse(_ data: Data) throws -> Contents {
        guard data.count >= 8 else { throw CheckpointError("truncated: \(data.count) bytes, header length needs 8") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(maxHeaderBytes), 8 + Int(headerLength) <= data.count else {
            throw CheckpointError("header length \(headerLength) at offset 0 exceeds the file size \(data.count)")
        }
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(headerLength)))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw CheckpointError("header at offset 8 is not a JSON object")
        }
        let body = data.startIndex + 8 + Int(headerLength)
        let bodyCount = data.count - 8 - Int(headerLength)
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw CheckpointError("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw CheckpointError("__metadata__[\(k)] is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any],
                  let offsetsAny = entry["data_offsets"] as? [Any], offsetsAny.count == 2
            else { throw CheckpointError("tensor '\(name)': malformed header entry") }
            guard dtype == "F32" else { throw CheckpointError("tensor '\(name)': dtype \(dtype) is not supported (F32 only)") }
            let shape = try shapeAny.map { item -> Int in
                guard let d = jsonInteger(item), d >= 0, d < Int(Int32.max) else {
                    throw CheckpointError("tensor '\(name)': bad dimension \(item)")
                }
                return d
            }
            guard let begin = jsonInteger(offsetsAny[0]), let end = jsonInteger(offsetsAny[1]),
                  begin >= 0, end >= begin, end <= bodyCount
            else { throw CheckpointError("tensor '\(name)': data_offsets \(offsetsAny) outside the \(bodyCount)-byte body") }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d); return (r.partialValue, acc.1 || r.overflow)
            }
            // Compare element counts, not byte counts: `count * 4` could overflow for a hostile shape.
            guard !overflow, (end - begin) % 4 == 0, count == (end - begin) / 4 else {
                throw CheckpointError("tensor '\(name)': shape \(shape) does not match the \(end - begin) bytes "
                                      + "of data_offsets [\(begin), \(end)]")
            }
            var scalars = [Float](repeating: 0, count: count)
            scalars.withUnsafeMutableBytes { dst in
                _ = data.copyBytes(to: dst, from: (body + begin)..<(body + end))
            }
            #if _endian(big)
            scalars = scalars.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
            #endif
            tensors[name] = Tensor(shape: shape, scalars: scalars)
            ranges.append((begin, end, name))
        }
        // As the format requires, the tensors must tile the body exactly: no gaps, no overlaps.
        var expectedBegin = 0
        for range in ranges.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard range.begin == expectedBegin else {
                throw CheckpointError("tensor '\(range.name)': data_offsets start at \(range.begin), expected \(expectedBegin) "
                                      + "(tensors must cover the body without gaps or overlaps)")
            }
            expectedBegin = range.end
        }
        guard expectedBegin == bodyCount else {
            throw CheckpointError("tensors end at body offset \(expectedBegin) but the body has \(bodyCount) bytes")
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// A JSON integer as `Int`; nil for booleans, fractions, and values out of `Int` range.
    /// (`NSNumber.intValue` would silently turn `true` into 1 and 1e30 into garbage.)
    static func jsonInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "q", "l", "i", "s": return number.intValue  // signed integer storage: exact
        default: return nil  // "c" is a JSON boolean; "d"/"Q" and decimals are fractions or out of range
        }
    }

    /// Serialises tensors (sorted by name, 8-byte aligned header) to safetensors bytes.
    public static func serialize(_ contents: Contents) -> Data {
        var header: [String: Any] = [:]
        if !contents.metadata.isEmpty { header["__metadata__"] = contents.metadata }
        let sorted = contents.tensors.sorted { $0.key < $1.key }
        var offset = 0
        for (name, t) in sorted {
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]] as [String: Any]
            offset += t.count * 4
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while (8 + json.count) % 8 != 0 { json.append(0x20) }  // pad with spaces so the body is aligned
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in sorted {
            #if _endian(big)
            t.scalars.map { $0.bitPattern.littleEndian }.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            t.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
            #endif
        }
        return out
    }

    /// Writes `contents` to `url` atomically (temporary file, then rename).
    public static func write(_ contents: Contents, to url: URL) throws {
        do { try serialize(contents).write(to: url, options: .atomic) } catch {
            throw CheckpointError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
