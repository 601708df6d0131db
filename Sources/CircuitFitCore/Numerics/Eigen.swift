import COpenBLAS

/// Eigenvalues and right eigenvectors of a real nonsymmetric matrix (LAPACK dgeev).
///
/// `vectors` holds LAPACK's real layout: for a real eigenvalue j, column j is its eigenvector; for a
/// complex pair (j, j+1), the eigenvector of λ_j = re + i·im is column j + i·column j+1 and its
/// conjugate belongs to λ_{j+1}. Vectors have unit Euclidean norm.
public struct Eigendecomposition: Sendable {
    public var real: [Double]
    public var imaginary: [Double]
    public var vectors: Matrix<Double>?

    /// Decomposes `a` (n × n). With `vectors: false` only eigenvalues are computed.
    public init(_ a: Matrix<Double>, vectors wantVectors: Bool = true) throws {
        try a.requireSquare("eigendecomposition")
        try a.requireFinite("eigendecomposition")
        let n = a.rows
        var work = a.data
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var vr = [Double](repeating: 0, count: wantVectors ? n * n : 1)
        var dummy = [Double](repeating: 0, count: 1)
        if n == 0 { real = []; imaginary = []; vectors = wantVectors ? Matrix(rows: 0, cols: 0) : nil; return }
        let info = LAPACKE_dgeev(
            LAPACK.rowMajor, LAPACK.char("N"), LAPACK.char(wantVectors ? "V" : "N"), LapackInt(n),
            &work, LapackInt(n), &wr, &wi, &dummy, 1, &vr, LapackInt(wantVectors ? n : 1))
        try LAPACK.check(info, "dgeev")
        real = wr
        imaginary = wi
        vectors = wantVectors ? Matrix(rows: n, cols: n, data: vr) : nil
    }

    /// max Re λ: the spectral abscissa.
    public var spectralAbscissa: Double { real.max() ?? -.infinity }
    /// max |λ|: the spectral radius.
    public var spectralRadius: Double {
        zip(real, imaginary).map { ($0 * $0 + $1 * $1).squareRoot() }.max() ?? 0
    }
}

/// Eigendecomposition of a real symmetric matrix (LAPACK dsyevd): A = V·diag(values)·Vᵀ, with the
/// eigenvalues in **descending** order and orthonormal eigenvectors as the columns of `vectors`.
public struct SymmetricEigendecomposition: Sendable {
    public var values: [Double]
    public var vectors: Matrix<Double>

    /// Decomposes the symmetric `a`; only its upper triangle is read.
    public init(_ a: Matrix<Double>) throws {
        try a.requireSquare("symmetric eigendecomposition")
        try a.requireFinite("symmetric eigendecomposition")
        let n = a.rows
        var v = a.data
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = LAPACKE_dsyevd(LAPACK.rowMajor, LAPACK.char("V"), LAPACK.char("U"), LapackInt(n), &v, LapackInt(n), &w)
            try LAPACK.check(info, "dsyevd")
        }
        // LAPACK returns ascending order; reverse to descending.
        values = w.reversed()
        vectors = Matrix(rows: n, cols: n)
        for i in 0..<n { for j in 0..<n { vectors[i, j] = v[i * n + (n - 1 - j)] } }
    }
}
