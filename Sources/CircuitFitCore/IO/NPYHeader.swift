/// The Python-literal dictionary at the start of a `.npy` file, e.g.
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`: parsing and formatting.
struct NPYHeader: Equatable {
    /// The dtype string as written, e.g. "<f8"; nil when the dtype is structured (a list).
    var descr: String?
    var fortranOrder: Bool
    var shape: [Int]

    /// The dictionary text NumPy writes (without padding).
    var text: String {
        let dims = shape.map(String.init)
        let tuple = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        return "{'descr': '\(descr ?? "")', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(tuple), }"
    }

    /// Parses the dictionary; `subject` ("file.npz: array 'x'") starts every error message.
    static func parse(_ bytes: ArraySlice<UInt8>, subject: String) throws -> NPYHeader {
        func bad(_ problem: String) -> CircuitFitError {
            CircuitFitError("\(subject) has a bad .npy header: \(problem)")
        }
        var parser = PythonLiteralParser(bytes: Array(bytes))
        let dictionary: [String: PythonLiteral]
        do {
            guard case .dictionary(let entries) = try parser.parseDocument() else {
                throw bad("it is not a dictionary")
            }
            dictionary = entries
        } catch let error as PythonLiteralParser.SyntaxError {
            throw bad(error.message)
        }

        guard let descrValue = dictionary["descr"] else { throw bad("no 'descr' key") }
        let descr: String?
        switch descrValue {
        case .string(let s): descr = s
        case .sequence: descr = nil
        default: throw bad("'descr' is not a string")
        }

        guard let orderValue = dictionary["fortran_order"] else { throw bad("no 'fortran_order' key") }
        guard case .bool(let fortranOrder) = orderValue else { throw bad("'fortran_order' is not True or False") }

        guard let shapeValue = dictionary["shape"] else { throw bad("no 'shape' key") }
        guard case .sequence(let items) = shapeValue else { throw bad("'shape' is not a tuple") }
        var shape: [Int] = []
        for item in items {
            guard case .integer(let size) = item, size >= 0 else {
                throw bad("'shape' holds something other than non-negative integers")
            }
            shape.append(size)
        }
        return NPYHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }
}

/// A value of the small Python literal language used by `.npy` headers.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case sequence([PythonLiteral])  // tuple or list
    case dictionary([String: PythonLiteral])
}

/// A recursive-descent parser for Python literals (strings, integers, True/False/None, tuples,
/// lists, dictionaries with string keys). Nesting depth is capped, so hostile input cannot
/// exhaust the stack.
struct PythonLiteralParser {
    struct SyntaxError: Error { let message: String }

    private let bytes: [UInt8]
    private var position = 0
    private static let maximumDepth = 16

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// One value followed only by whitespace.
    mutating func parseDocument() throws -> PythonLiteral {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the dictionary") }
        return value
    }

    private func fail(_ message: String) -> SyntaxError { SyntaxError(message: message) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0x00 { position += 1 }
    }

    private mutating func parseValue(depth: Int) throws -> PythonLiteral {
        guard depth < PythonLiteralParser.maximumDepth else { throw fail("nested too deeply") }
        skipWhitespace()
        guard let c = current else { throw fail("it ends too early") }
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "("): return .sequence(try parseSequence(closing: UInt8(ascii: ")"), depth: depth))
        case UInt8(ascii: "["): return .sequence(try parseSequence(closing: UInt8(ascii: "]"), depth: depth))
        case UInt8(ascii: "{"): return .dictionary(try parseDictionary(depth: depth))
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try parseInteger())
        default: return try parseName()
        }
    }

    private mutating func parseString() throws -> String {
        let quote = bytes[position]
        position += 1
        var content: [UInt8] = []
        while let c = current {
            position += 1
            if c == quote { return String(decoding: content, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard let escaped = current else { break }
                content.append(escaped)
                position += 1
            } else {
                content.append(c)
            }
        }
        throw fail("a string is not closed")
    }

    private mutating func parseInteger() throws -> Int {
        var negative = false
        if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") {
            negative = current == UInt8(ascii: "-")
            position += 1
        }
        var value = 0
        var digits = 0
        while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw fail("an integer is too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("a number has no digits") }
        if current == UInt8(ascii: "L") || current == UInt8(ascii: "l") { position += 1 }  // Python 2 long
        return negative ? -value : value
    }

    private mutating func parseName() throws -> PythonLiteral {
        let start = position
        while let c = current, (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) {
            position += 1
        }
        switch String(decoding: bytes[start..<position], as: UTF8.self) {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        case "": throw fail("unexpected character '\(Unicode.Scalar(bytes[start]))'")
        case let other: throw fail("unknown name '\(other)'")
        }
    }

    private mutating func parseSequence(closing: UInt8, depth: Int) throws -> [PythonLiteral] {
        position += 1  // opening bracket
        var items: [PythonLiteral] = []
        while true {
            skipWhitespace()
            if current == closing { position += 1; return items }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            guard current == closing else { throw fail("a tuple or list is not closed") }
        }
    }

    private mutating func parseDictionary(depth: Int) throws -> [String: PythonLiteral] {
        position += 1  // opening brace
        var entries: [String: PythonLiteral] = [:]
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return entries }
            guard case .string(let key) = try parseValue(depth: depth + 1) else {
                throw fail("a dictionary key is not a string")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after '\(key)'") }
            position += 1
            entries[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            guard current == UInt8(ascii: "}") else { throw fail("the dictionary is not closed") }
        }
    }
}
