import CircuitFitCore

/// How well a model predicts the effect of one perturbation set of a dataset
/// (docs/method.md#predicting-perturbations): the effect is the perturbed minus the control run
/// from the window's first step to the end of the trial, over the scored conditions. Written to
/// `evaluate --json` as `perturbation_predictions` (docs/files.md#evaluate), and by the audit as `dataset_perturbations` (docs/files.md § audit).
/// Computed by `predictPerturbations` (CircuitFitFitting).
public struct PerturbationPrediction: Codable, Equatable, Sendable {
    /// Index of the set in the dataset's perturbation table; whether the fit could train on it.
    public var set: Int
    public var heldOut: Bool
    public var kind: PerturbationKind
    /// The set's neurons, their tied model units and the value given to each (clamp state h, or
    /// current, dimensionless; see `modelPerturbation`).
    public var neurons: [Int]
    public var units: [Int]
    public var values: [Double]
    /// Steps [start, end) of the window, and the first step the effect is scored from (= start).
    public var window: [Int]
    /// Conditions scored.
    public var conditions: [Int]
    /// R² of the predicted against the true change of the outputs (targets' units), over
    /// conditions, scored steps and channels: 1 − Σ(Δẑ − Δz)² / Σ(Δz − mean Δz)².
    public var outputR2: Double
    /// ‖Δẑ‖ / ‖Δz‖.
    public var outputSizeRatio: Double
    /// ‖Δz‖ and ‖Δẑ‖ (targets' units).
    public var outputEffectNorm: Double
    public var outputPredictedNorm: Double
    /// The same for the recorded neurons outside the set, Hz (nil when there are none).
    public var neuronR2: Double?
    public var neuronSizeRatio: Double?

    public init(set: Int, heldOut: Bool, kind: PerturbationKind, neurons: [Int], units: [Int], values: [Double], window: [Int],
                conditions: [Int], outputR2: Double, outputSizeRatio: Double, outputEffectNorm: Double, outputPredictedNorm: Double,
                neuronR2: Double?, neuronSizeRatio: Double?) {
        self.set = set; self.heldOut = heldOut; self.kind = kind; self.neurons = neurons; self.units = units; self.values = values
        self.window = window; self.conditions = conditions; self.outputR2 = outputR2; self.outputSizeRatio = outputSizeRatio
        self.outputEffectNorm = outputEffectNorm; self.outputPredictedNorm = outputPredictedNorm
        self.neuronR2 = neuronR2; self.neuronSizeRatio = neuronSizeRatio
    }

    enum CodingKeys: String, CodingKey {
        case set, heldOut = "held_out", kind, neurons, units, values, window, conditions
        case outputR2 = "output_r2", outputSizeRatio = "output_size_ratio", outputEffectNorm = "output_effect_norm"
        case outputPredictedNorm = "output_predicted_norm", neuronR2 = "neuron_r2", neuronSizeRatio = "neuron_size_ratio"
    }

    /// Non-finite numbers (the R² of a zero effect) are written as null, as everywhere in the
    /// audit JSON and metrics.json, and read back as NaN (nil for the neuron scores).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(set, forKey: .set)
        try c.encode(heldOut, forKey: .heldOut)
        try c.encode(kind, forKey: .kind)
        try c.encode(neurons, forKey: .neurons)
        try c.encode(units, forKey: .units)
        try c.encodeFinite(values, forKey: .values)
        try c.encode(window, forKey: .window)
        try c.encode(conditions, forKey: .conditions)
        try c.encodeFinite(outputR2, forKey: .outputR2)
        try c.encodeFinite(outputSizeRatio, forKey: .outputSizeRatio)
        try c.encodeFinite(outputEffectNorm, forKey: .outputEffectNorm)
        try c.encodeFinite(outputPredictedNorm, forKey: .outputPredictedNorm)
        try c.encodeFinite(neuronR2, forKey: .neuronR2)
        try c.encodeFinite(neuronSizeRatio, forKey: .neuronSizeRatio)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        set = try c.decode(Int.self, forKey: .set)
        heldOut = try c.decode(Bool.self, forKey: .heldOut)
        kind = try c.decode(PerturbationKind.self, forKey: .kind)
        neurons = try c.decode([Int].self, forKey: .neurons)
        units = try c.decode([Int].self, forKey: .units)
        values = try c.decodeFiniteList(.values)
        window = try c.decode([Int].self, forKey: .window)
        conditions = try c.decode([Int].self, forKey: .conditions)
        outputR2 = try c.decodeFinite(.outputR2)
        outputSizeRatio = try c.decodeFinite(.outputSizeRatio)
        outputEffectNorm = try c.decodeFinite(.outputEffectNorm)
        outputPredictedNorm = try c.decodeFinite(.outputPredictedNorm)
        neuronR2 = try c.decodeFiniteIfPresent(.neuronR2)
        neuronSizeRatio = try c.decodeFiniteIfPresent(.neuronSizeRatio)
    }
}

/// The held-out perturbation sets' predictions of one fit in a few numbers: means over the sets
/// the fit never trained on (docs/method.md#predicting-perturbations). A result row's
/// `perturbation` and `audit`'s `heldout_perturbations` (docs/files.md).
public struct HeldOutPerturbationScore: Codable, Equatable, Sendable {
    /// How many held-out sets were scored (those with every neuron recorded).
    public var sets: Int
    /// Mean over the held-out sets of the outputs' R² (`PerturbationPrediction.outputR2`).
    public var outputR2: Double
    /// Mean over the held-out sets of the other recorded neurons' R² (nil when no set has other recorded neurons).
    public var neuronR2: Double?
    /// Mean over the held-out sets of ‖Δẑ‖ / ‖Δz‖.
    public var outputSizeRatio: Double

    /// The score of the held-out sets among `predictions`; nil when none is held out.
    public init?(_ predictions: [PerturbationPrediction]) {
        let held = predictions.filter(\.heldOut)
        guard !held.isEmpty else { return nil }
        func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
        sets = held.count
        outputR2 = mean(held.map(\.outputR2))
        let neurons = held.compactMap(\.neuronR2)
        neuronR2 = neurons.isEmpty ? nil : mean(neurons)
        outputSizeRatio = mean(held.map(\.outputSizeRatio))
    }

    /// The CSV columns of a result row (docs/files.md#resultscsv), empty when there is no score.
    public static let columns = ["perturbation_heldout_sets", "perturbation_heldout_output_r2", "perturbation_heldout_neuron_r2", "perturbation_heldout_size_ratio"]

    enum CodingKeys: String, CodingKey {
        case sets = "heldout_sets", outputR2 = "output_r2", neuronR2 = "neuron_r2", outputSizeRatio = "output_size_ratio"
    }

    /// Non-finite values (an R² of a zero effect) are written as null, as the audit's.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sets, forKey: .sets)
        try c.encodeFinite(outputR2, forKey: .outputR2)
        try c.encodeFinite(neuronR2, forKey: .neuronR2)
        try c.encodeFinite(outputSizeRatio, forKey: .outputSizeRatio)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sets = try c.decode(Int.self, forKey: .sets)
        outputR2 = try c.decodeFinite(.outputR2)
        neuronR2 = try c.decodeFiniteIfPresent(.neuronR2)
        outputSizeRatio = try c.decodeFinite(.outputSizeRatio)
    }
}
