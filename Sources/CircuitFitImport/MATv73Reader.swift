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
/// - char is a uint16 dataset of UTF-16 code units (same transposed layout).
/// - A scalar struct is a group whose members are its fields. A struct array is a group whose
///   members are datasets of object references without a `MATLAB_class` (one reference per
///   element, in the struct array's transposed layout), each pointing to that element's value.
/// - An empty array has the attribute `MATLAB_empty` = 1 and stores its dims as its data.
/// - Sparse, complex (compound), function handles and objects are returned as `.other`.
struct MATv73Reader {
    let file: HDF5File

    /// Variable names: the members of the root group other than MATLAB's `#refs#`/`#subsystem#`.
    func variableNames() throws -> [String] {
        try file.members(of: "/").filter { !$0.hasPrefix("#") }
    }

    /// The variable or referenced object at `path`.
    func value(at path: String, depth: Int = 0) throws -> MATValue {
        guard depth <= MATv5Parser.maximumDepth else {
            throw CircuitFitError("\(file.url.path): \(path): cells or structs nested more than \(MATv5Parser.maximumDepth) deep")
        }
        let declared = try file.stringAttribute("MATLAB_class", of: path)
        switch file.kind(of: path) {
        case .group?:
            guard declared == nil || declared == "struct" else { return .other(className: declared!) }
            return .structure(try structure(at: path, depth: depth))
        case .dataset?: break
        default: return .other(className: declared ?? "unknown")
        }
        if let empty = try file.doubleAttribute("MATLAB_empty", of: path), empty != 0 {
            return emptyValue(declared ?? "double", at: path)
        }
        let info = try file.info(path)
        let dims = Self.matlabDims(info.shape)
        switch declared {
        case "cell":
            let targets = try file.readObjectReferences(path)
            let elements = try targets.values.map { try value(at: $0, depth: depth + 1) }
            return .cell(dims: dims, elements: rowMajor(fromColumnMajor: elements, dims: dims))
        case "char":
            guard info.valueClass == .integer else { return .other(className: "char") }
            let units = try file.readDoubles(path).values.map { UInt16(clamping: Int(exactly: $0) ?? 0) }
            return .text(MATText(dims: dims, columnMajorCodeUnits: units))
        case "struct", "sparse", "function_handle", "object":
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

    /// MATLAB's dims of a dataset of HDF5 shape `shape` (reversed, at least two).
    static func matlabDims(_ shape: [Int]) -> [Int] {
        Array(shape.reversed()) + (shape.count < 2 ? [Int](repeating: 1, count: 2 - shape.count) : [])
    }

    /// The struct (scalar, or struct array) stored as the group at `path`.
    private func structure(at path: String, depth: Int) throws -> MATStruct {
        let fields = try file.members(of: path).filter { !$0.hasPrefix("#") }
        // A struct array's fields are reference datasets without a MATLAB_class.
        var arrayFields: [String: HDF5File.Values<String>] = [:]
        for field in fields {
            let fieldPath = path + "/" + field
            guard file.kind(of: fieldPath) == .dataset, try file.stringAttribute("MATLAB_class", of: fieldPath) == nil,
                  try file.info(fieldPath).valueClass == .objectReference else { continue }
            arrayFields[field] = try file.readObjectReferences(fieldPath)
        }
        if !fields.isEmpty, arrayFields.count == fields.count {
            let shape = arrayFields[fields[0]]!.shape
            guard fields.allSatisfy({ arrayFields[$0]!.shape == shape }) else {
                throw CircuitFitError("\(file.url.path): \(path): the struct array's fields have different sizes")
            }
            let dims = Self.matlabDims(shape)
            let count = shape.reduce(1, *)
            var elements: [[String: MATValue]] = Array(repeating: [:], count: count)
            for field in fields {
                for (index, target) in arrayFields[field]!.values.enumerated() {
                    elements[index][field] = try value(at: target, depth: depth + 1)
                }
            }
            return MATStruct(dims: dims, fieldNames: fields, elements: rowMajor(fromColumnMajor: elements, dims: dims))
        }
        var element: [String: MATValue] = [:]
        for field in fields { element[field] = try value(at: path + "/" + field, depth: depth + 1) }
        return MATStruct(dims: [1, 1], fieldNames: fields, elements: [element])
    }

    /// An empty array: its dims are its data (when readable), e.g. [0, 0] or [1, 0].
    private func emptyValue(_ className: String, at path: String) -> MATValue {
        if className == "cell" { return .cell(dims: [0, 0], elements: []) }
        if className == "char" { return .text(MATText(dims: [0, 0], rows: [])) }
        if className == "struct" { return .structure(MATStruct(dims: [0, 0], fieldNames: [], elements: [])) }
        let stored = (try? file.readDoubles(path).values) ?? []
        let dims = stored.count >= 2 && stored.allSatisfy({ $0 >= 0 && $0 < 1e15 }) ? stored.map { Int($0) } : [0, 0]
        return .numeric(MATArray(dims: checkedProduct(dims) == 0 ? dims : [0, 0], values: [], matlabClass: className))
    }
}
