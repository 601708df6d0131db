import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// jPCA's measure of rotational dynamics (Churchland et al. 2012) for one system.
public struct RotationalDynamics: Codable, Equatable, Sendable {
    /// R² of the best skew-symmetric fit dX/dt ≈ X M_skew over the R² of the best unconstrained
    /// fit dX/dt ≈ X M (1 = the dynamics in these PCs are pure rotation).
    public var skewR2Ratio: Double
    /// R² of the two fits themselves.
    public var skewR2: Double
    public var fullR2: Double
    /// Frequency of the fastest rotation of M_skew (its largest |Im λ| / 2π), Hz.
    public var rotationHz: Double

    enum CodingKeys: String, CodingKey {
        case skewR2Ratio = "skew_r2_ratio"
        case skewR2 = "skew_r2"
        case fullR2 = "full_r2"
        case rotationHz = "rotation_hz"
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension RotationalDynamics {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(skewR2Ratio, forKey: .skewR2Ratio)
        try c.encodeFinite(skewR2, forKey: .skewR2)
        try c.encodeFinite(fullR2, forKey: .fullR2)
        try c.encodeFinite(rotationHz, forKey: .rotationHz)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        skewR2Ratio = try c.decodeFinite(.skewR2Ratio)
        skewR2 = try c.decodeFinite(.skewR2)
        fullR2 = try c.decodeFinite(.fullR2)
        rotationHz = try c.decodeFinite(.rotationHz)
    }
}

/// jPCA on trials [C, T, N] of the movement epoch sampled every `dtSeconds`: subtract the
/// cross-condition mean at each time, project on the top `components` PCs (6), estimate
/// dX/dt by differences between consecutive steps (X at the midpoints), and fit dX/dt ≈ X M by
/// least squares, once unconstrained and once with M skew-symmetric (no soft normalisation).
public func rotationalDynamics(_ trials: Array3<Double>, dtSeconds: Double, components: Int = 6) throws -> RotationalDynamics {
    let c = trials.d0, t = trials.d1, n = trials.d2
    guard c >= 1, t >= 3 else { throw CircuitFitError("jPCA: need at least 3 time steps, got \(t)") }
    // cross-condition mean removed
    var centred = trials
    for s in 0..<t {
        for j in 0..<n {
            var m = 0.0
            for ci in 0..<c { m += trials[ci, s, j] }
            m /= Double(c)
            for ci in 0..<c { centred[ci, s, j] -= m }
        }
    }
    let stacked = Matrix(rows: c * t, cols: n, data: centred.data)
    let k = min(components, n, c * t - 1)
    let x = try PCA.scores(of: stacked, atMost: k)
    let kk = x.cols
    // midpoints and differences within each condition
    let rows = c * (t - 1)
    var mid = Matrix<Double>(rows: rows, cols: kk), dx = mid
    for ci in 0..<c {
        for s in 0..<(t - 1) {
            for j in 0..<kk {
                let a = x[ci * t + s, j], b = x[ci * t + s + 1, j]
                mid[ci * (t - 1) + s, j] = (a + b) / 2
                dx[ci * (t - 1) + s, j] = (b - a) / dtSeconds
            }
        }
    }
    var total = 0.0
    for v in dx.data { total += v * v }
    guard total > 0 else { throw CircuitFitError("jPCA: the trajectories do not move") }
    func r2(_ m: Matrix<Double>) -> Double {
        let residual = dx - mid * m
        var s = 0.0
        for v in residual.data { s += v * v }
        return 1 - s / total
    }
    let full = try ridgeRegression(mid, dx, penalty: 0)
    // skew-symmetric M: parameters m_ab (a < b), M[a,b] = m, M[b,a] = −m; dx = mid·M is linear in them
    var pairs: [(Int, Int)] = []
    for a in 0..<kk { for b in (a + 1)..<kk { pairs.append((a, b)) } }
    var design = Matrix<Double>(rows: rows * kk, cols: pairs.count)
    var target = Matrix<Double>(rows: rows * kk, cols: 1)
    for r in 0..<rows {
        for col in 0..<kk { target[r * kk + col, 0] = dx[r, col] }
        for (p, (a, b)) in pairs.enumerated() {
            // (mid·M)[r, b] gets mid[r, a]·m, (mid·M)[r, a] gets −mid[r, b]·m
            design[r * kk + b, p] += mid[r, a]
            design[r * kk + a, p] -= mid[r, b]
        }
    }
    let coefficients = pairs.isEmpty ? Matrix<Double>(rows: 0, cols: 1) : try ridgeRegression(design, target, penalty: 0)
    var skew = Matrix<Double>(rows: kk, cols: kk)
    for (p, (a, b)) in pairs.enumerated() { skew[a, b] = coefficients[p, 0]; skew[b, a] = -coefficients[p, 0] }
    let fullR2 = r2(full), skewR2 = r2(skew)
    let eig = try Eigendecomposition(skew, vectors: false)
    let omega = eig.imaginary.map(abs).max() ?? 0
    return RotationalDynamics(
        skewR2Ratio: fullR2 > 0 ? skewR2 / fullR2 : .nan, skewR2: skewR2, fullR2: fullR2,
        rotationHz: omega / (2 * Double.pi))
}
