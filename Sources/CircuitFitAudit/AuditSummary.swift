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
