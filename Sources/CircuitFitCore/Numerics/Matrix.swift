import COpenBLAS

/// A floating-point type that OpenBLAS/LAPACK serve: `Float` (training) or `Double` (analysis).
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable {
    /// C = alpha·op(A)·op(B) + beta·C on row-major storage.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y = alpha·op(A)·x + beta·y on row-major storage.
    static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)
}

extension Float: BLASScalar {
    @inlinable public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
    @inlinable public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
    ) {
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha,
            a, blasint(lda), x, blasint(incx), beta, y, blasint(incy))
    }
}

extension Double: BLASScalar {
    @inlinable public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
    @inlinable public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha,
            a, blasint(lda), x, blasint(incx), beta, y, blasint(incy))
    }
}

/// A dense row-major matrix: `data[i * cols + j]` is row i, column j.
public struct Matrix<Element: BLASScalar>: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    public var data: [Element]

    /// A rows × cols matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Element = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative size \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = [Element](repeating: value, count: rows * cols)
    }

    /// A rows × cols matrix over existing row-major storage.
    public init(rows: Int, cols: Int, data: [Element]) {
        precondition(data.count == rows * cols, "Matrix: \(data.count) values for \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// A matrix from nested rows (for tests and small literals).
    public init(_ nested: [[Element]]) {
        let r = nested.count
        let c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "Matrix: ragged rows")
        self.init(rows: r, cols: c, data: nested.flatMap { $0 })
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.data[i * n + i] = 1 }
        return m
    }

    /// A diagonal matrix with `d` on its diagonal.
    public static func diagonal(_ d: [Element]) -> Matrix {
        var m = Matrix(rows: d.count, cols: d.count)
        for i in 0..<d.count { m.data[i * d.count + i] = d[i] }
        return m
    }

    @inlinable public subscript(i: Int, j: Int) -> Element {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }

    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// Row i as an array.
    public func row(_ i: Int) -> [Element] { Array(data[(i * cols)..<((i + 1) * cols)]) }

    /// Column j as an array.
    public func column(_ j: Int) -> [Element] { (0..<rows).map { data[$0 * cols + j] } }

    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.data[j * rows + i] = data[i * cols + j] } }
        return t
    }

    /// Sum of the diagonal.
    public var trace: Element {
        var s: Element = 0
        for i in 0..<min(rows, cols) { s += data[i * cols + i] }
        return s
    }

    /// Frobenius norm √Σ a_ij².
    public var frobeniusNorm: Element {
        var s: Element = 0
        for v in data { s += v * v }
        return s.squareRoot()
    }

    /// Largest |a_ij|.
    public var maxAbs: Element { data.reduce(0) { Swift.max($0, Swift.abs($1)) } }

    /// Element-wise conversion to another precision.
    public func converted<T: BLASScalar>(to: T.Type = T.self) -> Matrix<T> {
        Matrix<T>(rows: rows, cols: cols, data: data.map { T($0) })
    }

    /// The rows in `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, data: Array(data[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// The columns listed in `indices`, in that order.
    public func columns(_ indices: [Int]) -> Matrix {
        var m = Matrix(rows: rows, cols: indices.count)
        for i in 0..<rows { for (k, j) in indices.enumerated() { m.data[i * indices.count + k] = data[i * cols + j] } }
        return m
    }

    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "Matrix +: shape mismatch")
        return Matrix(rows: a.rows, cols: a.cols, data: zip(a.data, b.data).map { $0 + $1 })
    }

    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "Matrix -: shape mismatch")
        return Matrix(rows: a.rows, cols: a.cols, data: zip(a.data, b.data).map { $0 - $1 })
    }

    public static func * (s: Element, a: Matrix) -> Matrix {
        Matrix(rows: a.rows, cols: a.cols, data: a.data.map { s * $0 })
    }

    /// Matrix product through BLAS gemm.
    public static func * (a: Matrix, b: Matrix) -> Matrix { matmul(a, b) }
}

/// op(A)·op(B) through BLAS gemm, with op = transpose when asked.
public func matmul<T: BLASScalar>(
    _ a: Matrix<T>, _ b: Matrix<T>, transposeA: Bool = false, transposeB: Bool = false
) -> Matrix<T> {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let kb = transposeB ? b.cols : b.rows
    let n = transposeB ? b.rows : b.cols
    precondition(k == kb, "matmul: inner sizes \(k) and \(kb) differ")
    var c = Matrix<T>(rows: m, cols: n)
    if m == 0 || n == 0 { return c }
    if k == 0 { return c }
    a.data.withUnsafeBufferPointer { pa in
        b.data.withUnsafeBufferPointer { pb in
            c.data.withUnsafeMutableBufferPointer { pc in
                T.gemm(
                    transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                    a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                    beta: 0, c: pc.baseAddress!, ldc: n)
            }
        }
    }
    return c
}

/// A·x through BLAS gemv.
public func matvec<T: BLASScalar>(_ a: Matrix<T>, _ x: [T], transpose: Bool = false) -> [T] {
    let outCount = transpose ? a.cols : a.rows
    precondition(x.count == (transpose ? a.rows : a.cols), "matvec: vector length \(x.count) does not match")
    var y = [T](repeating: 0, count: outCount)
    if a.rows == 0 || a.cols == 0 { return y }
    a.data.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                T.gemv(
                    trans: transpose, m: a.rows, n: a.cols, alpha: 1, a: pa.baseAddress!, lda: a.cols,
                    x: px.baseAddress!, incx: 1, beta: 0, y: py.baseAddress!, incy: 1)
            }
        }
    }
    return y
}

/// Threads OpenBLAS may use. CircuitFit defaults to one: its RNN shapes are too skinny to gain
/// from more (see platform notes); parallelism lives at the level of independent fits.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(clamping: max(1, n))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
