import CZlib
import CircuitFitCore

/// Inflating a zlib stream (with its 2-byte header, as MAT v5 `miCOMPRESSED` elements hold one)
/// whose decoded size is not known in advance.
enum ZlibStream {
    /// The decoded bytes, or nil when the stream is corrupt, ends early, or would decode to more
    /// than `limit` bytes.
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        guard !input.isEmpty else { return nil }
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: min(limit, max(4096, input.count * 4)))
        var produced = 0
        return input.withUnsafeBufferPointer { source -> [UInt8]? in
            guard input.count <= Int(UInt32.max) else { return nil }
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress!)
            stream.avail_in = uInt(source.count)
            while true {
                if produced == output.count {
                    guard output.count < limit else { return nil }
                    output += [UInt8](repeating: 0, count: min(output.count, limit - output.count))
                }
                let room = min(output.count - produced, Int(UInt32.max))
                let status = output.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                produced += room - Int(stream.avail_out)
                if status == Z_STREAM_END { return Array(output[0..<produced]) }
                guard status == Z_OK else { return nil }
                if stream.avail_in == 0 && stream.avail_out > 0 { return nil }
            }
        }
    }
}
