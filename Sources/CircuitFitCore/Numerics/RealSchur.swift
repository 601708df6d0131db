import COpenBLAS

/// Real Schur form A = Z·T·Zᵀ (LAPACK dgees): Z orthogonal, T quasi-upper-triangular with 1×1 and
/// 2×2 diagonal blocks carrying the eigenvalues.
///
/// One decomposition serves the spectral abscissa and every Lyapunov solve with A or a shifted
/// A − sI (same Z, T − sI), which is what the stability optimisation needs once per step.
public struct RealSchur: Sendable {
    public var t: Matrix<Double>
    public var z: Matrix<Double>
    public var eigenvaluesReal: [Double]
    public var eigenvaluesImaginary: [Double]

    public init(_ a: Matrix<Double>) throws {
        try a.requireSquare("Schur decomposition")
        try a.requireFinite("Schur decomposition")
        let n = a.rows
        var tData = a.data
        var zData = [Double](repeating: 0, count: n * n)
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var sdim: LapackInt = 0
        if n > 0 {
            let info = LAPACKE_dgees(
                LAPACK.rowMajor, LAPACK.char("V"), LAPACK.char("N"), nil, LapackInt(n), &tData, LapackInt(n),
                &sdim, &wr, &wi, &zData, LapackInt(n))
            try LAPACK.check(info, "dgees")
        }
        t = Matrix(rows: n, cols: n, data: tData)
        z = Matrix(rows: n, cols: n, data: zData)
        eigenvaluesReal = wr
        eigenvaluesImaginary = wi
    }

    /// max Re λ(A).
    public var spectralAbscissa: Double { eigenvaluesReal.max() ?? -.infinity }

    /// Solves the Lyapunov equation (A − sI)·X + X·(A − sI)ᵀ = C, or with `transposed`
    /// (A − sI)ᵀ·X + X·(A − sI) = C, by Bartels–Stewart (blocked dtrsyl3 on the Schur factor).
    public func solveLyapunov(_ c: Matrix<Double>, shift s: Double = 0, transposed: Bool = false) throws -> Matrix<Double> {
        let n = t.rows
        guard c.rows == n && c.cols == n else {
            throw CircuitFitError("Lyapunov solve: right-hand side is \(c.rows)×\(c.cols), expected \(n)×\(n)")
        }
        let y = try solveLyapunovInSchurBasis(matmul(matmul(z, c, transposeA: true), z), shift: s, transposed: transposed)
        return matmul(matmul(z, y), z, transposeB: true)
    }

    /// The same equation with everything in the Schur basis: given Ĉ = ZᵀCZ, returns Y = ZᵀXZ.
    /// For C = c·I, Ĉ = C (Z is orthogonal), which saves four products per solve.
    public func solveLyapunovInSchurBasis(_ cHat: Matrix<Double>, shift s: Double = 0, transposed: Bool = false) throws -> Matrix<Double> {
        let n = t.rows
        var ts = t
        if s != 0 { for i in 0..<n { ts[i, i] -= s } }
        var y = cHat
        var scale = 1.0
        if n > 0 {
            // T̃ Y + Y T̃ᵀ = Ĉ   (normal)   or   T̃ᵀ Y + Y T̃ = Ĉ   (transposed)
            let info = LAPACKE_dtrsyl3(
                LAPACK.rowMajor, LAPACK.char(transposed ? "T" : "N"), LAPACK.char(transposed ? "N" : "T"), 1,
                LapackInt(n), LapackInt(n), ts.data, LapackInt(n), ts.data, LapackInt(n),
                &y.data, LapackInt(n), &scale)
            if info < 0 { try LAPACK.check(info, "dtrsyl3") }
            if info == 1 {
                throw CircuitFitError("Lyapunov solve: A − sI and −(A − sI)ᵀ share eigenvalues (shift \(s)); no unique solution")
            }
        }
        return scale == 1 ? y : (1 / scale) * y
    }
}

/// Solves the Sylvester equation A·X + X·B = C (A m × m, B n × n, C m × n) by Bartels–Stewart.
public func solveSylvester(_ a: Matrix<Double>, _ b: Matrix<Double>, _ c: Matrix<Double>) throws -> Matrix<Double> {
    guard c.rows == a.rows && c.cols == b.rows else {
        throw CircuitFitError("Sylvester solve: C is \(c.rows)×\(c.cols), expected \(a.rows)×\(b.rows)")
    }
    let sa = try RealSchur(a), sb = try RealSchur(b)
    let m = a.rows, n = b.rows
    var y = matmul(matmul(sa.z, c, transposeA: true), sb.z)
    var scale = 1.0
    if m > 0 && n > 0 {
        let info = LAPACKE_dtrsyl(
            LAPACK.rowMajor, LAPACK.char("N"), LAPACK.char("N"), 1, LapackInt(m), LapackInt(n),
            sa.t.data, LapackInt(m), sb.t.data, LapackInt(n), &y.data, LapackInt(n), &scale)
        if info < 0 { try LAPACK.check(info, "dtrsyl") }
        if info == 1 { throw CircuitFitError("Sylvester solve: A and −B share eigenvalues; no unique solution") }
    }
    let x = matmul(matmul(sa.z, y), sb.z, transposeB: true)
    return scale == 1 ? x : (1 / scale) * x
}
