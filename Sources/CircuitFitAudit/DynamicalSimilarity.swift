import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// Settings of the dynamical similarity analysis (Ostrow et al. 2023), recorded in the output.
public struct DSASettings: Codable, Equatable, Sendable {
    /// Principal components each system's trajectories are reduced to first.
    public var components: Int = 10
    /// Delays of the Hankel (delay) embedding, and the steps between them.
    public var delays: Int = 10
    public var delayInterval: Int = 1
    /// Rank of the HAVOK/DMD operator (columns of V used).
    public var rank: Int = 30
    /// Starting points of the Procrustes-over-vector-fields optimisation: the identity, a swap
    /// of the first two axes (the other component of O(n)), and seeded random orthogonal ones.
    public var starts: Int = 8
    /// Riemannian gradient-ascent iterations from each start.
    public var iterations: Int = 500
    /// Seed of the random starts.
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case components, delays, rank, starts, iterations, seed
        case delayInterval = "delay_interval"
    }
}

/// Dynamical similarity analysis: each system's trials [trials, T, features] → top PCs →
/// delay embedding → HAVOK DMD operator A (rank r) → the angular Procrustes distance over vector
/// fields min over orthogonal C of arccos(tr(Aᵀ C B Cᵀ) / (‖A‖‖B‖)), in radians (0 = the same
/// dynamics up to an orthogonal change of coordinates). The same steps as the `dsa-metric`
/// package's `DSA(score_method="angular")`, with a deterministic, seeded optimiser.
public struct DynamicalSimilarity: Sendable {
    public var settings: DSASettings
    public init(settings: DSASettings = DSASettings()) { self.settings = settings }

    /// The angular distance between the dynamics of two sets of trials, [trials, T, features]
    /// each (the trial counts and lengths may differ between them).
    public func distance(_ x: Array3<Double>, _ y: Array3<Double>) throws -> Double {
        let a = try operatorMatrix(x, name: "first system")
        let b = try operatorMatrix(y, name: "second system")
        return try procrustesOverVectorFields(a, b)
    }

    /// The HAVOK DMD operator A_v [r, r] of one system's trials.
    public func operatorMatrix(_ trials: Array3<Double>, name: String) throws -> Matrix<Double> {
        let s = settings
        let k = min(s.components, trials.d2)
        let stacked = Matrix(rows: trials.d0 * trials.d1, cols: trials.d2, data: trials.data)
        let scores = try PCA.scores(of: stacked, atMost: k)
        let kk = scores.cols
        let span = (s.delays - 1) * s.delayInterval
        let steps = trials.d1 - span
        guard steps >= 2 else {
            throw CircuitFitError("DSA (\(name)): \(trials.d1) time steps are too few for \(s.delays) delays of \(s.delayInterval) step(s)")
        }
        let width = kk * s.delays
        guard s.rank >= 1 && s.rank <= width else {
            throw CircuitFitError("DSA (\(name)): rank \(s.rank) must be in 1…\(width) (components × delays)")
        }
        let rows = trials.d0 * steps
        guard rows >= width else {
            throw CircuitFitError("DSA (\(name)): \(rows) embedded samples for \(width) embedding dimensions; use fewer delays or components")
        }
        // Hankel matrix: block d holds the data d·interval steps back (block 0 = the latest)
        var hankel = Matrix<Double>(rows: rows, cols: width)
        for trial in 0..<trials.d0 {
            for t in 0..<steps {
                let row = trial * steps + t
                for d in 0..<s.delays {
                    let source = trial * trials.d1 + t + span - d * s.delayInterval
                    for j in 0..<kk { hankel[row, d * kk + j] = scores[source, j] }
                }
            }
        }
        // Hᵀ = U S Vᵀ: the rows of V are the embedded samples in "eigen-time-delay" coordinates
        let svd = try SingularValueDecomposition(hankel)            // H = U S Vᵀ, so H's U is Hᵀ's V
        let r = s.rank
        var v = Matrix<Double>(rows: rows, cols: r)
        for j in 0..<r {
            // fixed sign: the largest-magnitude entry of each column positive
            var best = 0
            for i in 0..<rows where abs(svd.u[i, j]) > abs(svd.u[best, j]) { best = i }
            let sign: Double = svd.u[best, j] < 0 ? -1 : 1
            for i in 0..<rows { v[i, j] = sign * svd.u[i, j] }
        }
        // least squares V[t+1] ≈ V[t] A_vᵀ within each trial
        var minus = Matrix<Double>(rows: trials.d0 * (steps - 1), cols: r)
        var plus = minus
        for trial in 0..<trials.d0 {
            for t in 0..<(steps - 1) {
                for j in 0..<r {
                    minus[trial * (steps - 1) + t, j] = v[trial * steps + t, j]
                    plus[trial * (steps - 1) + t, j] = v[trial * steps + t + 1, j]
                }
            }
        }
        return try ridgeRegression(minus, plus, penalty: 0).transposed
    }

    /// min over orthogonal C of the angle arccos(tr(Aᵀ C B Cᵀ)/(‖A‖‖B‖)), by Riemannian gradient
    /// ascent on tr(Aᵀ C B Cᵀ) (Barzilai–Borwein steps, non-monotone backtracking, Cayley
    /// retraction) from every start, keeping the best.
    public func procrustesOverVectorFields(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Double {
        let n = max(a.rows, b.rows)
        let an = a.zeroPadded(to: n), bn = b.zeroPadded(to: n)
        let na = an.frobeniusNorm, nb = bn.frobeniusNorm
        guard na > 0, nb > 0 else { throw CircuitFitError("DSA: an operator matrix is zero") }
        let A = an.data.map { $0 / na }, B = bn.data.map { $0 / nb }
        let nn = n * n
        var t1 = [Double](repeating: 0, count: nn), t2 = t1, grad = t1, m = t1, omega = t1, trial = t1
        // tr(Aᵀ C B Cᵀ) = Σ A ⊙ (C B Cᵀ)
        func value(_ c: [Double]) -> Double {
            square(c, B, into: &t1)                                  // C B
            square(t1, c, into: &t2, transB: true)                   // C B Cᵀ
            var s = 0.0
            for k in 0..<nn { s += A[k] * t2[k] }
            return s
        }
        var best = -Double.infinity
        var random = SeededRandom(seed: settings.seed)
        for start in 0..<max(1, settings.starts) {
            var c: [Double]
            switch start {
            case 0: c = Matrix<Double>.identity(n).data
            case 1:
                var swap = Matrix<Double>.identity(n)
                if n > 1 { swap[0, 0] = 0; swap[1, 1] = 0; swap[0, 1] = 1; swap[1, 0] = 1 }
                c = swap.data
            default: c = try randomOrthogonal(n, &random).data
            }
            // Riemannian gradient ascent with Barzilai–Borwein steps and a non-monotone
            // backtracking line search (Wen & Yin 2013), Cayley retraction
            var f = value(c), step = 1.0, recent = [f], bestHere = f
            var previousC: [Double]? = nil, previousGradient = t1, riemannian = t1
            for _ in 0..<settings.iterations {
                // Euclidean gradient A C Bᵀ + Aᵀ C B, Riemannian direction Ω = skew(Cᵀ ∇)
                square(A, c, into: &t1)
                square(t1, B, into: &grad, transB: true)
                square(A, c, into: &t1, transA: true)
                square(t1, B, into: &t2)
                for k in 0..<nn { grad[k] += t2[k] }
                square(c, grad, into: &m, transA: true)
                var g2 = 0.0
                for i in 0..<n { for j in 0..<n { omega[i * n + j] = 0.5 * (m[i * n + j] - m[j * n + i]); g2 += omega[i * n + j] * omega[i * n + j] } }
                if g2 < 1e-24 { break }
                square(c, omega, into: &riemannian)                       // C Ω, the gradient in the ambient space
                if let pc = previousC {
                    var ss = 0.0, sy = 0.0
                    for k in 0..<nn {
                        let sk = c[k] - pc[k], yk = riemannian[k] - previousGradient[k]
                        ss += sk * sk; sy += sk * yk
                    }
                    if abs(sy) > 0 { step = ss / abs(sy) }
                }
                let reference = recent.suffix(5).max()!
                var accepted = false
                for _ in 0..<40 {
                    let q = try cayley(Matrix(rows: n, cols: n, data: omega), step)
                    square(c, q.data, into: &trial)
                    let ft = value(trial)
                    if ft > reference + 1e-4 * step * g2 { accepted = true; f = ft; break }
                    step *= 0.5
                }
                if !accepted { break }
                previousC = c
                swap(&previousGradient, &riemannian)
                swap(&c, &trial)
                recent.append(f)
                bestHere = max(bestHere, f)
            }
            f = bestHere
            best = max(best, f)
        }
        return acos(min(1, max(-1, best)))
    }
}

/// c = op(a)·op(b) for n × n row-major matrices (BLAS dgemm).
func square(_ a: [Double], _ b: [Double], into c: inout [Double], transA: Bool = false, transB: Bool = false) {
    let n = Int(Double(a.count).squareRoot().rounded())
    a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                Double.gemm(transA: transA, transB: transB, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                            b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
            }
        }
    }
}

/// (I − tΩ/2)⁻¹ (I + tΩ/2): orthogonal for skew-symmetric Ω.
func cayley(_ omega: Matrix<Double>, _ t: Double) throws -> Matrix<Double> {
    let n = omega.rows
    var lhs = omega.data, rhs = omega.data
    for k in 0..<(n * n) { lhs[k] *= -t / 2; rhs[k] *= t / 2 }
    for i in 0..<n { lhs[i * n + i] += 1; rhs[i * n + i] += 1 }
    return try solveLinear(Matrix(rows: n, cols: n, data: lhs), Matrix(rows: n, cols: n, data: rhs))
}

/// A seeded random orthogonal matrix (QR of a Gaussian matrix by modified Gram–Schmidt).
func randomOrthogonal(_ n: Int, _ random: inout SeededRandom) throws -> Matrix<Double> {
    var q = Matrix<Double>(rows: n, cols: n)
    for j in 0..<n {
        var v = random.normals(n)
        for k in 0..<j {
            var d = 0.0
            for i in 0..<n { d += q[i, k] * v[i] }
            for i in 0..<n { v[i] -= d * q[i, k] }
        }
        let len = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard len > 1e-12 else { throw CircuitFitError("DSA: degenerate random start") }
        for i in 0..<n { q[i, j] = v[i] / len }
    }
    return q
}

extension Matrix where Element == Double {
    /// The matrix in the top-left corner of an n × n zero matrix.
    func zeroPadded(to n: Int) -> Matrix {
        if rows == n && cols == n { return self }
        var m = Matrix(rows: n, cols: n)
        for i in 0..<rows { for j in 0..<cols { m[i, j] = self[i, j] } }
        return m
    }
}
