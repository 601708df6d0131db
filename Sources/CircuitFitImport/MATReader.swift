import Foundation
import CircuitFitCore

/// The variables of a MATLAB MAT file, v5 (`scipy.io.savemat`, MATLAB `-v7`) or v7.3 (HDF5).
///
/// Numeric arrays come back as `MATArray`s with MATLAB's dims and row-major values (see
/// `MATArray` for how the column-major storage of both versions is reordered), so a v5 file and a
/// v7.3 file of the same variables give equal arrays. Cells (e.g. one spike-time vector per unit,
/// or a cellstr of condition labels) come back as `.cell`, char arrays as `.text`, structs and
/// struct arrays (e.g. one element per trial) as `.structure`. Asking for numbers from a variable
/// of another class is an error naming the variable, its class and size.
public struct MATReader {
    public let url: URL
    /// `.matV5` or `.matV73`, recognised from the contents.
    public let format: Recording.Format
    /// Variable names in file order (v5) or sorted (v7.3).
    public let variableNames: [String]
    private let storage: Storage

    private enum Storage {
        case parsed([String: MATValue])
        case hdf5(MATv73Reader)
    }

    /// Reads the MAT file at `url`, recognising the version from its contents.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let header = try Self.firstBytes(of: url, count: 128)
        if MATv5Parser.hasHeader(header) {
            let variables = try MATv5Parser.parse(FileContents.read(url), file: path)
            format = .matV5
            variableNames = variables.map(\.name)
            storage = .parsed(Dictionary(variables.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }))
        } else if header.starts(with: Array("MATLAB 7.3".utf8)) || header.starts(with: [0x89, 0x48, 0x44, 0x46]) {
            let reader = MATv73Reader(file: try HDF5File(url: url))
            format = .matV73
            variableNames = try reader.variableNames()
            storage = .hdf5(reader)
        } else {
            throw CircuitFitError("\(path): not a MAT v5 or v7.3 file (no 'MATLAB 5.0 MAT-file' header and not HDF5; MATLAB v4 files are not supported)")
        }
    }

    /// The variable called `name`, or an error listing the variables the file has.
    public func value(_ name: String) throws -> MATValue {
        guard variableNames.contains(name) else {
            throw CircuitFitError("\(url.path): no variable '\(name)'; the file has: \(variableNames.joined(separator: ", "))")
        }
        switch storage {
        case .parsed(let variables): return variables[name]!
        case .hdf5(let reader): return try reader.value(at: "/" + name)
        }
    }

    /// The real numeric (or logical) array `name`; any other class is an error.
    public func numericArray(_ name: String) throws -> MATArray {
        let value = try value(name)
        guard case .numeric(let array) = value else {
            throw CircuitFitError("\(url.path): MAT variable '\(name)' is \(value.description), expected a real numeric array")
        }
        return array
    }

    /// Up to `count` bytes from the start of the file (to recognise the version without reading
    /// a large v7.3 file into memory).
    static func firstBytes(of url: URL, count: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            _ = try FileContents.read(url)  // throws the system's reason
            throw CircuitFitError("cannot read \(url.path)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: count)) ?? nil
        return [UInt8](data ?? Data())
    }
}
