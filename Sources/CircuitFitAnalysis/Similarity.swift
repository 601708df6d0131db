import CircuitFitCore

/// The dynamics-similarity bundle of docs/method.md#the-metrics: how much the model's population dynamics look
/// like the whole circuit's, by CCA (mean and each canonical correlation) and by Procrustes
/// (Euclidean and angular shape distance), both after reducing each population to its top
/// `components` principal components (10 by default).
///
/// Inputs are `[C, T, H]` model rates and `[C, T, N]` circuit rates; all time steps of the listed
/// conditions are stacked into `(conditions·T, H)` and `(conditions·T, N)` matrices
/// (`stackConditions`), so both populations are compared over the same samples.
public struct DynamicsSimilarity: Sendable {
    /// Principal components kept from each population.
    public var components: Int

    public init(components: Int = 10) { self.components = components }

    /// Similarity on the time steps of `conditions`.
    public func score(modelRates: Array3<Double>, circuitRates: Array3<Double>, conditions: [Int]) throws -> SimilarityScores {
        guard modelRates.d0 == circuitRates.d0 && modelRates.d1 == circuitRates.d1 else {
            throw CircuitFitError(
                "dynamics similarity: model rates have shape \(modelRates.shape) but circuit rates \(circuitRates.shape); conditions and time steps must match")
        }
        return try score(
            model: stackConditions(modelRates, conditions: conditions),
            circuit: stackConditions(circuitRates, conditions: conditions))
    }

    /// Similarity between stacked `(samples, H)` model rates and `(samples, N)` circuit rates.
    public func score(model: Matrix<Double>, circuit: Matrix<Double>) throws -> SimilarityScores {
        let cca = try CCA(components: components).fit(model, circuit)
        let procrustes = try Procrustes(components: components).fit(model, circuit)
        return SimilarityScores(
            ccaMean: cca.mean, canonicalCorrelations: cca.correlations,
            procrustesDistance: procrustes.distance, angularDistance: procrustes.angularDistance,
            componentsModel: cca.componentsX, componentsCircuit: cca.componentsY, samples: cca.samples)
    }
}

/// The scores of `DynamicsSimilarity`. Higher CCA is more similar; lower distances are.
public struct SimilarityScores: Sendable, Equatable, Codable {
    /// Mean of the canonical correlations (in [0, 1]).
    public var ccaMean: Double
    /// Every canonical correlation, descending.
    public var canonicalCorrelations: [Double]
    /// Euclidean Procrustes distance on centred, unit-norm PC scores (in [0, √2]).
    public var procrustesDistance: Double
    /// Angular Procrustes distance in radians (in [0, π/2]).
    public var angularDistance: Double
    /// Principal components of the model rates used.
    public var componentsModel: Int
    /// Principal components of the circuit rates used.
    public var componentsCircuit: Int
    /// Samples (conditions × time steps) compared.
    public var samples: Int

    /// These scores relative to an untrained network's (`floor`): 0 = no better than untrained,
    /// 1 = perfect, negative = worse than untrained. Correlations use perfect = 1, distances
    /// perfect = 0 (see `relativeToFloor`). Canonical correlations are compared one by one over
    /// the shorter of the two lists.
    public func relative(toFloor floor: SimilarityScores) -> RelativeSimilarity {
        RelativeSimilarity(
            ccaMean: relativeToFloor(ccaMean, floor: floor.ccaMean),
            canonicalCorrelations: zip(canonicalCorrelations, floor.canonicalCorrelations).map { relativeToFloor($0, floor: $1) },
            procrustesDistance: relativeToFloor(procrustesDistance, floor: floor.procrustesDistance, perfect: 0),
            angularDistance: relativeToFloor(angularDistance, floor: floor.angularDistance, perfect: 0))
    }
}

/// `SimilarityScores` rescaled by `relativeToFloor`: for every field 0 is the untrained floor and
/// 1 is perfect (for the distances too).
public struct RelativeSimilarity: Sendable, Equatable, Codable {
    public var ccaMean: Double
    public var canonicalCorrelations: [Double]
    public var procrustesDistance: Double
    public var angularDistance: Double
}

/// A score relative to the untrained network's: (s − floor) / (perfect − floor).
///
/// For a similarity where 1 is perfect (CCA) this is (s − s_untrained)/(1 − s_untrained), the relative
/// score of docs/method.md#the-untrained-floor.
/// For a distance where 0 is perfect (Procrustes), pass `perfect: 0`: (d_untrained − d)/d_untrained,
/// the fraction of the untrained network's distance that the fit removed. Either way 0 means no
/// better than untrained and 1 means perfect. NaN when floor equals perfect (nothing to improve).
public func relativeToFloor(_ score: Double, floor: Double, perfect: Double = 1) -> Double {
    let room = perfect - floor
    return room == 0 ? .nan : (score - floor) / room
}
