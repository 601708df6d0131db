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
}
