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

/// One MATLAB variable (or cell element) as the MAT readers return it.
public indirect enum MATValue: Sendable, Equatable {
    /// A real numeric or logical array.
    case numeric(MATArray)
    /// A cell array: MATLAB's dims and the elements in row-major order.
    case cell(dims: [Int], elements: [MATValue])
    /// Anything else (char, struct, object, sparse, complex, function handle…), by class name.
    case other(className: String)

    /// MATLAB's class name, for messages ("double", "cell", "char", "struct", …).
    public var className: String {
        switch self {
        case .numeric(let array): return array.matlabClass
        case .cell: return "cell"
        case .other(let name): return name
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
