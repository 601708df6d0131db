import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// The most amplified initial directions of the circuit: the top eigenvectors of the
/// observability Gramian Q of A = W − I, solving AᵀQ + QA = −2I (docs/method.md#preparatory-states).
public struct PreparatoryDirections: Sendable {
    /// Gramian eigenvalues, descending (the evoked energy 2∫‖x(t)‖²dt of each unit direction).
    public var energies: [Double]
    /// Gramian eigenvectors as columns, in the order of `energies`; each has unit norm and its
    /// largest-magnitude component positive (a fixed sign, for reproducibility).
    public var directions: Matrix<Double>
    /// The Gramian Q itself.
    public var gramian: Matrix<Double>

    public init(weights w: Matrix<Double>) throws {
        let n = w.rows
        var a = w
        for i in 0..<n { a[i, i] -= 1 }
        let schur = try RealSchur(a)
        guard schur.spectralAbscissa < 0 else {
            throw CircuitFitError("observability Gramian: W − I is unstable (spectral abscissa \(schur.spectralAbscissa)); the circuit must be stabilised first")
        }
        var q = try schur.solveLyapunov(-2.0 * Matrix<Double>.identity(n), transposed: true)
        // symmetrise round-off
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { let m = (q[i, j] + q[j, i]) / 2; q[i, j] = m; q[j, i] = m } }
        let eig = try SymmetricEigendecomposition(q)
        var v = eig.vectors
        for k in 0..<n {
            var best = 0
            for i in 0..<n where abs(v[i, k]) > abs(v[best, k]) { best = i }
            if v[best, k] < 0 { for i in 0..<n { v[i, k] = -v[i, k] } }
        }
        energies = eig.values
        directions = v
        gramian = q
    }

    /// x0(θ) = ρ·(cos θ·a1 + sin θ·a2) for each angle, as rows of a [C, N] matrix.
    public func states(angles: [Double], norm rho: Double) -> Matrix<Double> {
        let n = directions.rows
        var x0 = Matrix<Double>(rows: angles.count, cols: n)
        for (c, theta) in angles.enumerated() {
            for i in 0..<n { x0[c, i] = rho * (cos(theta) * directions[i, 0] + sin(theta) * directions[i, 1]) }
        }
        return x0
    }
}
