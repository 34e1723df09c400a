public import Foundation
public import TensorCore

/// Reads PyTorch `torch.save` state dicts of float32 tensors without Python or torch.
///
/// Two container formats are supported, detected from the first bytes:
/// * the **zip** format (torch ≥ 1.6): a STORED zip holding `<top>/data.pkl` and one raw
///   little-endian storage per tensor in `<top>/data/<key>`;
/// * the **legacy** format (torch < 1.6): five pickles back to back (magic number, protocol
///   version, sys info, the state dict, the list of storage keys) followed by each storage as
///   an `int64` element count and the raw float32 bytes, in storage-list order.
///
/// The pickles are run by a restricted interpreter (see `Pickle`) that accepts only what a
/// state dict needs, so a hostile file can make loading fail but cannot run code. Only
/// contiguous float32 tensors that exactly cover their own storage are accepted.
public enum TorchCheckpoint {
    /// Loads every tensor of a checkpoint file.
    /// - Parameter url: a `.pkl`/`.pt`/`.pth` file written by `torch.save(state_dict)`.
    /// - Returns: the tensors, named and ordered as in the state dict.
    /// - Throws: `CheckpointError` whose message starts with the file path and names the
    ///   tensor, entry or byte offset at fault.
    public static func load(contentsOf url: URL) throws -> [(name: String, tensor: Tensor)] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw CheckpointError("\(url.path): cannot read file (\(error.localizedDescription))")
        }
        do { return try parse(data) } catch let error as CheckpointError {
            throw CheckpointError("\(url.path): \(error.message)")
        }
    }

    /// Parses checkpoint bytes in either format.
    /// - Returns: the tensors, named and ordered as in the state dict.
    /// - Throws: `CheckpointError` naming the tensor, entry or byte offset at fault.
    public static func parse(_ data: Data) throws -> [(name: String, tensor: Tensor)] {
        switch Format(sniffing: data) {
        case .zip: return try parseZip(data)
        case .legacy: return try parseLegacy(data)
        case nil:
            let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw CheckpointError("not a PyTorch checkpoint: the \(data.count)-byte file starts at offset 0 with [\(head)], "
                                  + "expected a zip header (50 4b 03 04) or a legacy magic pickle (80 xx 8a 0a)")
        }
    }

    /// The container formats, as told apart by their first bytes.
    enum Format {
        case zip
        case legacy

        init?(sniffing data: Data) {
            if ZipArchive.hasSignature(data) {
                self = .zip
            } else if data.count >= 4, data[data.startIndex] == 0x80,
                      data[data.startIndex + 2] == 0x8A, data[data.startIndex + 3] == UInt8(legacyMagic.count) {
                // PROTO n, then LONG1 of the 10-byte magic number. (A bare 0x80 would also match
                // safetensors files whose header length happens to end in 0x80.)
                self = .legacy
            } else {
                return nil
            }
        }
    }

    // MARK: - Zip format

    static func parseZip(_ data: Data) throws -> [(name: String, tensor: Tensor)] {
        let archive = try ZipArchive(data)
        // The top folder is named after the file torch.save first wrote, so it varies.
        let pickles = archive.entries.filter { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && parts[1] == "data.pkl"
        }
        guard let pickleEntry = pickles.first, pickles.count == 1 else {
            throw CheckpointError("zip checkpoint has \(pickles.count) '<folder>/data.pkl' entries, expected 1")
        }
        let folder = String(pickleEntry.name.dropLast("data.pkl".count))

        if let byteOrder = archive.entry(named: folder + "byteorder") {
            let text = String(decoding: archive.contents(of: byteOrder), as: UTF8.self)
            guard text.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
                throw CheckpointError("entry '\(byteOrder.name)' at offset \(byteOrder.dataOffset) says byte order "
                                      + "'\(text.prefix(20))'; only little-endian checkpoints are supported")
            }
        }

        let stateDict: PickleValue
        let pickleBytes = archive.contents(of: pickleEntry)
        do {
            let (value, end) = try Pickle.load(pickleBytes)
            guard end == pickleBytes.count else {
                throw CheckpointError("\(pickleBytes.count - end) unexpected bytes after STOP at offset \(end)")
            }
            stateDict = value
        } catch let error as CheckpointError {
            throw CheckpointError("entry '\(pickleEntry.name)' (data at file offset \(pickleEntry.dataOffset)): \(error.message)")
        }

        return try tensorReferences(in: stateDict).map { name, reference in
            let key = reference.storage.key
            guard let entry = archive.entry(named: folder + "data/" + key) else {
                throw CheckpointError("tensor '\(name)' (pickle offset \(reference.pickleOffset)): storage '\(key)' "
                                      + "has no entry '\(folder)data/\(key)'")
            }
            let expectedBytes = reference.storage.elementCount * 4
            guard entry.size == expectedBytes else {
                throw CheckpointError("tensor '\(name)': entry '\(entry.name)' at offset \(entry.dataOffset) holds "
                                      + "\(entry.size) bytes, expected \(expectedBytes) for shape \(reference.shape)")
            }
            let scalars = floats(in: data, at: entry.dataOffset, count: reference.storage.elementCount)
            return (name, Tensor(shape: reference.shape, scalars: scalars))
        }
    }

    // MARK: - Legacy format

    /// `0x1950a86a20f9469cfc6c` (torch's `MAGIC_NUMBER`) as LONG1 writes it, least significant byte first.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    /// torch's legacy `PROTOCOL_VERSION`.
    static let legacyProtocolVersion = 1001

    static func parseLegacy(_ data: Data) throws -> [(name: String, tensor: Tensor)] {
        // Runs the pickle at `offset`, naming it in any error.
        func pickle(_ what: String, at offset: Int) throws -> (value: PickleValue, end: Int) {
            do { return try Pickle.load(data, from: offset) } catch let error as CheckpointError {
                throw CheckpointError("legacy checkpoint: \(what) pickle at offset \(offset): \(error.message)")
            }
        }
        let (magic, afterMagic) = try pickle("magic number", at: 0)
        guard magic == .bigInt(legacyMagic) else {
            throw CheckpointError("legacy checkpoint: first pickle at offset 0 is \(magic.summary), not torch's magic number")
        }
        let (version, afterVersion) = try pickle("protocol version", at: afterMagic)
        guard version == .int(legacyProtocolVersion) else {
            throw CheckpointError("legacy checkpoint: protocol version at offset \(afterMagic) is \(version.summary), "
                                  + "expected \(legacyProtocolVersion)")
        }
        let (sysInfo, afterSysInfo) = try pickle("sys_info", at: afterVersion)
        guard case .dict(let info) = sysInfo else {
            throw CheckpointError("legacy checkpoint: sys_info at offset \(afterVersion) is a \(sysInfo.summary), not a dict")
        }
        if let littleEndian = info["little_endian"], littleEndian != .bool(true) {
            throw CheckpointError("legacy checkpoint: sys_info at offset \(afterVersion) has little_endian = "
                                  + "\(littleEndian.summary); only little-endian checkpoints are supported")
        }
        let (stateDict, afterStateDict) = try pickle("state dict", at: afterSysInfo)
        let references = try tensorReferences(in: stateDict)
        let (keyList, storagesStart) = try pickle("storage key list", at: afterStateDict)
        let keys = try storageKeys(keyList, at: afterStateDict)

        // The storages follow in key-list order, each an int64 element count and the floats.
        // Nothing is aligned, so every value is read bytewise or copied.
        let reader = LittleEndianReader(data)
        var storages: [String: (offset: Int, count: Int)] = [:]
        var cursor = storagesStart
        for key in keys {
            guard let rawCount = reader.uint64(at: cursor) else {
                throw CheckpointError("legacy checkpoint: storage '\(key)' header at offset \(cursor) is truncated "
                                      + "(file is \(data.count) bytes)")
            }
            let available = (data.count - cursor - 8) / 4
            guard rawCount <= UInt64(available) else {
                throw CheckpointError("legacy checkpoint: storage '\(key)' at offset \(cursor) declares \(Int64(bitPattern: rawCount)) "
                                      + "floats but only \(available) fit in the rest of the file")
            }
            storages[key] = (cursor + 8, Int(rawCount))
            cursor += 8 + Int(rawCount) * 4
        }
        guard cursor == data.count else {
            throw CheckpointError("legacy checkpoint: \(data.count - cursor) unexpected bytes after the last storage at offset \(cursor)")
        }

        return try references.map { name, reference in
            let key = reference.storage.key
            guard let storage = storages[key] else {
                throw CheckpointError("tensor '\(name)' (pickle offset \(reference.pickleOffset)): storage '\(key)' "
                                      + "is not in the storage list at offset \(afterStateDict)")
            }
            guard storage.count == reference.storage.elementCount else {
                throw CheckpointError("tensor '\(name)': storage '\(key)' at offset \(storage.offset - 8) holds "
                                      + "\(storage.count) floats, expected \(reference.storage.elementCount) for shape \(reference.shape)")
            }
            return (name, Tensor(shape: reference.shape, scalars: floats(in: data, at: storage.offset, count: storage.count)))
        }
    }

    /// The legacy format's fifth pickle: a list of distinct string keys.
    package static func storageKeys(_ value: PickleValue, at offset: Int) throws -> [String] {
        guard case .list(let list) = value else {
            throw CheckpointError("legacy checkpoint: storage key list at offset \(offset) is a \(value.summary), not a list")
        }
        var seen: Set<String> = []
        return try list.items.map { item in
            guard case .string(let key) = item else {
                throw CheckpointError("legacy checkpoint: storage key list at offset \(offset) contains a \(item.summary)")
            }
            guard seen.insert(key).inserted else {
                throw CheckpointError("legacy checkpoint: storage key '\(key)' is listed twice (list at offset \(offset))")
            }
            return key
        }
    }

    // MARK: - Shared

    /// The state dict's entries, in order; every value must be a tensor.
    package static func tensorReferences(in stateDict: PickleValue) throws -> [(name: String, reference: TensorReference)] {
        guard case .dict(let dict) = stateDict else {
            throw CheckpointError("the checkpoint's top-level object is a \(stateDict.summary), not a state dict")
        }
        return try dict.entries.map { entry in
            guard case .tensor(let reference) = entry.value else {
                throw CheckpointError("state dict entry '\(entry.key)' is a \(entry.value.summary), not a tensor")
            }
            return (entry.key, reference)
        }
    }

    /// Copies `count` little-endian float32 values starting at byte `offset` of `data`.
    /// The caller has checked that the range lies inside `data`.
    static func floats(in data: Data, at offset: Int, count: Int) -> [Float] {
        let start = data.startIndex + offset
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.copyBytes(to: UnsafeMutableRawBufferPointer(buffer), from: start..<(start + count * 4))
            initialized = count
        }
        #if _endian(big)
        return scalars.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #else
        return scalars
        #endif
    }
}
