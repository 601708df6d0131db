import CircuitFitCore

/// Parses a MATLAB v5 MAT file (what `scipy.io.savemat` and MATLAB's `save -v7` write): a
/// 128-byte header, then data elements, each a `miMATRIX` variable or a `miCOMPRESSED` (zlib)
/// element holding one. Both byte orders ("IM" little-endian, "MI" big-endian) are read.
///
/// Every offset and size read from the file is checked against the bytes actually present
/// before use; nested cells and structs are followed at most `maximumDepth` levels deep; a compressed element
/// inflates streaming, never past the size its inner element's tag declares (at most 1032× its
/// compressed size, zlib's own maximum ratio) nor past the memory budget.
struct MATv5Parser {
    let file: String
    let bigEndian: Bool
    static let maximumDepth = 16

    // Data types (MAT-file format, table 1-1) and array classes (table 1-3).
    private enum DataType: UInt32 {
        case int8 = 1, uint8, int16, uint16, int32, uint32, single, double = 9, int64 = 12, uint64
        case matrix = 14, compressed, utf8, utf16, utf32
    }
    private static let classNames: [UInt8: String] = [
        1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 6: "double", 7: "single",
        8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32", 13: "uint32", 14: "int64",
        15: "uint64", 16: "function_handle", 17: "opaque",
    ]
    private static let numericClasses: Set<UInt8> = Set(6...15)

    /// Whether `bytes` start with the v5 header text.
    static func hasHeader(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 128 && bytes.starts(with: Array("MATLAB 5.0 MAT-file".utf8))
    }

    /// The variables of the file, in file order.
    static func parse(_ bytes: [UInt8], file: String) throws -> [(name: String, value: MATValue)] {
        guard hasHeader(bytes) else {
            throw CircuitFitError("\(file): not a MAT v5 file (no 'MATLAB 5.0 MAT-file' header; MATLAB v4 files are not supported)")
        }
        let endian = String(decoding: bytes[126..<128], as: UTF8.self)
        guard endian == "IM" || endian == "MI" else {
            throw CircuitFitError("\(file): MAT v5 header has byte-order mark '\(endian)', expected 'IM' or 'MI'")
        }
        let parser = MATv5Parser(file: file, bigEndian: endian == "MI")
        var variables: [(name: String, value: MATValue)] = []
        var offset = 128
        while offset + 8 <= bytes.count {
            let element = try parser.element(at: offset, in: bytes)
            switch element.type {
            case DataType.matrix.rawValue:
                variables.append(try parser.matrix(element.data, in: bytes, depth: 0))
            case DataType.compressed.rawValue:
                let inflated = try parser.inflateCompressed(bytes[element.data], at: offset)
                let inner = try parser.element(at: 0, in: inflated)
                guard inner.type == DataType.matrix.rawValue else {
                    throw parser.corrupt("compressed element at byte \(offset) holds data type \(inner.type), expected a matrix (14)")
                }
                variables.append(try parser.matrix(inner.data, in: inflated, depth: 0))
            default:
                break
            }
            offset = element.next
        }
        return variables
    }

    func corrupt(_ problem: String) -> CircuitFitError {
        CircuitFitError("\(file): damaged MAT v5 file: \(problem)")
    }

    // MARK: Elements

    private struct Element {
        var type: UInt32
        var data: Range<Int>
        var next: Int
    }

    private func uint32(_ bytes: [UInt8], _ offset: Int) throws -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { throw corrupt("read past the end at byte \(offset)") }
        let b = bytes[offset..<offset + 4].map { UInt32($0) }
        return bigEndian ? (b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) : (b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0])
    }

    /// The data element whose tag starts at `offset`: its type, data bytes and the next offset.
    private func element(at offset: Int, in bytes: [UInt8]) throws -> Element {
        let first = try uint32(bytes, offset)
        if first >> 16 != 0 {
            // Small data element: size and type share the first word, data fills the second.
            let size = Int(first >> 16)
            guard size <= 4, offset + 8 <= bytes.count else { throw corrupt("small element at byte \(offset) claims \(size) bytes") }
            return Element(type: first & 0xFFFF, data: offset + 4..<offset + 4 + size, next: offset + 8)
        }
        let size = Int(try uint32(bytes, offset + 4))
        let start = offset + 8
        guard size <= bytes.count - start else {
            throw corrupt("element at byte \(offset) claims \(size) bytes but only \(bytes.count - start) remain")
        }
        let padded = first == DataType.compressed.rawValue ? size : (size + 7) / 8 * 8
        return Element(type: first, data: start..<start + size, next: min(start + padded, bytes.count))
    }

    /// The sub-elements of a matrix, in order.
    private func subelements(_ range: Range<Int>, in bytes: [UInt8]) throws -> [Element] {
        var result: [Element] = []
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound {
            let element = try element(at: offset, in: bytes)
            guard element.data.upperBound <= range.upperBound else { throw corrupt("sub-element at byte \(offset) runs past its matrix") }
            result.append(element)
            offset = element.next
        }
        return result
    }

    // MARK: Matrices

    /// A `miMATRIX` element's name and value.
    private func matrix(_ range: Range<Int>, in bytes: [UInt8], depth: Int) throws -> (name: String, value: MATValue) {
        guard depth <= Self.maximumDepth else { throw corrupt("cells or structs nested more than \(Self.maximumDepth) deep") }
        if range.isEmpty { return ("", .numeric(MATArray(dims: [0, 0], values: [], matlabClass: "double"))) }
        let parts = try subelements(range, in: bytes)
        guard parts.count >= 3, parts[0].data.count >= 4 else { throw corrupt("matrix at byte \(range.lowerBound) lacks flags, dimensions or name") }
        let flags = try uint32(bytes, parts[0].data.lowerBound)
        let classCode = UInt8(flags & 0xFF)
        let isComplex = flags & 0x0800 != 0, isLogical = flags & 0x0200 != 0
        let dims = try numbers(parts[1], in: bytes).map { Int(exactly: $0) ?? -1 }
        let name = String(decoding: bytes[parts[2].data], as: UTF8.self)
        guard dims.count >= 2, let count = checkedProduct(dims) else {
            throw corrupt("variable '\(name)' has dimensions \(dims)")
        }
        let className = Self.classNames[classCode] ?? "unknown class \(classCode)"
        if Self.numericClasses.contains(classCode) {
            guard !isComplex else { return (name, .other(className: "complex \(className)")) }
            guard parts.count >= 4 else { throw corrupt("variable '\(name)' has no data") }
            let values = try numbers(parts[3], in: bytes)
            guard values.count == count else {
                throw corrupt("variable '\(name)' has \(values.count) values for dimensions \(dims)")
            }
            let array = MATArray(dims: dims, values: rowMajor(fromColumnMajor: values, dims: dims), matlabClass: isLogical ? "logical" : className)
            return (name, .numeric(array))
        }
        if classCode == 1 {
            let cells = parts.dropFirst(3)
            guard cells.count == count else { throw corrupt("cell '\(name)' has \(cells.count) elements for dimensions \(dims)") }
            let elements = try cells.map { cell -> MATValue in
                guard cell.type == DataType.matrix.rawValue else { throw corrupt("cell '\(name)' holds data type \(cell.type), expected matrices") }
                return try matrix(cell.data, in: bytes, depth: depth + 1).value
            }
            return (name, .cell(dims: dims, elements: rowMajor(fromColumnMajor: elements, dims: dims)))
        }
        if classCode == 4 {
            return (name, .text(try text(parts, name: name, dims: dims, count: count, in: bytes)))
        }
        if classCode == 2 {
            return (name, .structure(try structure(parts, name: name, dims: dims, count: count, in: bytes, depth: depth)))
        }
        return (name, .other(className: className))
    }

    /// A char array's text: UTF-16 (or, for ASCII, UTF-8 or 8-bit) code units, column-major.
    private func text(_ parts: [Element], name: String, dims: [Int], count: Int, in bytes: [UInt8]) throws -> MATText {
        guard parts.count >= 4 else { return MATText(dims: dims, rows: dims.first == 0 || count == 0 ? [] : [""]) }
        let data = parts[3]
        var units: [UInt16]
        if data.type == DataType.utf8.rawValue {
            let decoded = Array(String(decoding: bytes[data.data], as: UTF8.self).utf16)
            units = decoded
        } else {
            units = try numbers(data, in: bytes).map { UInt16(clamping: Int(exactly: $0.rounded()) ?? 0) }
        }
        guard units.count == count else {
            throw corrupt("char variable '\(name)' has \(units.count) characters for dimensions \(dims)")
        }
        return MATText(dims: dims, columnMajorCodeUnits: units)
    }

    /// A struct array: the field-name length, the field names, then one matrix per field of
    /// every element (elements in column-major order, fields in name order).
    private func structure(_ parts: [Element], name: String, dims: [Int], count: Int, in bytes: [UInt8], depth: Int) throws -> MATStruct {
        guard parts.count >= 5 else { throw corrupt("struct '\(name)' lacks its field names") }
        let width = try numbers(parts[3], in: bytes).first.map { Int($0) } ?? 0
        guard width > 0, width <= 4096 else { throw corrupt("struct '\(name)' has field names of \(width) bytes") }
        let nameBytes = bytes[parts[4].data]
        guard nameBytes.count % width == 0 else { throw corrupt("struct '\(name)' field names are not \(width)-byte records") }
        let fieldNames = stride(from: nameBytes.startIndex, to: nameBytes.endIndex, by: width).map { start in
            String(decoding: nameBytes[start..<start + width].prefix { $0 != 0 }, as: UTF8.self)
        }
        let values = parts.dropFirst(5)
        let (expected, overflow) = count.multipliedReportingOverflow(by: fieldNames.count)
        guard !overflow, values.count == expected else {
            throw corrupt("struct '\(name)' has \(values.count) field values for \(count) elements × \(fieldNames.count) fields")
        }
        var elements: [[String: MATValue]] = []
        elements.reserveCapacity(count)
        var iterator = values.makeIterator()
        for _ in 0..<count {
            var element: [String: MATValue] = [:]
            for field in fieldNames {
                let part = iterator.next()!
                guard part.type == DataType.matrix.rawValue else { throw corrupt("struct '\(name)' field '\(field)' holds data type \(part.type), expected a matrix") }
                element[field] = try matrix(part.data, in: bytes, depth: depth + 1).value
            }
            elements.append(element)
        }
        return MATStruct(dims: dims, fieldNames: fieldNames, elements: rowMajor(fromColumnMajor: elements, dims: dims))
    }

    /// A numeric data element's values as Doubles.
    private func numbers(_ element: Element, in bytes: [UInt8]) throws -> [Double] {
        guard let type = DataType(rawValue: element.type) else { throw corrupt("unknown data type \(element.type)") }
        let width: Int
        switch type {
        case .int8, .uint8, .utf8: width = 1
        case .int16, .uint16, .utf16: width = 2
        case .int32, .uint32, .single, .utf32: width = 4
        case .double, .int64, .uint64: width = 8
        case .matrix, .compressed: throw corrupt("expected numbers, found data type \(element.type)")
        }
        guard element.data.count % width == 0 else { throw corrupt("\(element.data.count) bytes is not a whole number of \(width)-byte values") }
        let count = element.data.count / width
        if count > 1 << 22 {  // every value becomes a Double, then a reordered copy
            try MemoryBudget.current.require(MemorySize.product(count, 8, 3), for: "\(file): a MAT variable of \(count) values")
        }
        var values: [Double] = []
        values.reserveCapacity(count)
        var offset = element.data.lowerBound
        while offset < element.data.upperBound {
            var raw: UInt64 = 0
            for k in 0..<width {
                let byte = UInt64(bytes[offset + (bigEndian ? k : width - 1 - k)])
                raw = raw << 8 | byte
            }
            switch type {
            case .int8: values.append(Double(Int8(truncatingIfNeeded: raw)))
            case .int16: values.append(Double(Int16(truncatingIfNeeded: raw)))
            case .int32: values.append(Double(Int32(truncatingIfNeeded: raw)))
            case .int64: values.append(Double(Int64(bitPattern: raw)))
            case .single: values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
            case .double: values.append(Double(bitPattern: raw))
            default: values.append(Double(raw))
            }
            offset += width
        }
        return values
    }
}
