import CircuitFitCore

/// Principal component analysis of a `(samples, features)` matrix, by the thin SVD of the
/// column-centred data: Xc = U·S·Vᵀ, components = the first k rows of Vᵀ.
///
/// Configure once, then `fit`: `let pca = try PCA(components: 10).fit(x)`; `pca.transform(x)`.
/// Explained variances are s_i² / (samples − 1) (sample variance, as scikit-learn's PCA).
/// Each component's sign is fixed so that its entry of largest magnitude is positive.
public struct PCA: Sendable {
    /// The number of components to keep.
    public var components: Int

    public init(components: Int) { self.components = components }

    /// Fits the components of `x` (samples × features). Throws on NaN/Inf, on fewer than 2
    /// samples, or when `components` exceeds min(samples, features).
    public func fit(_ x: Matrix<Double>) throws -> FittedPCA {
        let metric = "PCA"
        guard components >= 1 else { throw CircuitFitError("\(metric): components must be ≥ 1, got \(components)") }
        guard x.rows >= 2 else { throw CircuitFitError("\(metric): need at least 2 samples, got \(x.shapeText)") }
        guard components <= min(x.rows, x.cols) else {
            throw CircuitFitError(
                "\(metric): \(components) components asked of data with \(x.rows) samples and \(x.cols) features (\(x.shapeText)); at most min(samples, features) = \(min(x.rows, x.cols))")
        }
        try AnalysisInput.requireFinite(x, metric, "X")
        let mean = x.columnMeans
        let svd = try SingularValueDecomposition(x.subtractingRow(mean))
        let k = components
        var vt = svd.vt.rows(0..<k)
        for i in 0..<k {
            let row = vt.row(i)
            let largest = row.indices.max { abs(row[$0]) < abs(row[$1]) }!
            if row[largest] < 0 { for j in 0..<vt.cols { vt[i, j] = -vt[i, j] } }
        }
        let squares = svd.singularValues.map { $0 * $0 }
        let total = squares.reduce(0, +)
        let variance = squares.prefix(k).map { $0 / Double(x.rows - 1) }
        let ratio = squares.prefix(k).map { total > 0 ? $0 / total : 0 }
        return FittedPCA(
            mean: mean, components: vt, explainedVariance: variance, explainedVarianceRatio: ratio,
            singularValues: Array(svd.singularValues.prefix(k)))
    }

    /// The scores (samples × k') of `x` on its top k' = min(k, numerical rank of centred `x`)
    /// principal components, and nothing else: the reduction that CCA and Procrustes apply first.
    /// The numerical rank counts singular values above s_max · max(samples, features) · ε (NumPy's
    /// `matrix_rank` rule). Throws on NaN/Inf, fewer than 2 samples, or data without variance.
    public static func scores(of x: Matrix<Double>, atMost k: Int) throws -> Matrix<Double> {
        try scores(of: x, atMost: k, metric: "PCA", name: "X")
    }

    /// `scores(of:atMost:)`, naming the calling metric and the input in its errors.
    static func scores(of x: Matrix<Double>, atMost k: Int, metric: String, name: String) throws -> Matrix<Double> {
        guard k >= 1 else { throw CircuitFitError("\(metric): components must be ≥ 1, got \(k)") }
        guard x.rows >= 2 else { throw CircuitFitError("\(metric): \(name) needs at least 2 samples, got \(x.shapeText)") }
        try AnalysisInput.requireFinite(x, metric, name)
        let svd = try SingularValueDecomposition(x.columnCentred)
        let s = svd.singularValues
        let tolerance = (s.first ?? 0) * Double(max(x.rows, x.cols)) * Double.ulpOfOne
        let rank = s.filter { $0 > tolerance }.count
        guard rank > 0 else { throw CircuitFitError("\(metric): \(name) (\(x.shapeText)) has no variance: every column is constant") }
        let used = min(k, rank)
        var out = Matrix<Double>(rows: x.rows, cols: used)
        for i in 0..<x.rows { for j in 0..<used { out[i, j] = svd.u[i, j] * s[j] } }
        return out
    }
}

/// A fitted PCA: the training mean, the components (k × features, orthonormal rows, in order of
/// decreasing variance) and the variance each explains.
public struct FittedPCA: Sendable, Equatable {
    /// Column means of the training data (features).
    public var mean: [Double]
    /// k × features; row i is the i-th principal axis.
    public var components: Matrix<Double>
    /// Variance of the scores on each component, s_i² / (samples − 1).
    public var explainedVariance: [Double]
    /// Each component's share of the total variance of the training data.
    public var explainedVarianceRatio: [Double]
    /// The singular values of the centred training data belonging to the kept components.
    public var singularValues: [Double]

    /// The scores (samples × k) of `x` (samples × features): (x − mean)·componentsᵀ.
    public func transform(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard x.cols == components.cols else {
            throw CircuitFitError("PCA transform: X is \(x.shapeText) but the PCA was fitted on \(components.cols) features")
        }
        try AnalysisInput.requireFinite(x, "PCA transform", "X")
        return matmul(x.subtractingRow(mean), components, transposeB: true)
    }
}
