import Foundation

/// Loads a configuration struct from JSON: keys the file leaves out keep their defaults; a key
/// the struct does not have, a key given twice, or a value of the wrong type is an error that
/// names the key (a typo must never be silently ignored), e.g.
/// "circuit.json: key 'neurons' must be a whole number, got 20.5".
public enum ConfigFile {
    /// `defaults` overlaid with the JSON object in `url`.
    public static func load<T: Codable>(_ defaults: T, from url: URL) throws -> T {
        let bytes: [UInt8]
        do { bytes = try FileContents.read(url) } catch let error as CircuitFitError {
            throw CircuitFitError("config: \(error.message)")
        }
        return try overlay(defaults, json: Data(bytes), source: url.lastPathComponent)
    }

    /// `defaults` overlaid with a JSON object given as bytes; `source` names it in errors.
    public static func overlay<T: Codable>(_ defaults: T, json: Data, source: String) throws -> T {
        // strict JSON (Foundation's parser also takes trailing commas), with where it goes wrong
        if let problem = JSONSyntax.firstProblem(in: [UInt8](json)) { throw CircuitFitError("\(source): not valid JSON (\(problem))") }
        let user: Any
        do { user = try JSONSerialization.jsonObject(with: json) } catch {
            throw CircuitFitError("\(source): not valid JSON (it cannot be parsed)")
        }
        guard let userObject = user as? [String: Any] else { throw CircuitFitError("\(source): expected a JSON object at the top level") }
        if let duplicate = JSONSyntax.firstDuplicateKey(in: [UInt8](json)) {
            throw CircuitFitError("\(source): key '\(duplicate)' is given more than once")
        }
        let base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as! [String: Any]
        let merged = try merge(base, userObject, path: "", source: source)
        do {
            return try decode(T.self, merged)
        } catch {
            throw describe(error, T.self, base: base, user: userObject, source: source)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ object: [String: Any]) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: object))
    }

    private static func merge(_ base: [String: Any], _ user: [String: Any], path: String, source: String) throws -> [String: Any] {
        var out = base
        for key in user.keys.sorted() {
            let full = path.isEmpty ? key : "\(path).\(key)"
            guard let baseValue = base[key] else {
                let known = base.keys.sorted().joined(separator: ", ")
                throw CircuitFitError("\(source): unknown key '\(full)' (known keys: \(known))")
            }
            if let b = baseValue as? [String: Any], let u = user[key] as? [String: Any] {
                out[key] = try merge(b, u, path: full, source: source)
            } else {
                out[key] = user[key]
            }
        }
        return out
    }

    // MARK: Naming the key of a decoding error

    /// One line naming the key whose value does not decode: each key of the user's object is
    /// tried alone over the defaults, so the culprit is found whatever the decoder reports.
    private static func describe<T: Decodable>(_ error: Error, _ type: T.Type, base: [String: Any], user: [String: Any], source: String) -> CircuitFitError {
        for (path, value) in leaves(user, prefix: []) {
            guard let single = try? merge(base, nested(path, value), path: "", source: source) else { continue }
            do { _ = try decode(T.self, single) } catch {
                return CircuitFitError("\(source): key '\(path.joined(separator: "."))' \(expectation(error, value: value)), got \(text(of: value))")
            }
        }
        return CircuitFitError("\(source): the values do not fit together (\(summary(of: error)))")
    }

    /// Every (key path, value) of `object`, nested objects flattened.
    private static func leaves(_ object: [String: Any], prefix: [String]) -> [([String], Any)] {
        object.keys.sorted().flatMap { key -> [([String], Any)] in
            if let inner = object[key] as? [String: Any], !inner.isEmpty { return leaves(inner, prefix: prefix + [key]) }
            return [(prefix + [key], object[key]!)]
        }
    }

    /// {"a": {"b": value}} for the path ["a", "b"].
    private static func nested(_ path: [String], _ value: Any) -> [String: Any] {
        var object: [String: Any] = [path.last!: value]
        for key in path.dropLast().reversed() { object = [key: object] }
        return object
    }

    /// "must be a whole number", "must be true or false", … from the decoder's error.
    private static func expectation(_ error: Error, value: Any) -> String {
        switch error {
        case DecodingError.typeMismatch(let type, _):
            return "must be \(describe(type))"
        case DecodingError.valueNotFound(let type, _):
            return "must be \(describe(type)), not null"
        case DecodingError.dataCorrupted:
            if let number = value as? NSNumber, !(value is Bool) {
                let x = number.doubleValue
                if x.rounded() != x { return "must be a whole number" }
                if x < 0 { return "must be a whole number ≥ 0" }
                return "must be a whole number below 9.2e18"
            }
            if value is String { return "has a value that is not one of its allowed names" }
            return "has a value of the wrong kind"
        default:
            return "cannot be read (\(summary(of: error)))"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type: return "a whole number"
        case is UInt64.Type, is UInt.Type, is UInt32.Type: return "a whole number ≥ 0"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a \(name)"
        }
    }

    /// The value as JSON text, e.g. 20.5, "linear", [1,2].
    private static func text(of value: Any) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
            let s = String(decoding: data, as: UTF8.self)
            return s.count > 60 ? String(s.prefix(57)) + "…" : s
        }
        return "\(value)"
    }

    /// A decoding error in a few words (never the whole debug dump).
    private static func summary(of error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(let type, let c), DecodingError.valueNotFound(let type, let c):
            return "'\(c.codingPath.map(\.stringValue).joined(separator: "."))' must be \(describe(type))"
        case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "unknown error"
        }
    }
}

/// A small scanner of JSON text for what JSONSerialization does not say: a key repeated in
/// one object (which it silently resolves), and where a syntax error is.
enum JSONSyntax {
    /// The dotted path of the first key given twice in the same object, or nil.
    static func firstDuplicateKey(in bytes: [UInt8]) -> String? {
        // one frame per open object or array: the keys seen and the key the frame is under
        var frames: [(isObject: Bool, keys: Set<String>, path: String)] = []
        var lastKey = ""
        var index = 0
        while index < bytes.count {
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "\""):
                guard let (string, end) = readString(bytes, from: index) else { return nil }
                index = end
                var next = index
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: ":"), let top = frames.last, top.isObject {
                    let path = top.path.isEmpty ? string : top.path + "." + string
                    if top.keys.contains(string) { return path }
                    frames[frames.count - 1].keys.insert(string)
                    lastKey = path
                }
                continue
            case UInt8(ascii: "{"):
                let inArray = frames.last.map { !$0.isObject } ?? false
                frames.append((true, [], frames.isEmpty ? "" : (inArray ? frames.last!.path + "[]" : lastKey)))
            case UInt8(ascii: "["):
                frames.append((false, [], frames.isEmpty ? "" : lastKey))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !frames.isEmpty { frames.removeLast() }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The string starting at the quote at `start` (escapes kept as written) and the index after
    /// its closing quote; nil when it is not closed.
    private static func readString(_ bytes: [UInt8], from start: Int) -> (String, Int)? {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
            if bytes[index] == UInt8(ascii: "\"") {
                return (String(decoding: bytes[(start + 1)..<index], as: UTF8.self), index + 1)
            }
            index += 1
        }
        return nil
    }

    /// Where and what the first syntax error is, e.g. "line 1, column 12: expected ':' after
    /// the key \"neurons\"", or nil when the text is valid JSON.
    static func firstProblem(in bytes: [UInt8]) -> String? {
        var parser = Validator(bytes: bytes)
        return parser.problem()
    }

    /// A recursive-descent check of JSON syntax (RFC 8259), for error messages only.
    private struct Validator {
        let bytes: [UInt8]
        var index = 0
        struct Problem: Error { var at: Int; var message: String }

        mutating func problem() -> String? {
            do {
                try value(depth: 0)
                skipSpace()
                if index < bytes.count { throw Problem(at: index, message: "unexpected text after the JSON value") }
                return nil
            } catch let p as Problem {
                return "\(position(p.at)): \(p.message)"
            } catch { return nil }
        }

        func position(_ i: Int) -> String {
            let before = bytes[..<min(i, bytes.count)]
            let line = before.filter { $0 == 0x0A }.count + 1
            let column = i - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            return "line \(line), column \(column)"
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { index += 1 }
        }

        mutating func expect(_ c: Character, _ context: String) throws {
            skipSpace()
            guard current == c.asciiValue else { throw Problem(at: index, message: "expected '\(c)' \(context)") }
            index += 1
        }

        mutating func value(depth: Int) throws {
            guard depth < 512 else { throw Problem(at: index, message: "nested too deeply") }
            skipSpace()
            guard let c = current else { throw Problem(at: index, message: "the text ends where a value was expected") }
            switch c {
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                if current == UInt8(ascii: "}") { index += 1; return }
                while true {
                    skipSpace()
                    guard current == UInt8(ascii: "\"") else { throw Problem(at: index, message: "expected a key in double quotes") }
                    let start = index
                    try string()
                    let key = String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self)
                    try expect(":", "after the key \"\(key)\"")
                    try value(depth: depth + 1)
                    skipSpace()
                    if current == UInt8(ascii: ",") { index += 1; continue }
                    try expect("}", "or ',' after the value of \"\(key)\"")
                    return
                }
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if current == UInt8(ascii: "]") { index += 1; return }
                while true {
                    try value(depth: depth + 1)
                    skipSpace()
                    if current == UInt8(ascii: ",") { index += 1; continue }
                    try expect("]", "or ',' in a list")
                    return
                }
            case UInt8(ascii: "\""):
                try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                index += 1
                while let d = current, (d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9")) || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(d) { index += 1 }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                guard text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil else {
                    throw Problem(at: start, message: "'\(text)' is not a JSON number")
                }
            default:
                for word in ["true", "false", "null"] where bytes[index...].starts(with: Array(word.utf8)) {
                    index += word.utf8.count
                    return
                }
                let scalar = Unicode.Scalar(c)
                throw Problem(at: index, message: "unexpected character '\(Character(scalar))' (text must be in double quotes; NaN and Infinity are not JSON)")
            }
        }

        mutating func string() throws {
            let start = index
            index += 1
            while let c = current {
                index += 1
                if c == UInt8(ascii: "\\") { index += 1; continue }
                if c == UInt8(ascii: "\"") { return }
                if c < 0x20 { throw Problem(at: index - 1, message: "a control character inside a string") }
            }
            throw Problem(at: start, message: "a string is not closed")
        }
    }
}
