import COpenBLAS

/// Thin singular value decomposition A = U·diag(s)·Vᵀ (LAPACK dgesdd), singular values descending.
/// For A m × n and k = min(m, n): U is m × k, s has k values, Vt is k × n.
public struct SingularValueDecomposition: Sendable {
    public var u: Matrix<Double>
    public var singularValues: [Double]
    public var vt: Matrix<Double>

    public init(_ a: Matrix<Double>) throws {
        try a.requireFinite("SVD")
        let m = a.rows, n = a.cols, k = min(m, n)
        var work = a.data
        var s = [Double](repeating: 0, count: k)
        var uData = [Double](repeating: 0, count: m * k)
        var vtData = [Double](repeating: 0, count: k * n)
        if k > 0 {
            let info = LAPACKE_dgesdd(
                LAPACK.rowMajor, LAPACK.char("S"), LapackInt(m), LapackInt(n), &work, LapackInt(n),
                &s, &uData, LapackInt(k), &vtData, LapackInt(n))
            try LAPACK.check(info, "dgesdd")
        }
        u = Matrix(rows: m, cols: k, data: uData)
        singularValues = s
        vt = Matrix(rows: k, cols: n, data: vtData)
    }
}
