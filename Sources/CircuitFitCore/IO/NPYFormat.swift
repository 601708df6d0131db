import Foundation

/// Encodes and decodes one NumPy `.npy` array. Writes format version 1.0 (2.0 only if the header
/// would not fit); reads versions 1.0, 2.0 and 3.0. Reads little-endian float32/float64 as they
/// are, every little-endian integer or bool dtype as int64, and fixed-width strings (`<U` UTF-32,
/// `|S` bytes as UTF-8) as strings; anything else is a one-line `CircuitFitError` naming the file
/// and the array.
public enum NPYFormat {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    private static let alignment = 64
    private static let supportedTypes = "CircuitFit reads little-endian float32, float64, integer and string arrays"

    /// The `.npy` bytes of `array` (C order, little-endian).
    public static func encode(_ array: NPYArray) -> Data { Data(encodeBytes(array)) }

    /// The array in `.npy` bytes. `file` and `array` name the source in error messages.
    public static func decode(_ data: Data, file: String, array: String? = nil) throws -> NPYArray {
        try decode([UInt8](data), subject: subject(file: file, array: array))
    }

    /// "dataset.npz: array 'targets'" or "x.npy": how error messages name an array.
    static func subject(file: String, array: String?) -> String {
        array.map { "\(file): array '\($0)'" } ?? file
    }

    static func encodeBytes(_ array: NPYArray) -> [UInt8] {
        let descr: String
        switch array.storage {
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        case .int64: descr = "<i8"
        case .strings(let v): descr = "<U\(max(1, v.map { $0.unicodeScalars.count }.max() ?? 1))"
        }
        let dictionary = Array(NPYHeader(descr: descr, fortranOrder: false, shape: array.shape).text.utf8)
        // Version 1.0 stores the header length in 2 bytes; 2.0 (for huge headers only) in 4.
        let needsVersion2 = dictionary.count + 1 + alignment > Int(UInt16.max)
        let prefixLength = magic.count + 2 + (needsVersion2 ? 4 : 2)
        // Pad with spaces and end with a newline so the data starts on a 64-byte boundary.
        let unpadded = prefixLength + dictionary.count + 1
        let padding = (alignment - unpadded % alignment) % alignment
        let headerLength = dictionary.count + padding + 1

        var bytes = magic
        bytes.reserveCapacity(prefixLength + headerLength + array.count * 8)
        if needsVersion2 {
            bytes += [2, 0]
            bytes.appendLE(UInt32(headerLength))
        } else {
            bytes += [1, 0]
            bytes.appendLE(UInt16(headerLength))
        }
        bytes += dictionary
        bytes += [UInt8](repeating: 0x20, count: padding)
        bytes.append(0x0A)
        switch array.storage {
        case .float32(let v): appendLittleEndian(v.map { $0.bitPattern }, to: &bytes)
        case .float64(let v): appendLittleEndian(v.map { $0.bitPattern }, to: &bytes)
        case .int64(let v): appendLittleEndian(v, to: &bytes)
        case .strings(let v):
            // UTF-32 little-endian code points, NUL-padded to the widest string.
            let width = max(1, v.map { $0.unicodeScalars.count }.max() ?? 1)
            for text in v {
                let scalars = text.unicodeScalars.map(\.value)
                appendLittleEndian(scalars + [UInt32](repeating: 0, count: width - scalars.count), to: &bytes)
            }
        }
        return bytes
    }

    /// How many bytes a `.npy` file holds, read from its first bytes.
    enum DeclaredSize: Equatable {
        /// The header is not complete yet: the first `length` bytes hold it.
        case needsPrefix(Int)
        /// Header and data together.
        case total(Int)
    }

    /// The size a `.npy` file declares from its first bytes (magic, version, header), or nil when
    /// they are not a readable `.npy` header (`decode` then says why). Lets a reader of
    /// compressed data check the declared size before inflating the data.
    static func declaredSize(_ prefix: ArraySlice<UInt8>) -> DeclaredSize? {
        let bytes = Array(prefix)
        guard bytes.count >= magic.count + 2 else { return .needsPrefix(12) }
        guard Array(bytes[0..<magic.count]) == magic else { return nil }
        let lengthSize: Int
        switch bytes[6] {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: return nil
        }
        guard let length = lengthSize == 2 ? bytes.uint16LE(at: 8).map(Int.init) : bytes.uint32LE(at: 8).map(Int.init) else {
            return .needsPrefix(8 + lengthSize)
        }
        let headerEnd = 8 + lengthSize + length
        guard bytes.count >= headerEnd else { return .needsPrefix(headerEnd) }
        guard let header = try? NPYHeader.parse(bytes[(8 + lengthSize)..<headerEnd], subject: ""),
              let descr = header.descr, let type = try? ElementType(descr: descr, subject: ""),
              let count = NPYArray.elementCount(of: header.shape),
              case (let data, false) = count.multipliedReportingOverflow(by: type.size),
              case (let total, false) = data.addingReportingOverflow(headerEnd)
        else { return nil }
        return .total(total)
    }

    static func decode(_ bytes: [UInt8], subject: String) throws -> NPYArray {
        guard bytes.count >= magic.count + 2, Array(bytes[0..<magic.count]) == magic else {
            throw CircuitFitError("\(subject) is not a NumPy .npy array (it does not start with \\x93NUMPY)")
        }
        let major = bytes[6], minor = bytes[7]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw CircuitFitError("\(subject) has .npy format version \(major).\(minor); CircuitFit reads versions 1.0, 2.0 and 3.0")
        }
        let headerLength = lengthSize == 2 ? bytes.uint16LE(at: 8).map(Int.init) : bytes.uint32LE(at: 8).map(Int.init)
        let headerStart = 8 + lengthSize
        guard let headerLength, bytes.hasBytes(at: headerStart, length: headerLength) else {
            throw CircuitFitError("\(subject) is truncated: its .npy header is cut off")
        }
        let header = try NPYHeader.parse(bytes[headerStart..<(headerStart + headerLength)], subject: subject)
        guard let descr = header.descr else {
            throw CircuitFitError("\(subject) has a structured dtype (named fields); \(supportedTypes)")
        }
        let type = try ElementType(descr: descr, subject: subject)
        if header.fortranOrder && header.shape.count > 1 {
            throw CircuitFitError("\(subject) is stored in Fortran order (fortran_order: True); CircuitFit reads C-order arrays: save np.ascontiguousarray(x) instead")
        }

        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard let count = NPYArray.elementCount(of: header.shape),
              case (let needed, false) = count.multipliedReportingOverflow(by: type.size)
        else {
            throw CircuitFitError("\(subject) has shape \(header.shape), too large to be real")
        }
        guard needed == available else {
            let what = "shape \(header.shape) of '\(descr)' needs \(needed) bytes of data"
            if needed > available { throw CircuitFitError("\(subject) is truncated: \(what) but only \(available) are present") }
            throw CircuitFitError("\(subject) has \(available) bytes of data but \(what)")
        }
        let storage = try type.read(count: count, from: bytes, at: dataStart, subject: subject, descr: descr)
        return NPYArray(shape: header.shape, storage: storage)
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ values: [T], to bytes: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        let swapped = values.map { $0.littleEndian }
        swapped.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #endif
    }

    /// The element types CircuitFit accepts when reading, parsed from a dtype string.
    private enum ElementType {
        case float32, float64
        case signed(size: Int)    // i1, i2, i4, i8
        case unsigned(size: Int)  // u1, u2, u4, u8
        case bool                 // b1
        case unicode(characters: Int)  // U<n>: n UTF-32 code points
        case bytes(count: Int)         // S<n>: n bytes

        var size: Int {
            switch self {
            case .float32: return 4
            case .float64: return 8
            case .signed(let size), .unsigned(let size): return size
            case .bool: return 1
            case .unicode(let n): return 4 * n
            case .bytes(let n): return n
            }
        }

        init(descr: String, subject: String) throws {
            func unsupported(_ why: String) -> CircuitFitError {
                CircuitFitError("\(subject) has dtype '\(descr)' (\(why)); \(NPYFormat.supportedTypes)")
            }
            let characters = Array(descr)
            guard characters.count >= 2, "<>|=".contains(characters[0]) else { throw unsupported("not a NumPy dtype string") }
            let order = characters[0]
            let kind = characters[1]
            guard let size = Int(String(characters[2...])), size > 0 else {
                switch kind {
                case "U": throw unsupported("unicode strings")
                case "S", "a": throw unsupported("byte strings")
                case "O": throw unsupported("Python objects")
                case "M": throw unsupported("datetimes")
                case "m": throw unsupported("timedeltas")
                default: throw unsupported("not a NumPy dtype string")
                }
            }
            switch (kind, size) {
            case ("f", 4): self = .float32
            case ("f", 8): self = .float64
            case ("i", 1), ("i", 2), ("i", 4), ("i", 8): self = .signed(size: size)
            case ("u", 1), ("u", 2), ("u", 4), ("u", 8): self = .unsigned(size: size)
            case ("b", 1): self = .bool
            case ("U", _) where size <= 1 << 20: self = .unicode(characters: size)
            case ("S", _) where size <= 1 << 22, ("a", _) where size <= 1 << 22: self = .bytes(count: size)
            case ("f", _): throw unsupported("float\(size * 8)")
            case ("c", _): throw unsupported("complex")
            case ("U", _): throw unsupported("unicode strings")
            case ("S", _), ("a", _): throw unsupported("byte strings")
            case ("O", _): throw unsupported("Python objects")
            case ("M", _): throw unsupported("datetimes")
            case ("m", _): throw unsupported("timedeltas")
            case ("V", _): throw unsupported("raw bytes")
            default: throw unsupported("unsupported type")
            }
            if order == ">" && (size > 1 || kind == "U") { throw unsupported("big-endian") }
        }

        func read(count: Int, from bytes: [UInt8], at start: Int, subject: String, descr: String) throws -> NPYArray.Storage {
            try bytes.withUnsafeBytes { raw -> NPYArray.Storage in
                func load<T: FixedWidthInteger>(_ i: Int, as: T.Type) -> T {
                    T(littleEndian: raw.loadUnaligned(fromByteOffset: start + i * MemoryLayout<T>.size, as: T.self))
                }
                switch self {
                case .float32:
                    return .float32((0..<count).map { Float(bitPattern: load($0, as: UInt32.self)) })
                case .float64:
                    return .float64((0..<count).map { Double(bitPattern: load($0, as: UInt64.self)) })
                case .signed(1): return .int64((0..<count).map { Int64(load($0, as: Int8.self)) })
                case .signed(2): return .int64((0..<count).map { Int64(load($0, as: Int16.self)) })
                case .signed(4): return .int64((0..<count).map { Int64(load($0, as: Int32.self)) })
                case .signed: return .int64((0..<count).map { load($0, as: Int64.self) })
                case .unsigned(1): return .int64((0..<count).map { Int64(load($0, as: UInt8.self)) })
                case .unsigned(2): return .int64((0..<count).map { Int64(load($0, as: UInt16.self)) })
                case .unsigned(4): return .int64((0..<count).map { Int64(load($0, as: UInt32.self)) })
                case .unsigned:
                    var values: [Int64] = []
                    values.reserveCapacity(count)
                    for i in 0..<count {
                        guard let value = Int64(exactly: load(i, as: UInt64.self)) else {
                            throw CircuitFitError("\(subject) has dtype '\(descr)' with a value above 2^63-1; \(NPYFormat.supportedTypes)")
                        }
                        values.append(value)
                    }
                    return .int64(values)
                case .bool: return .int64((0..<count).map { load($0, as: UInt8.self) == 0 ? 0 : 1 })
                case .unicode(let n):
                    return .strings((0..<count).map { i in
                        var text = String.UnicodeScalarView()
                        for k in 0..<n {
                            let value = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + (i * n + k) * 4, as: UInt32.self))
                            if value == 0 { break }
                            text.append(Unicode.Scalar(value) ?? "\u{FFFD}")
                        }
                        return String(text)
                    })
                case .bytes(let n):
                    return .strings((0..<count).map { i in
                        let field = bytes[(start + i * n)..<(start + (i + 1) * n)].prefix { $0 != 0 }
                        return String(decoding: field, as: UTF8.self)
                    })
                }
            }
        }
    }
}
