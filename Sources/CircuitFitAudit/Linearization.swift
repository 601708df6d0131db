import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// A linearisation dx/dt ≈ A (x − x*) summarised in physical units: spectra in 1/s, time
/// constants in s, rotation frequencies in Hz, transient amplification of the linear flow.
public struct LinearizationSummary: Sendable {
    /// All eigenvalues of A, 1/s, sorted by real part, largest (slowest decay) first.
    public var eigenReal: [Double]
    public var eigenImaginary: [Double]
    /// Eigenvalues of Vᵀ A V, A restricted to the top principal components V of the system's
    /// own movement-epoch trajectories (the modes the trajectories visit), 1/s, same order.
    public var projectedReal: [Double]
    public var projectedImaginary: [Double]
    /// −1/Re λ of the slowest modes of the full spectrum, s (infinite when Re λ ≥ 0).
    public var slowestTimeConstants: [Double]
    /// |Im λ|/2π of the slowest-decaying oscillatory mode of the projected spectrum, Hz (0 if none).
    public var dominantRotationHz: Double
    /// Top eigenvalues of the observability Gramian Q (AᵀQ + QA = −I), s: the energy ∫‖x(t)‖²dt
    /// evoked by the most amplified unit initial states; nil when A is not stable.
    public var gramianEnergies: [Double]?
    /// The same divided by a leaky unit's τ/2 (1 = no amplification).
    public var gramianEnergiesRelative: [Double]?
    /// max over t of ‖e^{At}‖₂ (1 = no transient growth) and the time of that peak, s.
    public var peakPropagatorNorm: Double?
    public var peakPropagatorSeconds: Double?
}

/// Summarises the linearisation `a` (1/s) of a system with time constant `tauSeconds`, its
/// spectrum also restricted to the orthonormal rows of `pcs` [k, n].
public func summarizeLinearization(
    _ a: Matrix<Double>, tauSeconds: Double, pcs: Matrix<Double>, slowest: Int = 3, gramianTop: Int = 5
) throws -> LinearizationSummary {
    let eig = try Eigendecomposition(a, vectors: false)
    let (re, im) = sortedBySlowest(eig.real, eig.imaginary)
    let projected = matmul(matmul(pcs, a), pcs, transposeB: true)       // V A Vᵀ with V = pcs [k, n]
    let peig = try Eigendecomposition(projected, vectors: false)
    let (pre, pim) = sortedBySlowest(peig.real, peig.imaginary)
    let constants = re.prefix(slowest).map { $0 < 0 ? -1 / $0 : Double.infinity }
    var rotation = 0.0
    if let k = pre.indices.first(where: { pim[$0] != 0 }) { rotation = abs(pim[k]) / (2 * Double.pi) }
    var energies: [Double]? = nil, relative: [Double]? = nil
    var peak: Double? = nil, peakTime: Double? = nil
    if (re.first ?? 0) < 0 {
        let n = a.rows
        let q = try RealSchur(a).solveLyapunov(-1.0 * Matrix<Double>.identity(n), transposed: true)
        var sym = q
        for i in 0..<n { for j in 0..<n { sym[i, j] = (q[i, j] + q[j, i]) / 2 } }
        let top = Array(try SymmetricEigendecomposition(sym).values.prefix(gramianTop))
        energies = top
        relative = top.map { $0 / (tauSeconds / 2) }
        (peak, peakTime) = peakPropagatorNorm(a, tauSeconds: tauSeconds)
    }
    return LinearizationSummary(
        eigenReal: re, eigenImaginary: im, projectedReal: pre, projectedImaginary: pim,
        slowestTimeConstants: constants, dominantRotationHz: rotation,
        gramianEnergies: energies, gramianEnergiesRelative: relative,
        peakPropagatorNorm: peak, peakPropagatorSeconds: peakTime)
}

/// Eigenvalues ordered by real part, largest first (ties: larger |Im| first).
func sortedBySlowest(_ re: [Double], _ im: [Double]) -> ([Double], [Double]) {
    let order = re.indices.sorted { re[$0] != re[$1] ? re[$0] > re[$1] : abs(im[$0]) > abs(im[$1]) }
    return (order.map { re[$0] }, order.map { im[$0] })
}

/// max over t ∈ [0, 5τ] of ‖e^{At}‖₂ on the grid t = jτ/8 (e^{Aτ/8} by scaling and squaring,
/// powers by repeated products, each 2-norm by power iteration on EᵀE), and its time.
func peakPropagatorNorm(_ a: Matrix<Double>, tauSeconds: Double) -> (Double, Double) {
    let dt = tauSeconds / 8
    let step = matrixExponential(dt * a).data
    var e = step, next = step, best = 1.0, bestT = 0.0
    for j in 1...40 {
        let s = spectralNorm(Matrix(rows: a.rows, cols: a.cols, data: e))
        if s > best { best = s; bestT = Double(j) * dt }
        square(e, step, into: &next)
        swap(&e, &next)
    }
    return (best, bestT)
}

/// e^M by scaling and squaring with a degree-14 Taylor polynomial (‖M/2^s‖₁ ≤ 1/2).
func matrixExponential(_ m: Matrix<Double>) -> Matrix<Double> {
    let n = m.rows
    var norm1 = 0.0
    for j in 0..<n { var s = 0.0; for i in 0..<n { s += abs(m[i, j]) }; norm1 = max(norm1, s) }
    var squarings = 0
    while norm1 / pow(2, Double(squarings)) > 0.5 { squarings += 1 }
    let scale = 1 / pow(2, Double(squarings))
    let x = m.data.map { $0 * scale }
    var result = Matrix<Double>.identity(n).data, term = result, product = result
    for k in 1...14 {
        square(term, x, into: &product)
        let inv = 1 / Double(k)
        for i in 0..<(n * n) { term[i] = product[i] * inv; result[i] += term[i] }
    }
    for _ in 0..<squarings { square(result, result, into: &product); swap(&result, &product) }
    return Matrix(rows: n, cols: n, data: result)
}

/// Largest singular value by power iteration on EᵀE from a fixed start (60 iterations).
func spectralNorm(_ e: Matrix<Double>) -> Double {
    var v = [Double](repeating: 1 / Double(e.cols).squareRoot(), count: e.cols)
    for i in 0..<v.count { v[i] *= 1 + 0.01 * Double(i % 7) }
    var sigma = 0.0
    for _ in 0..<60 {
        let w = matvec(e, v)
        let u = matvec(e, w, transpose: true)
        let len = norm(u)
        if len == 0 { return 0 }
        v = u.map { $0 / len }
        sigma = len.squareRoot()
    }
    return sigma
}

/// The matching distance between two eigenvalue sets (1/s): the RMS |λ − μ| over the best
/// one-to-one matching (Hungarian algorithm) of the first min(count) values of each.
public func spectrumDistance(_ aRe: [Double], _ aIm: [Double], _ bRe: [Double], _ bIm: [Double]) -> Double {
    let k = min(aRe.count, bRe.count)
    if k == 0 { return .nan }
    var cost = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    for i in 0..<k { for j in 0..<k { cost[i][j] = pow(aRe[i] - bRe[j], 2) + pow(aIm[i] - bIm[j], 2) } }
    let match = minimumCostAssignment(cost)
    var s = 0.0
    for i in 0..<k { s += cost[i][match[i]] }
    return (s / Double(k)).squareRoot()
}
