import Foundation

/// The named arrays of one NumPy `.npz` file, in file order: read with `read(from:)`, build with
/// `set(_:_:)`, save atomically with `write(to:)`. The typed getters (`matrix`, `array3`,
/// `vector`, `scalar`, …) check shapes and throw one-line errors naming the file, the array and
/// the expected versus actual shape. Files read and written are the ones `numpy.load` and
/// `numpy.savez` / `numpy.savez_compressed` use.
public struct NPZArchive: Equatable, Sendable {
    /// The file's name (last path component) that starts every error message, e.g. "dataset.npz".
    public var fileName: String
    /// Array names in order (without the ".npy" the ZIP entries carry).
    public private(set) var names: [String] = []
    private var arrays: [String: NPYArray] = [:]

    /// An empty archive.
    public init(fileName: String = "arrays.npz") {
        self.fileName = fileName
    }

    /// An archive holding `arrays` in the given order.
    public init(_ arrays: KeyValuePairs<String, NPYArray>, fileName: String = "arrays.npz") {
        self.fileName = fileName
        for (name, array) in arrays { set(name, array) }
    }

    /// Archives are equal when they hold the same names in the same order with equal arrays;
    /// the file name does not count.
    public static func == (a: NPZArchive, b: NPZArchive) -> Bool {
        a.names == b.names && a.arrays == b.arrays
    }

    /// The array called `name`, or nil.
    public subscript(name: String) -> NPYArray? { arrays[name] }

    /// Adds `array` as `name` at the end, or replaces the array of that name in place.
    public mutating func set(_ name: String, _ array: NPYArray) {
        if arrays.updateValue(array, forKey: name) == nil { names.append(name) }
    }

    // MARK: Reading and writing

    /// Reads the `.npz` file at `url`.
    public static func read(from url: URL) throws -> NPZArchive {
        try decode(FileContents.read(url), fileName: url.lastPathComponent)
    }

    /// Decodes `.npz` bytes; `fileName` names the source in error messages.
    public static func decode(_ data: Data, fileName: String) throws -> NPZArchive {
        try decode([UInt8](data), fileName: fileName)
    }

    static func decode(_ bytes: [UInt8], fileName: String) throws -> NPZArchive {
        var archive = NPZArchive(fileName: fileName)
        for entry in try ZipReader(bytes: bytes, file: fileName).entries() where !entry.name.hasSuffix("/") {
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            guard archive[name] == nil else {
                throw CircuitFitError("\(fileName): array '\(name)' appears twice in the archive")
            }
            archive.set(name, try NPYFormat.decode(entry.bytes, subject: NPYFormat.subject(file: fileName, array: name)))
        }
        return archive
    }

    /// The `.npz` bytes: one stored `<name>.npy` entry per array, in order.
    public func encoded() -> Data { Data(encodedBytes()) }

    func encodedBytes(zip64Limit: Int = Int(Zip.overflow32)) -> [UInt8] {
        let entries = names.map { ZipEntry(name: $0 + ".npy", bytes: NPYFormat.encodeBytes(arrays[$0]!)) }
        return ZipWriter.archive(entries, zip64Limit: zip64Limit)
    }

    /// Writes the archive to `url` atomically (see `AtomicFile`).
    public func write(to url: URL) throws {
        try encodedBytes().withUnsafeBytes { try AtomicFile.write($0, to: url) }
    }

    // MARK: Typed getters

    /// The array called `name`, or an error listing the arrays the file has.
    public func require(_ name: String) throws -> NPYArray {
        if let array = arrays[name] { return array }
        let present = names.isEmpty ? "the file holds no arrays" : "has: " + names.joined(separator: ", ")
        throw CircuitFitError("\(fileName): missing array '\(name)' (\(present))")
    }

    /// A 2-D array as a Double matrix; `rows`/`cols` (when given) must match. `dims` names the
    /// dimensions in messages, e.g. "[N,N]".
    public func matrix(_ name: String, rows: Int? = nil, cols: Int? = nil, dims: String = "[rows,cols]") throws -> Matrix<Double> {
        let array = try shaped(name, [rows, cols], dims: dims)
        return Matrix(rows: array.shape[0], cols: array.shape[1], data: array.doubles)
    }

    /// A 3-D array as a Double `Array3`; each given size must match. `dims` names the dimensions
    /// in messages, e.g. "[C,T,K]" (conditions, time steps, muscles).
    public func array3(_ name: String, _ d0: Int?, _ d1: Int?, _ d2: Int?, dims: String = "[C,T,K]") throws -> Array3<Double> {
        let array = try shaped(name, [d0, d1, d2], dims: dims)
        return Array3(array.shape[0], array.shape[1], array.shape[2], data: array.doubles)
    }

    /// A 1-D array as Doubles; `count` (when given) must match.
    public func vector(_ name: String, count: Int? = nil, dims: String = "[n]") throws -> [Double] {
        try shaped(name, [count], dims: dims).doubles
    }

    /// A 1-D array of whole numbers as Ints (float arrays must hold integral values).
    public func intVector(_ name: String, count: Int? = nil, dims: String = "[n]") throws -> [Int] {
        let array = try shaped(name, [count], dims: dims)
        return try integers(of: array, name: name)
    }

    /// A scalar (0-d array, or any array of exactly one value) as a Double.
    public func scalar(_ name: String) throws -> Double {
        try single(name).doubles[0]
    }

    /// A scalar holding a whole number, as an Int.
    public func intScalar(_ name: String) throws -> Int {
        try integers(of: single(name), name: name)[0]
    }

    /// The strings of a string array (NumPy `<U` or `|S`), any shape, in C order.
    public func strings(_ name: String) throws -> [String] {
        let array = try require(name)
        guard let strings = array.strings else {
            throw CircuitFitError("\(fileName): array '\(name)' holds numbers (\(array.dtypeName)) but expected strings")
        }
        return strings
    }

    /// Throws unless the array holds numbers.
    private func numeric(_ array: NPYArray, _ name: String) throws -> NPYArray {
        guard array.isNumeric else {
            throw CircuitFitError("\(fileName): array '\(name)' holds strings but expected numbers")
        }
        return array
    }

    private func single(_ name: String) throws -> NPYArray {
        let array = try numeric(require(name), name)
        guard array.count == 1 else {
            throw CircuitFitError("\(fileName): array '\(name)' has shape \(Self.text(array.shape)) but expected a scalar")
        }
        return array
    }

    /// The array, after checking its number of dimensions and each size that is not nil.
    private func shaped(_ name: String, _ expected: [Int?], dims: String) throws -> NPYArray {
        let array = try numeric(require(name), name)
        let prefix = "\(fileName): array '\(name)' has shape \(Self.text(array.shape)) but expected"
        guard array.shape.count == expected.count else {
            let plural = expected.count == 1 ? "" : "s"
            throw CircuitFitError("\(prefix) \(expected.count) dimension\(plural) \(dims)")
        }
        let matches = zip(array.shape, expected).allSatisfy { actual, wanted in wanted.map { $0 == actual } ?? true }
        guard matches else {
            let labels = Self.labels(of: dims, count: expected.count)
            let wanted = zip(expected, labels).map { size, label in size.map(String.init) ?? label }
            throw CircuitFitError("\(prefix) [\(wanted.joined(separator: ", "))] (\(dims))")
        }
        return array
    }

    private func integers(of array: NPYArray, name: String) throws -> [Int] {
        if case .int64(let values) = array.storage { return values.map { Int($0) } }
        for (index, value) in array.doubles.enumerated() where !(value.rounded() == value && abs(value) < 0x1p63) {
            let position = array.count == 1 ? "" : " at index \(index)"
            throw CircuitFitError("\(fileName): array '\(name)' holds \(value)\(position) but expected whole numbers")
        }
        return array.ints
    }

    /// "[8, 120, 2]".
    private static func text(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The names inside "[C,T,K]", or "*" for each dimension when they do not fit.
    private static func labels(of dims: String, count: Int) -> [String] {
        let inner = dims.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        let labels = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return labels.count == count ? labels : Array(repeating: "*", count: count)
    }
}
