import Foundation
import CircuitFitCore

/// Variables of a MAT or NPZ file, as `NamedArrayLayout` reads them.
protocol NamedArraySource {
    /// The file path, for messages.
    var path: String { get }
    var format: Recording.Format { get }
    var names: [String] { get }
    /// A numeric array's shape (MATLAB dims for MAT, NumPy shape for NPZ) and row-major values;
    /// a variable of another type is an error naming the variable and its class.
    func numbers(_ name: String) throws -> (shape: [Int], values: [Double])
    /// The numeric vectors of a cell array, or nil when `name` is not a cell array.
    func vectorCell(_ name: String) throws -> [[Double]]?
    /// The numeric vectors of a cell array with one element per trial (an empty [] is an empty
    /// list), or nil when `name` is not a cell array of numbers.
    func numberLists(_ name: String) throws -> [[Double]]?
    /// The strings of a text variable (a cell of char rows, a char matrix with one string per
    /// row, a NumPy string array), or nil when `name` holds numbers.
    func strings(_ name: String) throws -> [String]?
    /// What `name` is, for messages: "1×80 struct with fields …", "[3] float64".
    func describe(_ name: String) -> String
}

extension NamedArraySource {
    /// Every variable with what it is: "trials (1×80 struct with fields …), emg_rate (1×1 double)".
    var inventory: String {
        names.isEmpty ? "no variables" : names.map { "\($0) (\(describe($0)))" }.joined(separator: ", ")
    }
}

/// A MAT file (v5 or v7.3) as a source of named arrays.
struct MATArraySource: NamedArraySource {
    let reader: MATReader

    var path: String { reader.url.path }
    var format: Recording.Format { reader.format }
    var names: [String] { reader.variableNames }

    func numbers(_ name: String) throws -> (shape: [Int], values: [Double]) {
        let array = try reader.numericArray(name)
        return (array.dims, array.values)
    }

    func vectorCell(_ name: String) throws -> [[Double]]? {
        guard case .cell(_, let elements) = try reader.value(name) else { return nil }
        return try elements.enumerated().map { index, element in
            guard case .numeric(let array) = element, array.isVector else {
                throw CircuitFitError("\(path): MAT variable '\(name)' element \(index + 1) is \(element.description), expected a numeric vector")
            }
            return array.values
        }
    }

    func strings(_ name: String) throws -> [String]? {
        try MATArraySource.strings(of: reader.value(name), name: name, file: path)
    }

    func numberLists(_ name: String) throws -> [[Double]]? {
        guard case .cell(_, let elements) = try reader.value(name) else { return nil }
        var lists: [[Double]] = []
        for element in elements {
            guard case .numeric(let array) = element, array.values.isEmpty || array.isVector else { return nil }
            lists.append(array.values)
        }
        return lists
    }

    /// The strings a value holds: a char matrix's rows, or a cell of char rows (empty numeric
    /// elements, MATLAB's [], are empty strings); nil for numbers.
    static func strings(of value: MATValue, name: String, file: String) throws -> [String]? {
        switch value {
        case .text(let text):
            return text.rows
        case .cell(_, let elements):
            guard elements.contains(where: { if case .text = $0 { return true } else { return false } }) else { return nil }
            return try elements.enumerated().map { index, element in
                switch element {
                case .text(let text):
                    if let single = text.singleString { return single }
                case .numeric(let array) where array.values.isEmpty:
                    return ""
                default: break
                }
                throw CircuitFitError("\(file): MAT variable '\(name)' element \(index + 1) is \(element.description), expected text (a cell of strings)")
            }
        default:
            return nil
        }
    }

    func describe(_ name: String) -> String {
        (try? reader.value(name).description) ?? "unreadable"
    }
}

/// An NPZ file (`numpy.savez`) as a source of named arrays (no cells: spikes are flat with an index).
struct NPZArraySource: NamedArraySource {
    let archive: NPZArchive
    let path: String

    init(url: URL) throws {
        path = url.path
        archive = try NPZArchive.read(from: url)
    }

    var format: Recording.Format { .npz }
    var names: [String] { archive.names }

    func numbers(_ name: String) throws -> (shape: [Int], values: [Double]) {
        let array = try archive.require(name)
        guard array.isNumeric else {
            throw CircuitFitError("\(path): array '\(name)' holds strings, expected numbers")
        }
        return (array.shape, array.doubles)
    }

    func vectorCell(_ name: String) throws -> [[Double]]? { nil }

    func numberLists(_ name: String) throws -> [[Double]]? { nil }

    func strings(_ name: String) throws -> [String]? {
        try archive.require(name).strings
    }

    func describe(_ name: String) -> String {
        guard let array = archive[name] else { return "missing" }
        return "[" + array.shape.map(String.init).joined(separator: ", ") + "] " + array.dtypeName
    }
}
