package import Foundation

/// A minimal read-only ZIP reader for archives whose entries are all STORED (uncompressed),
/// which is how `torch.save` writes its zip checkpoint format.
///
/// Everything is taken from the central directory: torch sets general-purpose flag bit 3, so
/// the local headers carry zero CRC and sizes (the real values follow the data in a data
/// descriptor). A local header is only read to learn where its entry's data begins, because
/// its extra field (torch's `FB` padding) differs from the central directory's.
///
/// Every offset and length is checked against the file before use; failures throw
/// `CheckpointError` naming the entry and the offset at fault. Every entry's CRC-32 is checked
/// against the central directory's, as Python's zipfile does: a flipped bit in a tensor is an error,
/// not a different network.
package struct ZipArchive {
    /// One member of the archive.
    package struct Entry: Sendable, Equatable {
        /// The path inside the archive, e.g. `flownet_converted/data/0`.
        package let name: String
        /// Where the entry's local file header starts.
        package let localHeaderOffset: Int
        /// Where the entry's bytes start (after the local header, its name and its extra field).
        package let dataOffset: Int
        /// The entry's length in bytes.
        package let size: Int
        /// Its CRC-32 as the central directory records it (checked when the archive is opened).
        package let crc32: UInt32
    }

    /// The whole archive.
    package let data: Data
    /// The entries in central-directory order.
    package let entries: [Entry]
    private let indexByName: [String: Int]

    // Record signatures (little-endian "PK.." words).
    package static let localHeaderSignature: UInt32 = 0x0403_4B50
    package static let centralHeaderSignature: UInt32 = 0x0201_4B50
    package static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
    package static let zip64EndOfCentralDirectorySignature: UInt32 = 0x0606_4B50
    package static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    // Fixed record sizes.
    package static let localHeaderSize = 30
    package static let centralHeaderSize = 46
    package static let endOfCentralDirectorySize = 22
    package static let zip64LocatorSize = 20
    package static let zip64EndOfCentralDirectorySize = 56

    /// Parses the directory of `data`.
    /// - Throws: `CheckpointError` if the archive is truncated, inconsistent, multi-disk,
    ///   encrypted or has a compressed entry.
    package init(_ data: Data) throws {
        let reader = LittleEndianReader(data)
        let directory = try Self.locateCentralDirectory(reader)
        var entries: [Entry] = []
        var indexByName: [String: Int] = [:]
        // Each central header is at least 46 bytes, so a bogus count cannot make us allocate much.
        entries.reserveCapacity(min(directory.entryCount, directory.size / Self.centralHeaderSize))
        var offset = directory.offset
        let directoryEnd = directory.offset + directory.size
        for index in 0..<directory.entryCount {
            let (entry, next) = try Self.readEntry(reader, centralHeaderAt: offset, index: index, directoryEnd: directoryEnd)
            guard indexByName[entry.name] == nil else {
                throw CheckpointError("zip: duplicate entry '\(entry.name)' at offset \(offset)")
            }
            indexByName[entry.name] = entries.count
            entries.append(entry)
            offset = next
        }
        guard offset == directoryEnd else {
            throw CheckpointError("zip: central directory at offset \(directory.offset) declares \(directory.size) bytes "
                                  + "but its \(directory.entryCount) entries end at offset \(offset)")
        }
        self.data = data
        self.entries = entries
        self.indexByName = indexByName
    }

    /// Whether `data` starts like a ZIP archive (a local file header).
    package static func hasSignature(_ data: Data) -> Bool {
        LittleEndianReader(data).uint32(at: 0) == localHeaderSignature
    }

    /// The entry called `name`, if any.
    package func entry(named name: String) -> Entry? {
        indexByName[name].map { entries[$0] }
    }

    /// A copy of the bytes of `entry` (indices start at 0). `entry` must come from this archive,
    /// whose initializer checked that its range lies inside the file.
    package func contents(of entry: Entry) -> Data {
        let start = data.startIndex + entry.dataOffset
        return Data(data[start..<(start + entry.size)])
    }

    // MARK: - Directory location

    private struct CentralDirectory {
        var offset: Int
        var size: Int
        var entryCount: Int
    }

    /// Finds the end-of-central-directory record (and its ZIP64 twin, when a locator precedes it)
    /// and returns where the central directory lies.
    private static func locateCentralDirectory(_ reader: LittleEndianReader) throws -> CentralDirectory {
        let fileSize = reader.count
        guard fileSize >= endOfCentralDirectorySize else {
            throw CheckpointError("zip: file truncated at offset \(fileSize), too short for an end-of-central-directory record")
        }
        // The record is the last thing in the file, followed only by its comment (≤ 65,535 bytes).
        // Requiring the comment to end exactly at end of file rejects truncated archives and stray
        // signature bytes inside data.
        var eocd: Int?
        let lowest = max(0, fileSize - endOfCentralDirectorySize - 0xFFFF)
        var candidate = fileSize - endOfCentralDirectorySize
        while candidate >= lowest {
            if reader.uint32(at: candidate) == endOfCentralDirectorySignature,
               let commentLength = reader.uint16(at: candidate + 20),
               candidate + endOfCentralDirectorySize + Int(commentLength) == fileSize {
                eocd = candidate
                break
            }
            candidate -= 1
        }
        guard let eocd else {
            throw CheckpointError("zip: no end-of-central-directory record between offset \(lowest) and the end "
                                  + "of the \(fileSize)-byte file (truncated?)")
        }
        let field = FieldReader(reader: reader, base: eocd, record: "end-of-central-directory record")
        let disk = try field.uint16(4), directoryDisk = try field.uint16(6)
        let entriesOnDisk = try field.uint16(8), totalEntries = try field.uint16(10)
        let size32 = try field.uint32(12), offset32 = try field.uint32(16)
        guard disk == 0 || disk == 0xFFFF, directoryDisk == 0 || directoryDisk == 0xFFFF, entriesOnDisk == totalEntries else {
            throw CheckpointError("zip: multi-disk archives are not supported (record at offset \(eocd))")
        }
        var directory = CentralDirectory(offset: Int(offset32), size: Int(size32), entryCount: Int(totalEntries))
        var recordStart = eocd  // the central directory must end before the first end record

        // A ZIP64 locator sits immediately before the end record. When present (torch always
        // writes one) its record holds the authoritative 64-bit values.
        let locator = eocd - zip64LocatorSize
        if locator >= 0, reader.uint32(at: locator) == zip64LocatorSignature {
            let locatorField = FieldReader(reader: reader, base: locator, record: "ZIP64 locator")
            let recordOffset = try locatorField.int64(8)
            guard try locatorField.uint32(4) == 0, try locatorField.uint32(16) <= 1 else {
                throw CheckpointError("zip: multi-disk archives are not supported (ZIP64 locator at offset \(locator))")
            }
            guard recordOffset >= 0, recordOffset <= locator - zip64EndOfCentralDirectorySize else {
                throw CheckpointError("zip: ZIP64 locator at offset \(locator) points to offset \(recordOffset), "
                                      + "outside the file before it")
            }
            let record = FieldReader(reader: reader, base: recordOffset, record: "ZIP64 end-of-central-directory record")
            guard try record.uint32(0) == zip64EndOfCentralDirectorySignature else {
                throw CheckpointError("zip: no ZIP64 end-of-central-directory record at offset \(recordOffset)")
            }
            guard try record.uint32(16) == 0, try record.uint32(20) == 0,
                  try record.int64(24) == record.int64(32) else {
                throw CheckpointError("zip: multi-disk archives are not supported (ZIP64 record at offset \(recordOffset))")
            }
            directory = CentralDirectory(offset: try record.int64(48), size: try record.int64(40),
                                         entryCount: try record.int64(32))
            recordStart = recordOffset
            // The 32-bit record is redundant here; where it is not saturated it must agree.
            guard totalEntries == 0xFFFF || Int(totalEntries) == directory.entryCount,
                  size32 == 0xFFFF_FFFF || Int(size32) == directory.size,
                  offset32 == 0xFFFF_FFFF || Int(offset32) == directory.offset else {
                throw CheckpointError("zip: end-of-central-directory record at offset \(eocd) disagrees with the "
                                      + "ZIP64 record at offset \(recordOffset)")
            }
        } else if totalEntries == 0xFFFF || size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF {
            throw CheckpointError("zip: end-of-central-directory record at offset \(eocd) needs ZIP64 values "
                                  + "but no ZIP64 locator precedes it")
        }
        guard directory.offset >= 0, directory.size >= 0, directory.entryCount >= 0,
              directory.offset <= recordStart, directory.size <= recordStart - directory.offset else {
            throw CheckpointError("zip: central directory (offset \(directory.offset), \(directory.size) bytes) "
                                  + "does not fit before offset \(recordStart)")
        }
        guard directory.entryCount <= directory.size / centralHeaderSize else {
            throw CheckpointError("zip: central directory at offset \(directory.offset) is \(directory.size) bytes, "
                                  + "too small for \(directory.entryCount) entries")
        }
        return directory
    }

    // MARK: - Entries

    /// Reads the central header at `offset` and the local header it points to.
    /// - Returns: the entry and the offset of the next central header.
    private static func readEntry(
        _ reader: LittleEndianReader, centralHeaderAt offset: Int, index: Int, directoryEnd: Int
    ) throws -> (Entry, next: Int) {
        guard offset <= directoryEnd - centralHeaderSize else {
            throw CheckpointError("zip: central header #\(index) at offset \(offset) runs past the central directory end \(directoryEnd)")
        }
        let central = FieldReader(reader: reader, base: offset, record: "central header #\(index)")
        guard try central.uint32(0) == centralHeaderSignature else {
            throw CheckpointError("zip: no central header signature for entry #\(index) at offset \(offset)")
        }
        let flags = try central.uint16(8)
        let method = try central.uint16(10)
        let crc = try central.uint32(16)
        var compressedSize = Int(try central.uint32(20))
        var size = Int(try central.uint32(24))
        let nameLength = Int(try central.uint16(28))
        let extraLength = Int(try central.uint16(30))
        let commentLength = Int(try central.uint16(32))
        let disk = try central.uint16(34)
        var localHeaderOffset = Int(try central.uint32(42))

        let nameStart = offset + centralHeaderSize
        let next = nameStart + nameLength + extraLength + commentLength
        guard next <= directoryEnd else {
            throw CheckpointError("zip: central header #\(index) at offset \(offset) runs past the central directory end \(directoryEnd)")
        }
        let name = try decodeName(reader, at: nameStart, length: nameLength, what: "central header #\(index) at offset \(offset)")
        let context = "zip entry '\(name)' (central header at offset \(offset))"

        // 0xFFFFFFFF in a 32-bit field means "see the ZIP64 extra field (id 1)", which lists
        // only the saturated values, in this fixed order.
        let zip64 = try findExtraField(reader, id: 0x0001, at: nameStart + nameLength, length: extraLength, context: context)
        if let zip64 {
            var cursor = zip64.start
            func next64() throws -> Int {
                guard cursor + 8 <= zip64.end else {
                    throw CheckpointError("\(context): ZIP64 extra field at offset \(zip64.start) is too short")
                }
                let value = try FieldReader(reader: reader, base: cursor, record: context).int64(0)
                cursor += 8
                return value
            }
            if size == 0xFFFF_FFFF { size = try next64() }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try next64() }
            if localHeaderOffset == 0xFFFF_FFFF { localHeaderOffset = try next64() }
        } else if size == 0xFFFF_FFFF || compressedSize == 0xFFFF_FFFF || localHeaderOffset == 0xFFFF_FFFF {
            throw CheckpointError("\(context): saturated size or offset without a ZIP64 extra field")
        }

        guard disk == 0 || disk == 0xFFFF else {
            throw CheckpointError("\(context): entry lives on disk \(disk); multi-disk archives are not supported")
        }
        guard flags & 0x0001 == 0 else {
            throw CheckpointError("\(context): entry is encrypted")
        }
        guard method == 0 else {
            throw CheckpointError("\(context): compression method \(method) is not supported (only stored entries)")
        }
        guard compressedSize == size, size >= 0 else {
            throw CheckpointError("\(context): stored entry has compressed size \(compressedSize) but size \(size)")
        }

        // The local header: only its name and extra lengths matter (they fix where data starts).
        guard localHeaderOffset >= 0, localHeaderOffset <= reader.count - localHeaderSize else {
            throw CheckpointError("\(context): local header offset \(localHeaderOffset) is outside the \(reader.count)-byte file")
        }
        let local = FieldReader(reader: reader, base: localHeaderOffset, record: "local header of '\(name)'")
        guard try local.uint32(0) == localHeaderSignature else {
            throw CheckpointError("\(context): no local header signature at offset \(localHeaderOffset)")
        }
        guard try local.uint16(8) == method else {
            throw CheckpointError("\(context): local header at offset \(localHeaderOffset) disagrees on the compression method")
        }
        let localNameLength = Int(try local.uint16(26))
        let localExtraLength = Int(try local.uint16(28))
        let localNameStart = localHeaderOffset + localHeaderSize
        let localName = try decodeName(reader, at: localNameStart, length: localNameLength,
                                       what: "local header at offset \(localHeaderOffset)")
        guard localName == name else {
            throw CheckpointError("\(context): local header at offset \(localHeaderOffset) names '\(localName)'")
        }
        let dataOffset = localNameStart + localNameLength + localExtraLength
        guard dataOffset <= reader.count, size <= reader.count - dataOffset else {
            throw CheckpointError("\(context): \(size) data bytes at offset \(dataOffset) run past the end of the "
                                  + "\(reader.count)-byte file")
        }
        let actual = reader.data.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[dataOffset..<(dataOffset + size)])) }
        guard actual == crc else {
            throw CheckpointError("\(context): the \(size) data bytes at offset \(dataOffset) have CRC-32 "
                                  + String(format: "%08x but the directory records %08x; the file is corrupt", actual, crc))
        }
        return (Entry(name: name, localHeaderOffset: localHeaderOffset, dataOffset: dataOffset, size: size, crc32: crc), next)
    }

    /// Decodes an entry name (UTF-8: torch sets flag bit 11, and ASCII is a subset).
    private static func decodeName(_ reader: LittleEndianReader, at offset: Int, length: Int, what: String) throws -> String {
        guard let bytes = reader.bytes(at: offset, count: length) else {
            throw CheckpointError("zip: name of \(what) (\(length) bytes at offset \(offset)) runs past the end of the file")
        }
        guard let name = String(strictUTF8: bytes) else {
            throw CheckpointError("zip: name of \(what) at offset \(offset) is not valid UTF-8")
        }
        return name
    }

    /// Finds the extra-field block with `id` inside the extra area `[start, start + length)`.
    /// - Returns: the block's payload range, or nil if absent.
    private static func findExtraField(
        _ reader: LittleEndianReader, id: UInt16, at start: Int, length: Int, context: String
    ) throws -> (start: Int, end: Int)? {
        let end = start + length
        var cursor = start
        while cursor + 4 <= end {
            guard let blockID = reader.uint16(at: cursor), let blockLength = reader.uint16(at: cursor + 2) else { break }
            let payload = cursor + 4
            guard payload + Int(blockLength) <= end else {
                throw CheckpointError("\(context): extra field 0x\(String(blockID, radix: 16)) at offset \(cursor) "
                                      + "overruns its \(length)-byte extra area")
            }
            if blockID == id { return (payload, payload + Int(blockLength)) }
            cursor = payload + Int(blockLength)
        }
        return nil
    }
}

// MARK: - Byte access

/// Bounds-checked little-endian reads from `Data`, with offsets counted from the first byte
/// (so slices work). Every read returns nil rather than trapping when out of range.
package struct LittleEndianReader {
    package let data: Data
    package init(_ data: Data) { self.data = data }

    package var count: Int { data.count }

    /// The `byteCount`-byte little-endian unsigned integer at `offset`.
    package func unsigned(at offset: Int, byteCount: Int) -> UInt64? {
        guard offset >= 0, byteCount >= 0, byteCount <= 8, offset <= count - byteCount else { return nil }
        let base = data.startIndex + offset
        var value: UInt64 = 0
        for i in 0..<byteCount { value |= UInt64(data[base + i]) << (8 * UInt64(i)) }
        return value
    }

    package func uint16(at offset: Int) -> UInt16? { unsigned(at: offset, byteCount: 2).map { UInt16(truncatingIfNeeded: $0) } }
    package func uint32(at offset: Int) -> UInt32? { unsigned(at: offset, byteCount: 4).map { UInt32(truncatingIfNeeded: $0) } }
    package func uint64(at offset: Int) -> UInt64? { unsigned(at: offset, byteCount: 8) }

    /// A copy of `count` bytes at `offset`.
    package func bytes(at offset: Int, count byteCount: Int) -> [UInt8]? {
        guard offset >= 0, byteCount >= 0, offset <= count - byteCount else { return nil }
        let start = data.startIndex + offset
        return [UInt8](data[start..<(start + byteCount)])
    }
}

/// Reads the fields of one fixed-layout record, throwing with the record's name and offset
/// when the record runs past the end of the file.
private struct FieldReader {
    let reader: LittleEndianReader
    let base: Int
    let record: String

    private func truncated(_ field: Int) -> CheckpointError {
        CheckpointError("zip: \(record) at offset \(base) is truncated (field at +\(field) is past the end of the "
                        + "\(reader.count)-byte file)")
    }

    func uint16(_ field: Int) throws -> UInt16 {
        guard let value = reader.uint16(at: base + field) else { throw truncated(field) }
        return value
    }

    func uint32(_ field: Int) throws -> UInt32 {
        guard let value = reader.uint32(at: base + field) else { throw truncated(field) }
        return value
    }

    /// A 64-bit field as `Int`; values above `Int.max` are rejected rather than wrapped.
    func int64(_ field: Int) throws -> Int {
        guard let value = reader.uint64(at: base + field) else { throw truncated(field) }
        guard value <= UInt64(Int.max) else {
            throw CheckpointError("zip: \(record) at offset \(base) has an out-of-range 64-bit value \(value)")
        }
        return Int(value)
    }
}

extension String {
    /// Decodes `bytes` as UTF-8, or returns nil if they are not valid UTF-8 (instead of
    /// substituting U+FFFD, as `String(decoding:as:)` does). Valid input round-trips exactly,
    /// so comparing the re-encoded bytes detects any repair.
    init?(strictUTF8 bytes: [UInt8]) {
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.elementsEqual(bytes) else { return nil }
        self = decoded
    }
}
