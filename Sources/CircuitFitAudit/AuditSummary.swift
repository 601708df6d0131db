import CircuitFitCore

/// The audit's headline numbers for one fit, flat, for a result row or a claim (each defined in
/// `MechanismAudit`; nil where the audit has no value, e.g. no baseline fixed point).
public struct AuditSummary: Codable, Equatable, Sendable {
    public var spuriousAttractors: Int
    public var modelStableFixedPoints: Int
    public var spectrumDistancePerS: Double?
    public var slowestModesDistancePerS: Double?
    public var dsaAngularDistance: Double
    public var perturbedUnits: PerturbedUnits
    public var perturbationMuscleR2: Double?
    public var perturbationNetworkR2: Double?
    public var perturbationOtherNeuronsR2: Double?
    public var modelGramianTopRelative: Double?
    public var circuitGramianTopRelative: Double?
    public var modelPeakNormRatio: Double
    public var circuitPeakNormRatio: Double
    public var modelRotationHz: Double
    public var circuitRotationHz: Double

    enum CodingKeys: String, CodingKey {
        case spuriousAttractors = "spurious_attractors"
        case modelStableFixedPoints = "model_stable_fixed_points"
        case spectrumDistancePerS = "spectrum_distance_per_s"
        case slowestModesDistancePerS = "slowest_modes_distance_per_s"
        case dsaAngularDistance = "dsa_angular_distance"
        case perturbedUnits = "perturbed_units"
        case perturbationMuscleR2 = "perturbation_muscle_r2"
        case perturbationNetworkR2 = "perturbation_network_r2"
        case perturbationOtherNeuronsR2 = "perturbation_other_neurons_r2"
        case modelGramianTopRelative = "model_gramian_top_relative"
        case circuitGramianTopRelative = "circuit_gramian_top_relative"
        case modelPeakNormRatio = "model_peak_norm_ratio"
        case circuitPeakNormRatio = "circuit_peak_norm_ratio"
        case modelRotationHz = "model_rotation_hz"
        case circuitRotationHz = "circuit_rotation_hz"
    }

    public init(
        spuriousAttractors: Int, modelStableFixedPoints: Int, spectrumDistancePerS: Double?, slowestModesDistancePerS: Double?,
        dsaAngularDistance: Double, perturbedUnits: PerturbedUnits, perturbationMuscleR2: Double?, perturbationNetworkR2: Double?,
        perturbationOtherNeuronsR2: Double?, modelGramianTopRelative: Double?, circuitGramianTopRelative: Double?,
        modelPeakNormRatio: Double, circuitPeakNormRatio: Double, modelRotationHz: Double, circuitRotationHz: Double
    ) {
        self.spuriousAttractors = spuriousAttractors; self.modelStableFixedPoints = modelStableFixedPoints
        self.spectrumDistancePerS = spectrumDistancePerS; self.slowestModesDistancePerS = slowestModesDistancePerS
        self.dsaAngularDistance = dsaAngularDistance; self.perturbedUnits = perturbedUnits
        self.perturbationMuscleR2 = perturbationMuscleR2; self.perturbationNetworkR2 = perturbationNetworkR2
        self.perturbationOtherNeuronsR2 = perturbationOtherNeuronsR2
        self.modelGramianTopRelative = modelGramianTopRelative; self.circuitGramianTopRelative = circuitGramianTopRelative
        self.modelPeakNormRatio = modelPeakNormRatio; self.circuitPeakNormRatio = circuitPeakNormRatio
        self.modelRotationHz = modelRotationHz; self.circuitRotationHz = circuitRotationHz
    }

    /// Every key is written; a number that is absent or not finite is null (never "NaN").
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(spuriousAttractors, forKey: .spuriousAttractors)
        try c.encode(modelStableFixedPoints, forKey: .modelStableFixedPoints)
        try c.encodeFinite(spectrumDistancePerS, forKey: .spectrumDistancePerS)
        try c.encodeFinite(slowestModesDistancePerS, forKey: .slowestModesDistancePerS)
        try c.encodeFinite(dsaAngularDistance, forKey: .dsaAngularDistance)
        try c.encode(perturbedUnits, forKey: .perturbedUnits)
        try c.encodeFinite(perturbationMuscleR2, forKey: .perturbationMuscleR2)
        try c.encodeFinite(perturbationNetworkR2, forKey: .perturbationNetworkR2)
        try c.encodeFinite(perturbationOtherNeuronsR2, forKey: .perturbationOtherNeuronsR2)
        try c.encodeFinite(modelGramianTopRelative, forKey: .modelGramianTopRelative)
        try c.encodeFinite(circuitGramianTopRelative, forKey: .circuitGramianTopRelative)
        try c.encodeFinite(modelPeakNormRatio, forKey: .modelPeakNormRatio)
        try c.encodeFinite(circuitPeakNormRatio, forKey: .circuitPeakNormRatio)
        try c.encodeFinite(modelRotationHz, forKey: .modelRotationHz)
        try c.encodeFinite(circuitRotationHz, forKey: .circuitRotationHz)
    }

    /// null reads back as nil (optional numbers) or NaN (the others).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spuriousAttractors = try c.decode(Int.self, forKey: .spuriousAttractors)
        modelStableFixedPoints = try c.decode(Int.self, forKey: .modelStableFixedPoints)
        spectrumDistancePerS = try c.decodeFiniteIfPresent(.spectrumDistancePerS)
        slowestModesDistancePerS = try c.decodeFiniteIfPresent(.slowestModesDistancePerS)
        dsaAngularDistance = try c.decodeFinite(.dsaAngularDistance)
        perturbedUnits = try c.decode(PerturbedUnits.self, forKey: .perturbedUnits)
        perturbationMuscleR2 = try c.decodeFiniteIfPresent(.perturbationMuscleR2)
        perturbationNetworkR2 = try c.decodeFiniteIfPresent(.perturbationNetworkR2)
        perturbationOtherNeuronsR2 = try c.decodeFiniteIfPresent(.perturbationOtherNeuronsR2)
        modelGramianTopRelative = try c.decodeFiniteIfPresent(.modelGramianTopRelative)
        circuitGramianTopRelative = try c.decodeFiniteIfPresent(.circuitGramianTopRelative)
        modelPeakNormRatio = try c.decodeFinite(.modelPeakNormRatio)
        circuitPeakNormRatio = try c.decodeFinite(.circuitPeakNormRatio)
        modelRotationHz = try c.decodeFinite(.modelRotationHz)
        circuitRotationHz = try c.decodeFinite(.circuitRotationHz)
    }

    /// The summary's columns in `results.csv`, in this order (the JSON keys).
    public static let columns: [String] = [
        "spurious_attractors", "model_stable_fixed_points", "spectrum_distance_per_s", "slowest_modes_distance_per_s",
        "dsa_angular_distance", "perturbed_units", "perturbation_muscle_r2", "perturbation_network_r2",
        "perturbation_other_neurons_r2", "model_gramian_top_relative", "circuit_gramian_top_relative",
        "model_peak_norm_ratio", "circuit_peak_norm_ratio", "model_rotation_hz", "circuit_rotation_hz",
    ]

    /// The cells under `columns`; a number that is absent or not finite is an empty cell.
    public var cells: [String] {
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        return [
            "\(spuriousAttractors)", "\(modelStableFixedPoints)", f(spectrumDistancePerS), f(slowestModesDistancePerS),
            f(dsaAngularDistance), perturbedUnits.rawValue, f(perturbationMuscleR2), f(perturbationNetworkR2),
            f(perturbationOtherNeuronsR2), f(modelGramianTopRelative), f(circuitGramianTopRelative),
            f(modelPeakNormRatio), f(circuitPeakNormRatio), f(modelRotationHz), f(circuitRotationHz),
        ]
    }
}

extension MechanismAudit {
    /// The headline numbers (the perturbation R² are the means over the groups).
    public var summary: AuditSummary {
        AuditSummary(
            spuriousAttractors: spuriousAttractors, modelStableFixedPoints: model.movement.stable,
            spectrumDistancePerS: spectrumDistancePerS, slowestModesDistancePerS: slowestModesDistancePerS,
            dsaAngularDistance: dsaAngularDistance, perturbedUnits: perturbation.units,
            perturbationMuscleR2: perturbation.muscleR2Mean, perturbationNetworkR2: perturbation.muscleNetworkR2Mean,
            perturbationOtherNeuronsR2: perturbation.otherNeuronsR2Mean,
            modelGramianTopRelative: model.baseline?.gramianTopEnergiesRelative?.first,
            circuitGramianTopRelative: circuit.baseline?.gramianTopEnergiesRelative?.first,
            modelPeakNormRatio: model.peakNormRatio, circuitPeakNormRatio: circuit.peakNormRatio,
            modelRotationHz: model.rotation.rotationHz, circuitRotationHz: circuit.rotation.rotationHz)
    }
}
