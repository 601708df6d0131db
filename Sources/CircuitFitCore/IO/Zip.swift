import CZlib

/// One named file inside a ZIP archive, with its uncompressed bytes.
struct ZipEntry: Equatable {
    var name: String
    var bytes: [UInt8]
}

/// The record signatures and zlib glue shared by `ZipReader` and `ZipWriter`: a minimal ZIP
/// container, just what NumPy's `.npz` files need (stored and deflated entries, ZIP64).
enum Zip {
    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endRecordSignature: UInt32 = 0x0605_4B50
    static let zip64EndRecordSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64ExtraFieldID: UInt16 = 0x0001
    /// The marker a 4-byte size or offset field holds when the real value is in the ZIP64 extra.
    static let overflow32: UInt32 = 0xFFFF_FFFF
    static let overflow16: UInt16 = 0xFFFF

    static let methodStored: UInt16 = 0
    static let methodDeflated: UInt16 = 8

    /// zlib's CRC-32 of `bytes`, fed in chunks that fit zlib's 32-bit lengths.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let length = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, uInt(length))
                offset += length
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    /// Inflates raw deflate data (no zlib header) that must expand to exactly `expectedSize`
    /// bytes; nil when the data is corrupt, ends early or is longer than declared.
    static func inflateRaw(_ input: ArraySlice<UInt8>, expectedSize: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: max(expectedSize, 1))
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return nil
        }
        defer { inflateEnd(&stream) }
        let finished = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Bool in
                let chunk = 1 << 30
                var fedIn = 0, offeredOut = 0
                while true {
                    if stream.avail_in == 0 && fedIn < source.count {
                        let length = min(source.count - fedIn, chunk)
                        stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + fedIn)
                        stream.avail_in = uInt(length)
                        fedIn += length
                    }
                    if stream.avail_out == 0 && offeredOut < target.count {
                        let length = min(target.count - offeredOut, chunk)
                        stream.next_out = target.baseAddress! + offeredOut
                        stream.avail_out = uInt(length)
                        offeredOut += length
                    }
                    let before = (stream.total_in, stream.total_out)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    if status == Z_STREAM_END { return true }
                    guard status == Z_OK, (stream.total_in, stream.total_out) != before else { return false }
                }
            }
        }
        guard finished, stream.total_out == UInt(expectedSize) else { return nil }
        if expectedSize == 0 { output.removeAll() }
        return output
    }
}
