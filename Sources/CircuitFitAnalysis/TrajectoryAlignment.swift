import CircuitFitCore

/// A model's population trajectories mapped into a reference population's principal-component
/// space, so the two can be drawn on the same axes (instead of each on its own PCs, which hides
/// how alike they are).
///
/// The procedure, with k = `components` (10 by default):
/// 1. Fit the reference's top-k PCs on the `fit` conditions; every condition's reference rates
///    become k PC scores R (units of the reference, e.g. Hz).
/// 2. Reduce the model's rates to their own top-k PC scores Y (fitted on the same conditions).
/// 3. On the `fit` conditions, scale the model's centred scores to the reference's total
///    variance, s = ‖R − r̄‖_F / ‖Y − ȳ‖_F, and find the orthogonal map Q (rotation or reflection)
///    minimising ‖s (Y − ȳ) Q − (R − r̄)‖_F: from the SVD (Y − ȳ)ᵀ(R − r̄) = U S Vᵀ, Q = U Vᵀ.
///    This is the comparison the Procrustes shape distance makes (both sides centred and of equal
///    norm, then the best rotation). The scale is matched, not fitted: a least-squares scale
///    shrinks a partly matching model towards the origin, which would make a shape mismatch look
///    like a small response. No other freedom: a model that is a rotated, scaled copy of the
///    reference lands exactly on it, anything else shows its differences.
/// 4. Apply the same map to every condition. The aligned R² is 1 − ‖aligned − R‖² / ‖R − r̄‖² over
///    the fit conditions and, separately, over `heldOut` (a test of the map on conditions it was
///    not fitted on).
public struct TrajectoryAlignment: Sendable {
    public var components: Int
    public init(components: Int = 10) { self.components = components }

    /// The aligned trajectories of `model` [C, T, H] on the reference `reference` [C, T, N].
    public func align(model: Array3<Double>, reference: Array3<Double>, fit: [Int], heldOut: [Int] = []) throws -> AlignedTrajectories {
        guard model.d0 == reference.d0, model.d1 == reference.d1 else {
            throw CircuitFitError("trajectory alignment: model rates \(model.shape) and reference \(reference.shape) need the same conditions and time steps")
        }
        let all = Array(0..<model.d0), t = model.d1
        let referencePCA = try PCA(components: min(components, reference.d2, fit.count * t - 1)).fit(stackConditions(reference, conditions: fit))
        let r = try referencePCA.transform(stackConditions(reference, conditions: all))
        let modelPCA = try PCA(components: min(components, model.d2, fit.count * t - 1)).fit(stackConditions(model, conditions: fit))
        let y = try modelPCA.transform(stackConditions(model, conditions: all)).zeroPadded(toColumns: max(r.cols, modelPCA.components.rows))
        let width = max(r.cols, y.cols)
        let rr = r.zeroPadded(toColumns: width), yy = y.zeroPadded(toColumns: width)
        // Rows of the fit conditions.
        let fitRows = fit.flatMap { c in (0..<t).map { c * t + $0 } }
        func rows(_ m: Matrix<Double>, _ indices: [Int]) -> Matrix<Double> {
            var out = Matrix<Double>(rows: indices.count, cols: m.cols)
            for (i, row) in indices.enumerated() { for j in 0..<m.cols { out[i, j] = m[row, j] } }
            return out
        }
        let yFit = rows(yy, fitRows), rFit = rows(rr, fitRows)
        let yMean = yFit.columnMeans, rMean = rFit.columnMeans
        let yc = yFit.subtractingRow(yMean), rc = rFit.subtractingRow(rMean)
        let norm = yc.frobeniusNorm
        guard norm > 0 else { throw CircuitFitError("trajectory alignment: the model's rates do not vary on the fit conditions") }
        let svd = try SingularValueDecomposition(matmul(yc, rc, transposeA: true))
        let q = svd.u * svd.vt
        let scale = rc.frobeniusNorm / norm
        var aligned = scale * (yy.subtractingRow(yMean) * q)
        for i in 0..<aligned.rows { for j in 0..<aligned.cols { aligned[i, j] += rMean[j] } }

        func r2(_ conditions: [Int]) -> Double? {
            guard !conditions.isEmpty else { return nil }
            let indices = conditions.flatMap { c in (0..<t).map { c * t + $0 } }
            var sse = 0.0, sst = 0.0
            for i in indices {
                for j in 0..<width {
                    let e = aligned[i, j] - rr[i, j], d = rr[i, j] - rMean[j]
                    sse += e * e; sst += d * d
                }
            }
            return sst > 0 ? 1 - sse / sst : nil
        }
        func firstThree(_ m: Matrix<Double>) -> Array3<Double> {
            var out = Array3<Double>(model.d0, t, 3, repeating: 0)
            for c in 0..<model.d0 { for s in 0..<t { for j in 0..<min(3, m.cols) { out[c, s, j] = m[c * t + s, j] } } }
            return out
        }
        return AlignedTrajectories(
            reference: firstThree(rr), model: firstThree(aligned), scale: scale,
            varianceExplained: Array(referencePCA.explainedVarianceRatio.prefix(3)),
            r2Fit: r2(fit), r2HeldOut: r2(heldOut), components: width)
    }
}

/// The outcome of `TrajectoryAlignment.align`: the reference's top-3 PC scores and the aligned
/// model's, [C, T, 3] each.
public struct AlignedTrajectories: Sendable {
    public var reference: Array3<Double>
    public var model: Array3<Double>
    /// The scale s of the similarity transform (reference units per model unit): the ratio of
    /// the two populations' total spread on the fit conditions.
    public var scale: Double
    /// Fraction of the reference's variance (on the fit conditions) in PC1, PC2, PC3.
    public var varianceExplained: [Double]
    /// Aligned R² in the top-k PC space on the fit and held-out conditions.
    public var r2Fit: Double?
    public var r2HeldOut: Double?
    /// k, the PC dimensions aligned.
    public var components: Int
}
