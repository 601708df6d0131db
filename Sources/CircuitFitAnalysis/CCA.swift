import CircuitFitCore

/// Canonical correlation analysis between two populations recorded over the same samples, after
/// Sussillo, Churchland, Kaufman & Shenoy (2015), the dynamics-similarity score of
/// docs/method.md#dynamics-similarity-by-cca.
///
/// Inputs: X (samples × p), for example model rates, and Y (samples × q), for example circuit
/// rates; row i of both is the same sample (time step of a condition). The procedure, exactly:
/// 1. Reduce each population to its top principal components: the scores of the column-centred
///    data on its first kx = min(k, rank X) and ky = min(k, rank Y) components (`PCA.scores`;
///    k = `components`, 10 by default). A population with fewer than k features or rank below k
///    keeps what it has; `componentsX` / `componentsY` record the numbers used.
/// 2. Centre the score sets and take orthonormal bases of their column spaces: Qx (samples × kx)
///    and Qy (samples × ky), the left singular vectors of the centred scores.
/// 3. The canonical correlations are the singular values of Qxᵀ·Qy (kx × ky), min(kx, ky) of them,
///    descending, clipped to [0, 1]; the score is their mean.
/// Throws unless samples > kx + ky: with fewer, some correlations would be 1 whatever the data.
public struct CCA: Sendable {
    /// The number of principal components kept from each population before the CCA.
    public var components: Int

    public init(components: Int = 10) { self.components = components }

    /// The canonical correlations between X (samples × p) and Y (samples × q).
    public func fit(_ x: Matrix<Double>, _ y: Matrix<Double>) throws -> CCAResult {
        let metric = "CCA"
        try AnalysisInput.requireSameSamples(x, y, metric)
        let scoresX = try PCA.scores(of: x, atMost: components, metric: metric, name: "X")
        let scoresY = try PCA.scores(of: y, atMost: components, metric: metric, name: "Y")
        let kx = scoresX.cols, ky = scoresY.cols
        guard x.rows > kx + ky else {
            throw CircuitFitError(
                "CCA: \(x.rows) samples for \(kx) + \(ky) components (X \(x.shapeText), Y \(y.shapeText)); need more than \(kx + ky) samples")
        }
        let qx = try SingularValueDecomposition(scoresX.columnCentred).u
        let qy = try SingularValueDecomposition(scoresY.columnCentred).u
        let correlations = try SingularValueDecomposition(matmul(qx, qy, transposeA: true))
            .singularValues.map { min(1, max(0, $0)) }
        return CCAResult(
            correlations: correlations,
            mean: correlations.reduce(0, +) / Double(correlations.count),
            componentsX: kx, componentsY: ky, samples: x.rows)
    }
}

/// The outcome of `CCA.fit`: every canonical correlation and their mean.
public struct CCAResult: Sendable, Equatable, Codable {
    /// min(componentsX, componentsY) canonical correlations, descending, each in [0, 1].
    public var correlations: [Double]
    /// The mean of `correlations`: the similarity score.
    public var mean: Double
    /// Principal components of X actually used (k, or fewer when X has fewer features or lower rank).
    public var componentsX: Int
    /// Principal components of Y actually used.
    public var componentsY: Int
    /// Samples (rows) compared.
    public var samples: Int
}
