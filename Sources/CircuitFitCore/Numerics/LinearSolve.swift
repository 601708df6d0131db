import COpenBLAS

/// Solves A·X = B for square, nonsingular A by LU with partial pivoting (LAPACK dgesv).
public func solveLinear(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Matrix<Double> {
    try a.requireSquare("linear solve")
    guard b.rows == a.rows else { throw CircuitFitError("linear solve: A is \(a.rows)×\(a.cols) but B has \(b.rows) rows") }
    try a.requireFinite("linear solve"); try b.requireFinite("linear solve")
    let n = a.rows
    if n == 0 || b.cols == 0 { return b }
    var lu = a.data, x = b.data
    var pivots = [LapackInt](repeating: 0, count: n)
    let info = LAPACKE_dgesv(LAPACK.rowMajor, LapackInt(n), LapackInt(b.cols), &lu, LapackInt(n), &pivots, &x, LapackInt(b.cols))
    try LAPACK.check(info, "dgesv")
    return Matrix(rows: n, cols: b.cols, data: x)
}

/// Solves A·X = B for symmetric positive-definite A by Cholesky (LAPACK dposv): the normal
/// equations of ridge regression.
public func solveSymmetricPositiveDefinite(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Matrix<Double> {
    try a.requireSquare("Cholesky solve")
    guard b.rows == a.rows else { throw CircuitFitError("Cholesky solve: A is \(a.rows)×\(a.cols) but B has \(b.rows) rows") }
    try a.requireFinite("Cholesky solve"); try b.requireFinite("Cholesky solve")
    let n = a.rows
    if n == 0 || b.cols == 0 { return b }
    var l = a.data, x = b.data
    let info = LAPACKE_dposv(LAPACK.rowMajor, LAPACK.char("U"), LapackInt(n), LapackInt(b.cols), &l, LapackInt(n), &x, LapackInt(b.cols))
    try LAPACK.check(info, "dposv")
    return Matrix(rows: n, cols: b.cols, data: x)
}

/// Ridge regression: the weights W [p, q] minimising ‖X·W − Y‖² + penalty·‖W‖² for X [n, p], Y [n, q].
/// Add a column of ones to X for an intercept (it is penalised like the rest unless centred first).
public func ridgeRegression(_ x: Matrix<Double>, _ y: Matrix<Double>, penalty: Double) throws -> Matrix<Double> {
    guard x.rows == y.rows else { throw CircuitFitError("ridge: X has \(x.rows) rows but Y has \(y.rows)") }
    guard penalty >= 0 else { throw CircuitFitError("ridge: penalty must be ≥ 0, got \(penalty)") }
    var gram = matmul(x, x, transposeA: true)
    for i in 0..<gram.rows { gram[i, i] += penalty }
    let rhs = matmul(x, y, transposeA: true)
    if penalty > 0 { return try solveSymmetricPositiveDefinite(gram, rhs) }
    return try solveLinear(gram, rhs)
}
