/// Reads the entries of a ZIP archive held in memory: stored or deflated entries, with ZIP64
/// sizes and offsets, as NumPy's `savez` and `savez_compressed` write them. Sizes, offsets and
/// CRC-32 come from the central directory; every read is bounds-checked, so a damaged file gives a
/// `CircuitFitError` naming the file (and the entry), never a crash or a huge allocation.
///
/// Decompression bombs: before anything is inflated, the sizes the directory declares must fit
/// the memory budget (`MemoryBudget`); a deflated entry is inflated a piece at a time and never
/// past its declared size, and a `.npy` entry's own header must declare that same size.
struct ZipReader {
    let bytes: [UInt8]
    /// The file's name for error messages, e.g. "dataset.npz".
    let file: String

    /// Where the central directory is and how many entries it lists.
    private struct Directory {
        var offset: Int
        var size: Int
        var entryCount: Int
    }

    /// What the central directory says about one entry.
    private struct EntryRecord {
        var name: String
        var flags: UInt16
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    /// Every entry, inflated. `decodedBytesPerByte` says how many bytes the caller will hold for
    /// each uncompressed byte once it decodes the entries (for the memory check), and `budget`
    /// is what may be used.
    func entries(decodedBytesPerByte: Int = 3, budget: MemoryBudget? = nil) throws -> [ZipEntry] {
        let directory = try findDirectory()
        var records: [EntryRecord] = []
        var cursor = directory.offset
        let end = directory.offset + directory.size
        for index in 0..<directory.entryCount {
            let (record, recordLength) = try readCentralRecord(at: cursor, end: end, index: index)
            records.append(record)
            cursor += recordLength
        }
        // Deflate expands at most 1032-fold: a larger claim is damage, not data to allocate for.
        for record in records where record.method == Zip.methodDeflated && record.uncompressedSize > MemorySize.sum(MemorySize.product(record.compressedSize, 1032), 1024) {
            throw corrupt("entry '\(record.name)' declares \(record.uncompressedSize) bytes, more than its \(record.compressedSize) compressed bytes can hold")
        }
        // What decoding every entry will hold at once, checked before anything is inflated.
        let declared = MemorySize.sum(records.map(\.uncompressedSize))
        let needed = MemorySize.sum(bytes.count, MemorySize.product(declared, decodedBytesPerByte))
        if needed >= MemoryBudget.checkThreshold || budget != nil {
            try (budget ?? .current).require(needed, for: "\(file): its arrays (\(MemoryBudget.format(declared)) uncompressed, as the ZIP directory declares)")
        }
        return try records.map(extract)
    }

    private func corrupt(_ problem: String) -> CircuitFitError {
        CircuitFitError("\(file): damaged .npz (ZIP) file: \(problem)")
    }

    private func checkedInt(_ value: UInt64, _ what: String) throws -> Int {
        guard let int = Int(exactly: value), int <= bytes.count else { throw corrupt("\(what) \(value) lies beyond the end of the file") }
        return int
    }

    // MARK: End of central directory

    private func findDirectory() throws -> Directory {
        let endRecordSize = 22
        guard let endRecord = findEndRecord(size: endRecordSize) else {
            if bytes.starts(with: NPYFormat.magic) {
                throw CircuitFitError("\(file): this is a single-array .npy file, not an .npz archive")
            }
            throw CircuitFitError("\(file): not a NumPy .npz file (no ZIP end-of-central-directory record; the file may be truncated)")
        }
        let disk = bytes.uint16LE(at: endRecord + 4)!
        let directoryDisk = bytes.uint16LE(at: endRecord + 6)!
        var entryCount = UInt64(bytes.uint16LE(at: endRecord + 10)!)
        var size = UInt64(bytes.uint32LE(at: endRecord + 12)!)
        var offset = UInt64(bytes.uint32LE(at: endRecord + 16)!)

        let locator = endRecord - 20
        if locator >= 0, bytes.uint32LE(at: locator) == Zip.zip64LocatorSignature {
            let recordOffset = try checkedInt(bytes.uint64LE(at: locator + 8)!, "the ZIP64 end record offset")
            guard bytes.hasBytes(at: recordOffset, length: 56),
                  bytes.uint32LE(at: recordOffset) == Zip.zip64EndRecordSignature
            else { throw corrupt("the ZIP64 end-of-central-directory record is missing") }
            entryCount = bytes.uint64LE(at: recordOffset + 32)!
            size = bytes.uint64LE(at: recordOffset + 40)!
            offset = bytes.uint64LE(at: recordOffset + 48)!
        } else if disk != 0 || directoryDisk != 0 {
            throw CircuitFitError("\(file): this ZIP archive is split over several disks; CircuitFit reads single-file .npz archives")
        }

        let directory = Directory(
            offset: try checkedInt(offset, "the central directory offset"),
            size: try checkedInt(size, "the central directory size"),
            entryCount: Int(clamping: entryCount))
        guard bytes.hasBytes(at: directory.offset, length: directory.size) else {
            throw corrupt("the central directory lies beyond the end of the file")
        }
        // Each central record takes at least 46 bytes: this bounds the entry count.
        guard directory.entryCount <= directory.size / 46 else {
            throw corrupt("the central directory lists \(entryCount) entries but is only \(directory.size) bytes long")
        }
        return directory
    }

    /// Offset of the end-of-central-directory record: scan back over at most a 64 KiB comment.
    private func findEndRecord(size: Int) -> Int? {
        guard bytes.count >= size else { return nil }
        let lowest = max(0, bytes.count - size - Int(UInt16.max))
        for position in stride(from: bytes.count - size, through: lowest, by: -1)
        where bytes[position] == 0x50 && bytes.uint32LE(at: position) == Zip.endRecordSignature {
            let commentLength = Int(bytes.uint16LE(at: position + 20)!)
            if position + size + commentLength <= bytes.count { return position }
        }
        return nil
    }

    // MARK: Central directory records

    private func readCentralRecord(at offset: Int, end: Int, index: Int) throws -> (EntryRecord, Int) {
        guard offset + 46 <= end, bytes.uint32LE(at: offset) == Zip.centralHeaderSignature else {
            throw corrupt("central directory entry \(index + 1) is missing")
        }
        let nameLength = Int(bytes.uint16LE(at: offset + 28)!)
        let extraLength = Int(bytes.uint16LE(at: offset + 30)!)
        let commentLength = Int(bytes.uint16LE(at: offset + 32)!)
        let recordLength = 46 + nameLength + extraLength + commentLength
        guard offset + recordLength <= end else {
            throw corrupt("central directory entry \(index + 1) runs past the directory's end")
        }
        let name = String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
        let extraStart = offset + 46 + nameLength
        let extra = Array(bytes[extraStart..<(extraStart + extraLength)])

        // ZIP64: each field holding the overflow marker is in the extra field, in this order.
        var uncompressed = UInt64(bytes.uint32LE(at: offset + 24)!)
        var compressed = UInt64(bytes.uint32LE(at: offset + 20)!)
        var localOffset = UInt64(bytes.uint32LE(at: offset + 42)!)
        let marker = UInt64(Zip.overflow32)
        let markerCount = [uncompressed, compressed, localOffset].filter { $0 == marker }.count
        if markerCount > 0 {
            guard let field = zip64Field(in: extra), field.count >= 8 * markerCount else {
                throw corrupt("entry '\(name)' lacks its ZIP64 sizes")
            }
            var position = 0
            func nextValue() -> UInt64 {
                defer { position += 8 }
                return field.uint64LE(at: position)!
            }
            if uncompressed == marker { uncompressed = nextValue() }
            if compressed == marker { compressed = nextValue() }
            if localOffset == marker { localOffset = nextValue() }
        }

        let record = EntryRecord(
            name: name,
            flags: bytes.uint16LE(at: offset + 8)!,
            method: bytes.uint16LE(at: offset + 10)!,
            crc: bytes.uint32LE(at: offset + 16)!,
            compressedSize: try checkedInt(compressed, "entry '\(name)': compressed size"),
            uncompressedSize: Int(clamping: uncompressed),
            localHeaderOffset: try checkedInt(localOffset, "entry '\(name)': offset"))
        return (record, recordLength)
    }

    /// The data of the ZIP64 extended-information field (id 0x0001) among `extra`'s fields.
    private func zip64Field(in extra: [UInt8]) -> [UInt8]? {
        var position = 0
        while let id = extra.uint16LE(at: position), let length = extra.uint16LE(at: position + 2) {
            let start = position + 4
            guard extra.hasBytes(at: start, length: Int(length)) else { return nil }
            if id == Zip.zip64ExtraFieldID { return Array(extra[start..<(start + Int(length))]) }
            position = start + Int(length)
        }
        return nil
    }

    // MARK: Entry data

    private func extract(_ record: EntryRecord) throws -> ZipEntry {
        let name = record.name
        if record.flags & 1 != 0 {
            throw CircuitFitError("\(file): entry '\(name)' is encrypted; CircuitFit reads unencrypted .npz files")
        }
        let header = record.localHeaderOffset
        guard bytes.hasBytes(at: header, length: 30), bytes.uint32LE(at: header) == Zip.localHeaderSignature else {
            throw corrupt("the local header of entry '\(name)' is missing")
        }
        let dataStart = header + 30 + Int(bytes.uint16LE(at: header + 26)!) + Int(bytes.uint16LE(at: header + 28)!)
        guard bytes.hasBytes(at: dataStart, length: record.compressedSize) else {
            throw corrupt("entry '\(name)' is truncated")
        }
        let stored = bytes[dataStart..<(dataStart + record.compressedSize)]

        let data: [UInt8]
        switch record.method {
        case Zip.methodStored:
            guard record.uncompressedSize == record.compressedSize else {
                throw corrupt("stored entry '\(name)' has different sizes in the directory")
            }
            data = Array(stored)
        case Zip.methodDeflated:
            data = try inflate(stored, record)
        default:
            throw CircuitFitError("\(file): entry '\(name)' uses ZIP compression method \(record.method); CircuitFit reads stored and deflated entries (numpy.savez, numpy.savez_compressed)")
        }
        guard Zip.checksum(data[...]) == record.crc else {
            throw corrupt("entry '\(name)' fails its CRC-32 check")
        }
        return ZipEntry(name: name, bytes: data)
    }

    /// A deflated entry's bytes: inflated a piece at a time, never past the size the directory
    /// declares; for a `.npy` entry, its header (read first) must declare that same size.
    private func inflate(_ stored: ArraySlice<UInt8>, _ record: EntryRecord) throws -> [UInt8] {
        let name = record.name, declared = record.uncompressedSize
        let inflater: Inflater
        do { inflater = try Inflater(stored, format: .raw) } catch { throw corrupt("entry '\(name)' cannot be inflated") }
        func failure(_ error: Error) -> CircuitFitError {
            switch error as? Inflater.Failure {
            case .truncated?: return corrupt("entry '\(name)' is truncated (its deflate stream ends early)")
            case .corrupt(let why)?: return corrupt("entry '\(name)' does not inflate (\(why))")
            case nil: return error as? CircuitFitError ?? corrupt("entry '\(name)': \(error)")
            }
        }
        var data: [UInt8] = []
        do {
            if name.hasSuffix(".npy") {
                // the array header first: the size it declares must be the directory's
                var wanted = min(declared, 128)
                while true {
                    try inflater.read(into: &data, upTo: wanted - data.count)
                    guard let size = NPYFormat.declaredSize(data[...]) else { break }  // not a .npy: decoding says why
                    switch size {
                    case .total(let total):
                        guard total == declared else {
                            throw corrupt("entry '\(name)' has a .npy header that needs \(total) bytes but the ZIP directory declares \(declared)")
                        }
                    case .needsPrefix(let length):
                        if length > data.count && length <= declared && !inflater.finished { wanted = length; continue }
                    }
                    break
                }
            }
            data.reserveCapacity(min(declared, 1 << 26))  // grows past this only as real bytes arrive
            while data.count < declared && !inflater.finished {
                try inflater.read(into: &data, upTo: min(declared - data.count, 1 << 24))
            }
            guard data.count == declared else {
                throw corrupt("entry '\(name)' inflates to \(data.count) bytes but the ZIP directory declares \(declared)")
            }
            if try inflater.hasMore() {
                throw corrupt("entry '\(name)' inflates to more than the \(declared) bytes the ZIP directory declares")
            }
        } catch { throw failure(error) }
        return data
    }
}
