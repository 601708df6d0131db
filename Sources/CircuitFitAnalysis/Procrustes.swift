import Foundation
import CircuitFitCore

/// Orthogonal Procrustes shape distance between two trajectories sampled at the same points
/// (Williams, Kunz, Kornblith & Linderman 2021; netrep's `LinearMetric(alpha=1)`, which centres
/// the columns and does not whiten). Lower is more similar; 0 means the same shape up to a
/// rotation/reflection and a global scale.
///
/// Inputs: X (samples × p) and Y (samples × q), row i of both the same sample. The procedure:
/// 1. If `components` is k (10 by default), replace each population by its top-k principal
///    component scores (k' = min(k, rank), as in `CCA`); if `nil`, use the columns as given.
/// 2. Centre the columns of both, and scale each to unit Frobenius norm.
/// 3. Zero-pad the narrower one to d = max(kx, ky) columns, as netrep does for unequal widths.
/// 4. The best orthogonal map Q (d × d) minimising ‖X − Y·Q‖_F comes from the SVD
///    Yᵀ·X = U·S·Vᵀ: Q = U·Vᵀ, and the nuclear norm ‖XᵀY‖_* = Σ S.
/// 5. Report the Euclidean Procrustes distance ‖X − Y·Q‖_F = √(2 − 2‖XᵀY‖_*), in [0, √2], and the
///    angular distance arccos ‖XᵀY‖_* in radians, in [0, π/2]. The angle is computed as
///    2·asin(distance / 2) (the same value, but accurate near 0 where arccos is not).
public struct Procrustes: Sendable {
    /// Principal components kept from each population first, or `nil` to compare the inputs as given.
    public var components: Int?

    public init(components: Int? = 10) { self.components = components }

    /// The Procrustes distances between X (samples × p) and Y (samples × q).
    public func fit(_ x: Matrix<Double>, _ y: Matrix<Double>) throws -> ProcrustesResult {
        let metric = "Procrustes"
        try AnalysisInput.requireSameSamples(x, y, metric)
        var a = x, b = y
        if let k = components {
            guard x.rows > k else {
                throw CircuitFitError("Procrustes: \(x.rows) samples for \(k) components (X \(x.shapeText), Y \(y.shapeText)); need more samples than components")
            }
            a = try PCA.scores(of: x, atMost: k, metric: metric, name: "X")
            b = try PCA.scores(of: y, atMost: k, metric: metric, name: "Y")
        } else {
            guard x.rows >= 2 else { throw CircuitFitError("Procrustes: need at least 2 samples, got X \(x.shapeText)") }
            try AnalysisInput.requireFinite(x, metric, "X")
            try AnalysisInput.requireFinite(y, metric, "Y")
        }
        let width = max(a.cols, b.cols)
        let xn = try Self.normalised(a, "X").zeroPadded(toColumns: width)
        let yn = try Self.normalised(b, "Y").zeroPadded(toColumns: width)
        let svd = try SingularValueDecomposition(matmul(yn, xn, transposeA: true))
        let rotation = svd.u * svd.vt
        let distance = (xn - yn * rotation).frobeniusNorm
        return ProcrustesResult(
            distance: distance,
            angularDistance: 2 * asin(min(1, distance / 2)),
            nuclearNorm: svd.singularValues.reduce(0, +),
            rotation: rotation,
            componentsX: a.cols, componentsY: b.cols, samples: x.rows)
    }

    /// `m` with its columns centred and scaled to unit Frobenius norm.
    static func normalised(_ m: Matrix<Double>, _ name: String) throws -> Matrix<Double> {
        let centred = m.columnCentred
        let norm = centred.frobeniusNorm
        guard norm > 0 else { throw CircuitFitError("Procrustes: \(name) (\(m.shapeText)) has no variance: every column is constant") }
        return (1 / norm) * centred
    }
}

/// The outcome of `Procrustes.fit`.
public struct ProcrustesResult: Sendable, Equatable {
    /// min_Q ‖X − Y·Q‖_F on the centred, unit-norm data: in [0, √2].
    public var distance: Double
    /// arccos of the nuclear norm ‖XᵀY‖_* on the centred, unit-norm data, in radians: in [0, π/2].
    public var angularDistance: Double
    /// ‖XᵀY‖_* on the centred, unit-norm data: the cosine of the angular distance.
    public var nuclearNorm: Double
    /// The orthogonal d × d map Q, d = max(componentsX, componentsY), with Y·Q ≈ X.
    public var rotation: Matrix<Double>
    /// Columns of X compared (principal components used, or p without a PCA).
    public var componentsX: Int
    /// Columns of Y compared.
    public var componentsY: Int
    /// Samples (rows) compared.
    public var samples: Int
}
