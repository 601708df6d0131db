import CZlib

/// Inflates a deflate stream a piece at a time: raw (as ZIP entries hold it) or zlib-wrapped (as
/// MAT v5 `miCOMPRESSED` elements hold it). A reader first inflates a header, learns from it how
/// many bytes the data declares, and then inflates exactly that many: a decompression bomb (a
/// small stream that expands to gigabytes) is stopped at the declared size instead of being
/// allocated. `read` appends to the caller's buffer, so nothing is allocated up front.
public final class Inflater {
    /// The stream's wrapping.
    public enum Format: Sendable {
        /// Raw deflate, no header (ZIP method 8).
        case raw
        /// zlib: a 2-byte header and an Adler-32 trailer (MAT v5).
        case zlib
    }

    /// Why a stream could not be inflated.
    public enum Failure: Error, Equatable {
        /// The data is not valid deflate (zlib's message, when it gives one).
        case corrupt(String)
        /// The stream ends before its end-of-stream marker.
        case truncated
    }

    private let input: ArraySlice<UInt8>
    private var stream = z_stream()
    private var consumed = 0
    /// Whether the end-of-stream marker has been reached.
    public private(set) var finished = false
    /// Bytes produced so far.
    public private(set) var produced = 0

    public init(_ input: ArraySlice<UInt8>, format: Format) throws {
        self.input = input
        let bits = format == .raw ? -MAX_WBITS : MAX_WBITS
        guard inflateInit2_(&stream, bits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure.corrupt("zlib could not start")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Appends at most `count` more inflated bytes to `output` and returns how many it appended
    /// (fewer only at the end of the stream, then `finished` is true).
    @discardableResult
    public func read(into output: inout [UInt8], upTo count: Int) throws -> Int {
        guard count > 0, !finished else { return 0 }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: count))
        var written = 0
        defer { output.removeLast(count - written) }
        try input.withUnsafeBufferPointer { source in
            try output.withUnsafeMutableBufferPointer { target in
                while written < count && !finished {
                    let inChunk = min(source.count - consumed, Int(UInt32.max))
                    let outChunk = min(count - written, Int(UInt32.max))
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress.map { $0 + consumed })
                    stream.avail_in = uInt(inChunk)
                    stream.next_out = target.baseAddress! + start + written
                    stream.avail_out = uInt(outChunk)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let took = inChunk - Int(stream.avail_in), gave = outChunk - Int(stream.avail_out)
                    consumed += took
                    written += gave
                    switch status {
                    case Z_STREAM_END: finished = true
                    case Z_OK: break
                    case Z_BUF_ERROR where took == 0 && gave == 0:
                        // no progress possible: out of input before the end marker
                        throw Failure.truncated
                    case Z_BUF_ERROR: break
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                        throw Failure.corrupt(message)
                    }
                }
            }
        }
        produced += written
        return written
    }

    /// Whether the stream holds more bytes than were read: inflates one more byte (into a scratch
    /// buffer) to find out. Use after reading the declared size.
    public func hasMore() throws -> Bool {
        var scratch: [UInt8] = []
        return try read(into: &scratch, upTo: 1) > 0
    }
}
