import Foundation
import CircuitFitCore

/// A MAT file (v5 or v7.3) as a source of named arrays.
struct MATArraySource: NamedArraySource {
    let reader: MATReader

    var path: String { reader.url.path }
    var format: Recording.Format { reader.version == .v5 ? .matV5 : .matV73 }
    var names: [String] { reader.variableNames }

    func numbers(_ name: String) throws -> (shape: [Int], values: [Double]) {
        let array = try reader.numericArray(name)
        return (array.dims, array.values)
    }

    func vectorCell(_ name: String) throws -> [[Double]]? {
        guard case .cell(_, let elements) = try reader.value(name) else { return nil }
        return try elements.enumerated().map { index, element in
            guard case .numeric(let array) = element, array.isVector else {
                throw CircuitFitError("\(path): MAT variable '\(name)' element \(index + 1) is \(MATReader.describe(element.className)), expected a numeric vector")
            }
            return array.values
        }
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
        return (array.shape, array.doubles)
    }

    func vectorCell(_ name: String) throws -> [[Double]]? { nil }
}
