/// Bounds-checked little-endian integer reads and writes on a byte array, shared by the ZIP and
/// NPY codecs. A read that would run past the end returns nil instead of trapping.
extension Array where Element == UInt8 {
    /// True when `length` bytes starting at `offset` lie inside the array.
    func hasBytes(at offset: Int, length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset
    }

    func uint16LE(at offset: Int) -> UInt16? {
        guard hasBytes(at: offset, length: 2) else { return nil }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func uint32LE(at offset: Int) -> UInt32? {
        guard hasBytes(at: offset, length: 4) else { return nil }
        var value: UInt32 = 0
        for i in (0..<4).reversed() { value = value << 8 | UInt32(self[offset + i]) }
        return value
    }

    func uint64LE(at offset: Int) -> UInt64? {
        guard hasBytes(at: offset, length: 8) else { return nil }
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }

    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendLE(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
