import CircuitFitCore

/// The ridge penalty of `HeldOutNeuronR2`: a fixed value, or one that scales with the model rates.
public enum RidgePenalty: Sendable, Equatable {
    /// Exactly this penalty λ in ‖Xc·W − Yc‖² + λ‖W‖².
    case absolute(Double)
    /// λ = factor × the mean eigenvalue of XcᵀXc (= ‖Xc‖²_F / H, Xc the centred training rates):
    /// the same relative shrinkage whatever the scale of the rates and the number of units.
    case relativeToMeanEigenvalue(Double)

    /// The default: λ = 10⁻² × the mean eigenvalue of XcᵀXc (a light shrinkage that keeps the
    /// solve well conditioned when units are nearly collinear, and barely biases a good fit).
    public static let standard = RidgePenalty.relativeToMeanEigenvalue(1e-2)

    /// The λ this rule gives for centred training rates `xc` (samples × H).
    func value(for xc: Matrix<Double>) -> Double {
        switch self {
        case .absolute(let lambda): return lambda
        case .relativeToMeanEigenvalue(let factor):
            let norm = xc.frobeniusNorm
            return xc.cols == 0 ? 0 : factor * norm * norm / Double(xc.cols)
        }
    }
}

/// How well the model's internal rates predict circuit neurons the model never saw
/// (docs/method.md#held-out-neurons, the analogue of co-smoothing): fit a ridge map with intercept from model rates to target neurons
/// on training samples, then score R² on held-out samples.
///
/// Inputs are `(samples, H)` model rates and `(samples, n)` target neuron rates, paired by row.
/// The map: centre X and Y by their training means, W = (XcᵀXc + λI)⁻¹ XcᵀYc, intercept
/// ȳ − x̄·W. On held-out samples, with SST taken around the held-out mean of each neuron:
/// - pooled R² = 1 − Σ_j SSE_j / Σ_j SST_j over all neurons j;
/// - mean neuron R² = the mean over neurons of 1 − SSE_j / SST_j, skipping neurons that are
///   constant on the held-out samples (SST_j = 0; their count is reported).
public struct HeldOutNeuronR2: Sendable {
    /// The ridge penalty rule; `.standard` by default.
    public var ridge: RidgePenalty

    public init(ridge: RidgePenalty = .standard) { self.ridge = ridge }

    /// A fixed ridge penalty λ ≥ 0.
    public init(ridge penalty: Double) { self.ridge = .absolute(penalty) }

    /// Fits the ridge map from `rates` (samples × H) to `neurons` (samples × n).
    /// If the training rates are constant (no variance), the map predicts the training mean.
    public func fit(rates: Matrix<Double>, neurons: Matrix<Double>) throws -> RidgeReadout {
        let metric = "held-out neuron R²"
        try AnalysisInput.requireSameSamples(rates, neurons, metric, "training rates", "training neurons")
        guard rates.rows >= 2 else { throw CircuitFitError("\(metric): need at least 2 training samples, got \(rates.shapeText)") }
        guard rates.cols >= 1 && neurons.cols >= 1 else {
            throw CircuitFitError("\(metric): need at least one unit and one neuron, got rates \(rates.shapeText) and neurons \(neurons.shapeText)")
        }
        try AnalysisInput.requireFinite(rates, metric, "training rates")
        try AnalysisInput.requireFinite(neurons, metric, "training neurons")
        let rateMean = rates.columnMeans, neuronMean = neurons.columnMeans
        let xc = rates.subtractingRow(rateMean), yc = neurons.subtractingRow(neuronMean)
        let penalty = ridge.value(for: xc)
        guard penalty >= 0 && penalty.isFinite else { throw CircuitFitError("\(metric): ridge penalty must be finite and ≥ 0, got \(penalty)") }
        let weights: Matrix<Double>
        if xc.frobeniusNorm == 0 {
            weights = Matrix(rows: rates.cols, cols: neurons.cols)
        } else {
            weights = try ridgeRegression(xc, yc, penalty: penalty)
        }
        let shift = matvec(weights, rateMean, transpose: true)
        let intercept = zip(neuronMean, shift).map { $0 - $1 }
        return RidgeReadout(weights: weights, intercept: intercept, penalty: penalty)
    }

    /// Fits on the training samples and scores R² on the held-out samples.
    public func score(
        trainingRates: Matrix<Double>, trainingNeurons: Matrix<Double>,
        heldOutRates: Matrix<Double>, heldOutNeurons: Matrix<Double>
    ) throws -> HeldOutR2Result {
        let metric = "held-out neuron R²"
        guard trainingNeurons.cols == heldOutNeurons.cols else {
            throw CircuitFitError("\(metric): training neurons are \(trainingNeurons.shapeText) but held-out neurons are \(heldOutNeurons.shapeText); neuron counts differ")
        }
        guard trainingRates.cols == heldOutRates.cols else {
            throw CircuitFitError("\(metric): training rates are \(trainingRates.shapeText) but held-out rates are \(heldOutRates.shapeText); unit counts differ")
        }
        try AnalysisInput.requireSameSamples(heldOutRates, heldOutNeurons, metric, "held-out rates", "held-out neurons")
        guard heldOutNeurons.rows >= 2 else { throw CircuitFitError("\(metric): need at least 2 held-out samples, got \(heldOutNeurons.shapeText)") }
        try AnalysisInput.requireFinite(heldOutNeurons, metric, "held-out neurons")
        let readout = try fit(rates: trainingRates, neurons: trainingNeurons)
        let predicted = try readout.predict(heldOutRates)
        let mean = heldOutNeurons.columnMeans
        var sse = [Double](repeating: 0, count: mean.count), sst = sse
        for i in 0..<heldOutNeurons.rows {
            for j in 0..<mean.count {
                let y = heldOutNeurons[i, j]
                let e = y - predicted[i, j], c = y - mean[j]
                sse[j] += e * e
                sst[j] += c * c
            }
        }
        let totalSST = sst.reduce(0, +)
        guard totalSST > 0 else {
            throw CircuitFitError("\(metric): every held-out neuron is constant on the held-out samples (\(heldOutNeurons.shapeText)); R² is undefined")
        }
        let perNeuron = zip(sse, sst).map { $1 > 0 ? 1 - $0 / $1 : Double.nan }
        let defined = perNeuron.filter { !$0.isNaN }
        return HeldOutR2Result(
            pooledR2: 1 - sse.reduce(0, +) / totalSST,
            meanNeuronR2: defined.reduce(0, +) / Double(defined.count),
            neuronR2: perNeuron,
            constantNeurons: perNeuron.count - defined.count,
            penalty: readout.penalty,
            trainingSamples: trainingRates.rows, heldOutSamples: heldOutRates.rows)
    }

    /// The same score on `[C, T, H]` model rates and `[C, T, N]` circuit rates: the circuit
    /// neurons listed in `neurons` (typically those not recorded) are predicted; the map is fitted
    /// on all time steps of `trainingConditions` and scored on those of `heldOutConditions`.
    public func score(
        modelRates: Array3<Double>, circuitRates: Array3<Double>, neurons: [Int],
        trainingConditions: [Int], heldOutConditions: [Int]
    ) throws -> HeldOutR2Result {
        guard modelRates.d0 == circuitRates.d0 && modelRates.d1 == circuitRates.d1 else {
            throw CircuitFitError("held-out neuron R²: model rates have shape \(modelRates.shape) but circuit rates \(circuitRates.shape); conditions and time steps must match")
        }
        guard !neurons.isEmpty else { throw CircuitFitError("held-out neuron R²: no target neurons given") }
        return try score(
            trainingRates: stackConditions(modelRates, conditions: trainingConditions),
            trainingNeurons: stackConditions(circuitRates, conditions: trainingConditions, channels: neurons),
            heldOutRates: stackConditions(modelRates, conditions: heldOutConditions),
            heldOutNeurons: stackConditions(circuitRates, conditions: heldOutConditions, channels: neurons))
    }
}

/// A fitted linear readout from model rates to neurons: prediction = rates·weights + intercept.
public struct RidgeReadout: Sendable, Equatable {
    /// H × n.
    public var weights: Matrix<Double>
    /// n values.
    public var intercept: [Double]
    /// The λ used.
    public var penalty: Double

    /// Predicted neuron rates (samples × n) for `rates` (samples × H).
    public func predict(_ rates: Matrix<Double>) throws -> Matrix<Double> {
        guard rates.cols == weights.rows else {
            throw CircuitFitError("ridge readout: rates are \(rates.shapeText) but the map was fitted on \(weights.rows) units")
        }
        try AnalysisInput.requireFinite(rates, "ridge readout", "rates")
        var out = matmul(rates, weights)
        for i in 0..<out.rows { for j in 0..<out.cols { out[i, j] += intercept[j] } }
        return out
    }
}

/// The outcome of `HeldOutNeuronR2.score`.
public struct HeldOutR2Result: Sendable {
    /// 1 − Σ SSE / Σ SST over all neurons, on held-out samples.
    public var pooledR2: Double
    /// The mean over neurons of each neuron's held-out R² (constant neurons skipped).
    public var meanNeuronR2: Double
    /// Each neuron's held-out R², NaN for a neuron constant on the held-out samples.
    public var neuronR2: [Double]
    /// Neurons skipped in `meanNeuronR2` because they are constant on the held-out samples.
    public var constantNeurons: Int
    /// The ridge penalty λ used.
    public var penalty: Double
    public var trainingSamples: Int
    public var heldOutSamples: Int
}
