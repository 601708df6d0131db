/// Writes a ZIP archive of stored (uncompressed) entries with correct CRC-32s, as `numpy.load`
/// reads them. Headers are plain ZIP; ZIP64 records are added only for sizes, offsets or entry
/// counts that do not fit the 32/16-bit fields. Timestamps are fixed at 1980-01-01 so the same
/// arrays always give the same bytes.
enum ZipWriter {
    private static let dosDate1980: UInt16 = (0 << 9) | (1 << 5) | 1  // 1980-01-01
    private static let dosTime: UInt16 = 0
    private static let regularFileMode: UInt32 = 0o100644

    /// The archive bytes. `zip64Limit` lowers the point where ZIP64 records start (tests only).
    static func archive(_ entries: [ZipEntry], zip64Limit: Int = Int(Zip.overflow32)) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(22) { $0 + $1.bytes.count + 2 * ($1.name.utf8.count + 76) })
        var central: [UInt8] = []

        for entry in entries {
            let name = Array(entry.name.utf8)
            let size = entry.bytes.count
            let offset = out.count
            let crc = Zip.checksum(entry.bytes[...])
            let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800  // bit 11: UTF-8 name
            let sizeIsLarge = size >= zip64Limit
            let offsetIsLarge = offset >= zip64Limit
            let versionNeeded: UInt16 = sizeIsLarge || offsetIsLarge ? 45 : 20

            // Local header: sizes in a ZIP64 extra when they do not fit.
            out.appendLE(Zip.localHeaderSignature)
            out.appendLE(versionNeeded)
            out.appendLE(flags)
            out.appendLE(Zip.methodStored)
            out.appendLE(dosTime)
            out.appendLE(dosDate1980)
            out.appendLE(crc)
            let size32 = sizeIsLarge ? Zip.overflow32 : UInt32(size)
            out.appendLE(size32)  // compressed
            out.appendLE(size32)  // uncompressed
            out.appendLE(UInt16(name.count))
            out.appendLE(UInt16(sizeIsLarge ? 20 : 0))
            out += name
            if sizeIsLarge {
                out.appendLE(Zip.zip64ExtraFieldID)
                out.appendLE(UInt16(16))
                out.appendLE(UInt64(size))
                out.appendLE(UInt64(size))
            }
            out += entry.bytes

            // Central directory record: overflowing fields listed in the ZIP64 extra, in order.
            var zip64Values: [UInt64] = []
            if sizeIsLarge { zip64Values += [UInt64(size), UInt64(size)] }
            if offsetIsLarge { zip64Values.append(UInt64(offset)) }
            central.appendLE(Zip.centralHeaderSignature)
            central.appendLE(UInt16(3 << 8) | versionNeeded)  // made by: Unix
            central.appendLE(versionNeeded)
            central.appendLE(flags)
            central.appendLE(Zip.methodStored)
            central.appendLE(dosTime)
            central.appendLE(dosDate1980)
            central.appendLE(crc)
            central.appendLE(size32)
            central.appendLE(size32)
            central.appendLE(UInt16(name.count))
            central.appendLE(UInt16(zip64Values.isEmpty ? 0 : 4 + 8 * zip64Values.count))
            central.appendLE(UInt16(0))  // comment length
            central.appendLE(UInt16(0))  // disk number
            central.appendLE(UInt16(0))  // internal attributes
            central.appendLE(regularFileMode << 16)
            central.appendLE(offsetIsLarge ? Zip.overflow32 : UInt32(offset))
            central += name
            if !zip64Values.isEmpty {
                central.appendLE(Zip.zip64ExtraFieldID)
                central.appendLE(UInt16(8 * zip64Values.count))
                for value in zip64Values { central.appendLE(value) }
            }
        }

        let directoryOffset = out.count
        out += central
        appendEndRecords(to: &out, entryCount: entries.count, directoryOffset: directoryOffset,
                         directorySize: central.count, zip64Limit: zip64Limit)
        return out
    }

    private static func appendEndRecords(
        to out: inout [UInt8], entryCount: Int, directoryOffset: Int, directorySize: Int, zip64Limit: Int
    ) {
        let countIsLarge = entryCount >= min(Int(Zip.overflow16), zip64Limit)
        let offsetIsLarge = directoryOffset >= zip64Limit
        let sizeIsLarge = directorySize >= zip64Limit
        if countIsLarge || offsetIsLarge || sizeIsLarge {
            let recordOffset = out.count
            out.appendLE(Zip.zip64EndRecordSignature)
            out.appendLE(UInt64(44))  // size of the rest of this record
            out.appendLE(UInt16(3 << 8 | 45))
            out.appendLE(UInt16(45))
            out.appendLE(UInt32(0))  // this disk
            out.appendLE(UInt32(0))  // disk with the directory
            out.appendLE(UInt64(entryCount))
            out.appendLE(UInt64(entryCount))
            out.appendLE(UInt64(directorySize))
            out.appendLE(UInt64(directoryOffset))
            out.appendLE(Zip.zip64LocatorSignature)
            out.appendLE(UInt32(0))
            out.appendLE(UInt64(recordOffset))
            out.appendLE(UInt32(1))  // total disks
        }
        let count16 = countIsLarge ? Zip.overflow16 : UInt16(entryCount)
        out.appendLE(Zip.endRecordSignature)
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(0))
        out.appendLE(count16)
        out.appendLE(count16)
        out.appendLE(sizeIsLarge ? Zip.overflow32 : UInt32(directorySize))
        out.appendLE(offsetIsLarge ? Zip.overflow32 : UInt32(directoryOffset))
        out.appendLE(UInt16(0))  // comment length
    }
}
