/// One NumPy array as CircuitFit keeps it in memory: a C-order shape and flat little-endian-agnostic
/// storage of one of the dtypes CircuitFit writes (float32, float64, int64, and unicode strings for
/// text such as condition labels). Shape `[]` is a scalar (NumPy's 0-d array). Read from and written to `.npy`/`.npz` by `NPYFormat` and `NPZArchive`.
public struct NPYArray: Equatable, Sendable {
    /// The values in C order, in one of the three stored dtypes.
    public enum Storage: Equatable, Sendable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
        /// Text (NumPy `<U` unicode or `|S` byte strings), trailing NULs removed.
        case strings([String])
    }

    /// Sizes of the dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// The values in C (row-major) order.
    public let storage: Storage

    /// An array over existing storage; the number of values must match the shape.
    public init(shape: [Int], storage: Storage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NPYArray: negative size in shape \(shape)")
        let expected = NPYArray.elementCount(of: shape)
        precondition(expected != nil, "NPYArray: shape \(shape) has too many elements")
        let actual: Int
        switch storage {
        case .float32(let v): actual = v.count
        case .float64(let v): actual = v.count
        case .int64(let v): actual = v.count
        case .strings(let v): actual = v.count
        }
        precondition(actual == expected, "NPYArray: \(actual) values for shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A string array (written as NumPy `<U`); `shape` defaults to a vector of all values.
    public init(strings values: [String], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .strings(values))
    }

    /// A float64 array; `shape` defaults to a vector of all values.
    public init(_ values: [Double], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .float64(values))
    }

    /// A float32 array; `shape` defaults to a vector of all values.
    public init(_ values: [Float], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .float32(values))
    }

    /// An int64 array; `shape` defaults to a vector of all values.
    public init(_ values: [Int64], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .int64(values))
    }

    /// An int64 array from `Int`s; `shape` defaults to a vector of all values.
    public init(_ values: [Int], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .int64(values.map { Int64($0) }))
    }

    /// A float64 scalar (0-d array).
    public init(scalar: Double) { self.init(shape: [], storage: .float64([scalar])) }
    /// A float32 scalar (0-d array).
    public init(scalar: Float) { self.init(shape: [], storage: .float32([scalar])) }
    /// An int64 scalar (0-d array).
    public init(scalar: Int64) { self.init(shape: [], storage: .int64([scalar])) }
    /// An int64 scalar (0-d array) from an `Int`.
    public init(scalar: Int) { self.init(shape: [], storage: .int64([Int64(scalar)])) }

    /// A [rows, cols] float64 array.
    public init(_ matrix: Matrix<Double>) {
        self.init(shape: [matrix.rows, matrix.cols], storage: .float64(matrix.data))
    }

    /// A [rows, cols] float32 array.
    public init(_ matrix: Matrix<Float>) {
        self.init(shape: [matrix.rows, matrix.cols], storage: .float32(matrix.data))
    }

    /// A [d0, d1, d2] float64 array.
    public init(_ array: Array3<Double>) {
        self.init(shape: array.shape, storage: .float64(array.data))
    }

    /// A [d0, d1, d2] float32 array.
    public init(_ array: Array3<Float>) {
        self.init(shape: array.shape, storage: .float32(array.data))
    }

    /// Number of values (product of the shape; 1 for a scalar).
    public var count: Int {
        switch storage {
        case .float32(let v): return v.count
        case .float64(let v): return v.count
        case .int64(let v): return v.count
        case .strings(let v): return v.count
        }
    }

    /// NumPy's name of the stored dtype: "float32", "float64", "int64" or "str".
    public var dtypeName: String {
        switch storage {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int64: return "int64"
        case .strings: return "str"
        }
    }

    /// Whether the array holds numbers (not strings).
    public var isNumeric: Bool {
        if case .strings = storage { return false }
        return true
    }

    /// The strings of a string array, or nil for a numeric one.
    public var strings: [String]? {
        if case .strings(let v) = storage { return v }
        return nil
    }

    /// The values as Double (int64 values beyond 2^53 round to the nearest Double; strings are
    /// NaN: check `isNumeric`, as `NPZArchive`'s typed getters do).
    public var doubles: [Double] {
        switch storage {
        case .float32(let v): return v.map { Double($0) }
        case .float64(let v): return v
        case .int64(let v): return v.map { Double($0) }
        case .strings(let v): return v.map { _ in .nan }
        }
    }

    /// The values as Float (rounded from float64 and int64).
    public var floats: [Float] {
        switch storage {
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        case .int64(let v): return v.map { Float($0) }
        case .strings(let v): return v.map { _ in .nan }
        }
    }

    /// The values as Int. Floating-point values are truncated toward zero, clamped to Int's range,
    /// and NaN becomes 0; use `NPZArchive.intVector` to reject non-integral values instead.
    public var ints: [Int] {
        switch storage {
        case .float32(let v): return v.map { NPYArray.clampedInt(Double($0)) }
        case .float64(let v): return v.map { NPYArray.clampedInt($0) }
        case .int64(let v): return v.map { Int($0) }
        case .strings(let v): return v.map { _ in 0 }
        }
    }

    /// Product of the sizes, or nil when it overflows `Int`.
    static func elementCount(of shape: [Int]) -> Int? {
        if shape.contains(0) { return 0 }
        var product = 1
        for size in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = next
        }
        return product
    }

    private static func clampedInt(_ x: Double) -> Int {
        if x.isNaN { return 0 }
        if x >= 0x1p63 { return Int.max }
        if x < -0x1p63 { return Int.min }
        return Int(x)
    }
}
