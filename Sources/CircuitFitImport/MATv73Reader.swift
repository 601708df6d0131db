import CircuitFitCore

/// Reads variables from a MATLAB v7.3 MAT file: an HDF5 file (after a 512-byte MATLAB header in
/// the userblock) with one dataset or group per variable, each carrying a `MATLAB_class`
/// attribute ("double", "cell", "char", "struct", …).
///
/// Layout handled (as MATLAB and h5py write it):
/// - MATLAB stores arrays column-major, so an m × n array is an HDF5 dataset of shape [n, m]. The
///   reader reverses the HDF5 shape to get MATLAB's dims and reorders the values to row-major
///   over those dims, giving the same `MATArray` as the v5 reader.
/// - A cell is a dataset of object references (same transposed layout) to datasets under `#refs#`.
/// - An empty array has the attribute `MATLAB_empty` = 1 and stores its dims as its data.
/// - Structs (groups), char, sparse, complex (compound) and objects are returned as `.other`.
struct MATv73Reader {
    let file: HDF5File

    /// Variable names: the members of the root group other than MATLAB's `#refs#`/`#subsystem#`.
    func variableNames() throws -> [String] {
        try file.members(of: "/").filter { !$0.hasPrefix("#") }
    }

    /// The variable or referenced object at `path`.
    func value(at path: String, depth: Int = 0) throws -> MATValue {
        guard depth <= MATv5Parser.maximumDepth else {
            throw CircuitFitError("\(file.url.path): \(path): cells nested more than \(MATv5Parser.maximumDepth) deep")
        }
        let declared = try file.stringAttribute("MATLAB_class", of: path)
        guard file.kind(of: path) == .dataset else { return .other(className: declared ?? "struct") }
        if let empty = try file.doubleAttribute("MATLAB_empty", of: path), empty != 0 {
            return emptyValue(declared ?? "double", at: path)
        }
        let info = try file.info(path)
        let dims = Array(info.shape.reversed()) + (info.shape.count < 2 ? [Int](repeating: 1, count: 2 - info.shape.count) : [])
        switch declared {
        case "cell":
            let targets = try file.readObjectReferences(path)
            let elements = try targets.values.map { try value(at: $0, depth: depth + 1) }
            return .cell(dims: dims, elements: rowMajor(fromColumnMajor: elements, dims: dims))
        case "char", "struct", "sparse", "function_handle", "object":
            return .other(className: declared!)
        default:
            let className = declared ?? "double"
            guard info.valueClass == .integer || info.valueClass == .float else {
                return .other(className: info.valueClass == .other ? "complex \(className)" : className)
            }
            let values = try file.readDoubles(path).values
            return .numeric(MATArray(dims: dims, values: rowMajor(fromColumnMajor: values, dims: dims), matlabClass: className))
        }
    }

    /// An empty array: its dims are its data (when readable), e.g. [0, 0] or [1, 0].
    private func emptyValue(_ className: String, at path: String) -> MATValue {
        guard className != "cell", className != "char" else { return className == "cell" ? .cell(dims: [0, 0], elements: []) : .other(className: className) }
        let stored = (try? file.readDoubles(path).values) ?? []
        let dims = stored.count >= 2 && stored.allSatisfy({ $0 >= 0 && $0 < 1e15 }) ? stored.map { Int($0) } : [0, 0]
        return .numeric(MATArray(dims: checkedProduct(dims) == 0 ? dims : [0, 0], values: [], matlabClass: className))
    }
}
