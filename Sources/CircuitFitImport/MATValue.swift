import CircuitFitCore

/// A numeric MATLAB array as CircuitFit holds it: MATLAB's dimensions (at least two, e.g. [1, n]
/// for a row vector) and the values converted to Double in C (row-major) order.
///
/// MATLAB stores arrays column-major (first index fastest), in v5 files and in v7.3 files (where
/// an m × n array is an HDF5 dataset of shape [n, m]). Both readers reorder the values so that
/// `values[(i * dims[1]) + j]` is MATLAB's `A(i+1, j+1)`: the array `scipy.io.loadmat` returns.
public struct MATArray: Sendable, Equatable {
    /// MATLAB's sizes, e.g. [3, 4] for a 3 × 4 matrix.
    public var dims: [Int]
    /// Values in row-major order over `dims`.
    public var values: [Double]
    /// MATLAB's class: "double", "single", "int32", "logical", …
    public var matlabClass: String

    public init(dims: [Int], values: [Double], matlabClass: String) {
        self.dims = dims; self.values = values; self.matlabClass = matlabClass
    }

    /// The values as a vector when the array is one (sizes other than one dimension are 1).
    public var isVector: Bool { dims.filter { $0 != 1 }.count <= 1 }
}

/// A MATLAB char array: an r × c char matrix is r strings of c characters (MATLAB pads shorter
/// rows with spaces, and so does `scipy.io.savemat`; the padding is removed here).
public struct MATText: Sendable, Equatable {
    /// MATLAB's sizes, e.g. [1, 5] for '45deg'.
    public var dims: [Int]
    /// One string per row (dimensions after the second extend each row, as MATLAB's linear
    /// indexing does), trailing spaces removed.
    public var rows: [String]

    public init(dims: [Int], rows: [String]) {
        self.dims = dims; self.rows = rows
    }

    /// Builds the rows from UTF-16 code units stored column-major over `dims`.
    init(dims: [Int], columnMajorCodeUnits units: [UInt16]) {
        self.dims = dims
        let rowCount = dims.first ?? 0
        let width = rowCount == 0 ? 0 : units.count / rowCount
        rows = (0..<rowCount).map { r in
            let codeUnits = (0..<width).map { units[r + $0 * rowCount] }
            let text = String(decoding: codeUnits, as: UTF16.self)
            return String(text.reversed().drop { $0 == " " || $0 == "\u{0}" }.reversed())
        }
    }

    /// The text when the array is one string: a row (1 × n) or empty ('' is 0 × 0).
    public var singleString: String? {
        if rows.isEmpty { return "" }
        return rows.count == 1 ? rows[0] : nil
    }
}

/// A MATLAB struct or struct array: its dims, field names (in file order) and one dictionary of
/// field values per element, in row-major order over `dims` (a 1 × n struct array of trials has
/// n elements, trial k at index k).
public struct MATStruct: Sendable, Equatable {
    public var dims: [Int]
    public var fieldNames: [String]
    public var elements: [[String: MATValue]]

    public init(dims: [Int], fieldNames: [String], elements: [[String: MATValue]]) {
        self.dims = dims; self.fieldNames = fieldNames; self.elements = elements
    }
}

/// One MATLAB variable (or cell element, or struct field) as the MAT readers return it.
public indirect enum MATValue: Sendable, Equatable {
    /// A real numeric or logical array.
    case numeric(MATArray)
    /// A char array (text).
    case text(MATText)
    /// A cell array: MATLAB's dims and the elements in row-major order.
    case cell(dims: [Int], elements: [MATValue])
    /// A struct or struct array.
    case structure(MATStruct)
    /// Anything else (object, sparse, complex, function handle…), by class name.
    case other(className: String)

    /// MATLAB's class name, for messages ("double", "cell", "char", "struct", …).
    public var className: String {
        switch self {
        case .numeric(let array): return array.matlabClass
        case .text: return "char"
        case .cell: return "cell"
        case .structure: return "struct"
        case .other(let name): return name
        }
    }

    /// MATLAB's dims, when known.
    public var dims: [Int]? {
        switch self {
        case .numeric(let array): return array.dims
        case .text(let text): return text.dims
        case .cell(let dims, _): return dims
        case .structure(let s): return s.dims
        case .other: return nil
        }
    }

    /// How MATLAB's `whos` would describe it: "1×80 struct", "3×1 cell", "1×5 char", "sparse".
    public var summary: String {
        guard let dims else { return className }
        return dims.map(String.init).joined(separator: "×") + " " + className
    }

    /// A longer description for error messages: a struct lists its fields.
    public var description: String {
        if case .structure(let s) = self {
            let shown = s.fieldNames.prefix(20).joined(separator: ", ")
            let more = s.fieldNames.count > 20 ? ", … (\(s.fieldNames.count) fields)" : ""
            return "a \(summary) with fields \(shown.isEmpty ? "(none)" : shown + more)"
        }
        switch className {
        case "cell", "char": return "a \(summary)"
        default: return summary
        }
    }
}

/// Reorders values stored column-major (first index fastest, MATLAB's order) over `dims` into
/// row-major (last index fastest, C's order) over the same `dims`.
func rowMajor<T>(fromColumnMajor values: [T], dims: [Int]) -> [T] {
    guard dims.count >= 2, dims.filter({ $0 > 1 }).count > 1 else { return values }
    var columnStrides = [Int](repeating: 1, count: dims.count)
    for k in 1..<dims.count { columnStrides[k] = columnStrides[k - 1] * dims[k - 1] }
    var result: [T] = []
    result.reserveCapacity(values.count)
    var index = [Int](repeating: 0, count: dims.count)
    for _ in 0..<values.count {
        var offset = 0
        for k in 0..<dims.count { offset += index[k] * columnStrides[k] }
        result.append(values[offset])
        var k = dims.count - 1
        while k >= 0 {
            index[k] += 1
            if index[k] < dims[k] { break }
            index[k] = 0
            k -= 1
        }
    }
    return result
}

/// The product of `dims`, or nil when a size is negative or the product overflows.
func checkedProduct(_ dims: [Int]) -> Int? {
    var product = 1
    for size in dims {
        guard size >= 0 else { return nil }
        let (next, overflow) = product.multipliedReportingOverflow(by: size)
        guard !overflow else { return nil }
        product = next
    }
    return product
}
