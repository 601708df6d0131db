import Foundation

/// The numbers `evaluate` prints and `metrics.json` holds (interface.md), snake_case as in JSON.
/// Similarities are against the whole population the dataset holds (every circuit neuron for a
/// generated dataset, every recorded neuron for an imported one), or against a
/// `ReferencePopulation` when one is given (`evaluate --reference`). nil = not defined here (e.g.
/// no held-out conditions, or every neuron recorded).
public struct FitMetrics: Codable, Equatable, Sendable {
    /// What the similarities and held-out-neuron R² are against: "circuit" (a generated dataset's
    /// rates), "recorded" (an imported dataset's recordings) or "reference" (a
    /// `ReferencePopulation`, e.g. the full circuit behind an imported recording).
    public var population: String
    public var population_neurons: Int
    public var recorded_neurons: Int
    public var heldout_neurons: Int
    /// Output error, normalised MSE = 1 − R², on the conditions the fit used and on held-out ones.
    public var output_nmse_train: Double
    public var output_nmse_heldout: Double?
    /// Protocol (b): training angles the fit never saw.
    public var output_nmse_excluded: Double?
    /// Mean of the top-10 canonical correlations with the population (training conditions).
    public var cca_mean: Double
    public var cca_mean_heldout: Double?
    public var canonical_correlations: [Double]
    /// Procrustes shape distance and angular distance (rad) between the top-10 PC trajectories.
    public var procrustes_distance: Double
    public var procrustes_angular_distance: Double
    /// Ridge map from model rates to the neurons not recorded, fitted on training conditions,
    /// R² on held-out conditions (pooled over neurons) and its mean over neurons.
    public var heldout_neuron_r2: Double?
    public var heldout_neuron_r2_per_neuron_mean: Double?
    /// How well the recorded units match their normalised recordings (NMSE).
    public var recorded_nmse_train: Double?
    public var recorded_nmse_heldout: Double?
    /// The same metrics for the untrained network (the floor) and each similarity relative to
    /// it: (s − s_untrained)/(1 − s_untrained); for distances (d_untrained − d)/d_untrained.
    public var untrained: BaselineMetrics?
    public var cca_mean_relative: Double?
    public var procrustes_angular_relative: Double?
    public var heldout_neuron_r2_relative: Double?
    /// Every key is written, absent values as null, so scripts can rely on the keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(population, forKey: .population)
        try c.encode(population_neurons, forKey: .population_neurons)
        try c.encode(recorded_neurons, forKey: .recorded_neurons)
        try c.encode(heldout_neurons, forKey: .heldout_neurons)
        try c.encode(output_nmse_train, forKey: .output_nmse_train)
        try c.encode(output_nmse_heldout, forKey: .output_nmse_heldout)
        try c.encode(output_nmse_excluded, forKey: .output_nmse_excluded)
        try c.encode(cca_mean, forKey: .cca_mean)
        try c.encode(cca_mean_heldout, forKey: .cca_mean_heldout)
        try c.encode(canonical_correlations, forKey: .canonical_correlations)
        try c.encode(procrustes_distance, forKey: .procrustes_distance)
        try c.encode(procrustes_angular_distance, forKey: .procrustes_angular_distance)
        try c.encode(heldout_neuron_r2, forKey: .heldout_neuron_r2)
        try c.encode(heldout_neuron_r2_per_neuron_mean, forKey: .heldout_neuron_r2_per_neuron_mean)
        try c.encode(recorded_nmse_train, forKey: .recorded_nmse_train)
        try c.encode(recorded_nmse_heldout, forKey: .recorded_nmse_heldout)
        try c.encode(untrained, forKey: .untrained)
        try c.encode(cca_mean_relative, forKey: .cca_mean_relative)
        try c.encode(procrustes_angular_relative, forKey: .procrustes_angular_relative)
        try c.encode(heldout_neuron_r2_relative, forKey: .heldout_neuron_r2_relative)
    }

}

/// Metrics of the untrained network, the floor every similarity is reported against.
public struct BaselineMetrics: Codable, Equatable, Sendable {
    public var output_nmse_heldout: Double?
    public var cca_mean: Double
    public var canonical_correlations: [Double]
    public var procrustes_angular_distance: Double
    public var heldout_neuron_r2: Double?
}

/// What evaluation needs to know about which neurons were recorded and how.
public struct RecordingInfo: Sendable {
    public var neurons: [Int]
    public var offset: [Double]
    public var scale: [Double]
    public init(neurons: [Int], offset: [Double], scale: [Double]) {
        self.neurons = neurons; self.offset = offset; self.scale = scale
    }
}

/// Simulates a model on every condition of `dataset` and scores it (science.md §4).
///
/// Similarities (CCA, Procrustes) and held-out-neuron R² are against the dataset's own neural data,
/// or, when `reference` is given, against `reference.rates` (e.g. every neuron of the circuit an
/// imported recording was made from); the held-out neurons are then every reference neuron not
/// among `reference.recordedNeurons`. Output errors and the recorded units' NMSE always use the
/// dataset itself.
public func evaluateModel(
    spec: RNNSpec, parameters: RNNParameters, untrained: RNNParameters?, dataset: ReachDataset,
    recording: RecordingInfo, split: ConditionSplit, components: Int = 10, reference: ReferencePopulation? = nil
) throws -> FitMetrics {
    guard spec.inputs == dataset.inputCount, spec.outputs == dataset.outputCount else {
        throw CircuitFitError("model has \(spec.inputs) inputs and \(spec.outputs) outputs but the dataset has \(dataset.inputCount) inputs and \(dataset.outputCount) targets")
    }
    guard let own = dataset.neuralData else { throw CircuitFitError("dataset has no neural data to score against") }
    if let bad = recording.neurons.first(where: { $0 < 0 || $0 >= own.d2 }) {
        throw CircuitFitError("model's recorded neuron \(bad) is outside the dataset's \(own.d2) neurons: was it fitted to another dataset?")
    }
    if let reference {
        try reference.requireGrid(of: dataset)
        guard reference.recordedNeurons.count == recording.neurons.count else {
            throw CircuitFitError("reference population: \(reference.recordedNeurons.count) recorded neurons mapped for a model with \(recording.neurons.count)")
        }
    }
    // The population similarities and held-out R² are scored against, and the recorded neurons in it.
    let population = reference?.rates ?? own
    let sim = try simulate(spec: spec, parameters: parameters, inputs: dataset.inputs)
    let rates = sim.rates.asDouble, outputs = sim.outputs.asDouble
    let trainC = split.fit, heldC = split.heldOut
    let recordedSet = Set(reference?.recordedNeurons ?? recording.neurons)
    let unrecorded = (0..<population.d2).filter { !recordedSet.contains($0) }
    let similarity = DynamicsSimilarity(components: components)
    let hasNaN = population.data.contains { $0.isNaN }

    func scores(_ r: Array3<Double>, _ z: Array3<Double>) throws -> (sim: SimilarityScores, simHeld: SimilarityScores?, r2: HeldOutR2Result?, nmseHeld: Double?) {
        let s = try similarity.score(modelRates: r, circuitRates: population, conditions: trainC)
        let sh = heldC.isEmpty ? nil : try similarity.score(modelRates: r, circuitRates: population, conditions: heldC)
        var r2: HeldOutR2Result? = nil
        if !heldC.isEmpty && !unrecorded.isEmpty && !hasNaN {
            r2 = try HeldOutNeuronR2().score(
                modelRates: r, circuitRates: population, neurons: unrecorded, trainingConditions: trainC, heldOutConditions: heldC)
        }
        let nh = heldC.isEmpty ? nil : try normalizedMSE(predicted: z, target: dataset.targets, conditions: heldC)
        return (s, sh, r2, nh)
    }
    let trained = try scores(rates, outputs)
    var baseline: BaselineMetrics? = nil
    if let untrained {
        let u = try simulate(spec: spec, parameters: untrained, inputs: dataset.inputs)
        let b = try scores(u.rates.asDouble, u.outputs.asDouble)
        baseline = BaselineMetrics(
            output_nmse_heldout: b.nmseHeld, cca_mean: b.sim.ccaMean, canonical_correlations: b.sim.canonicalCorrelations,
            procrustes_angular_distance: b.sim.angularDistance, heldout_neuron_r2: b.r2?.pooledR2)
    }

    // Recorded units against their normalised recordings.
    func recordedNMSE(_ conditions: [Int]) -> Double? {
        // only for a model fitted to exactly these neurons
        if recording.neurons.isEmpty || conditions.isEmpty || spec.recorded != recording.neurons.count { return nil }
        var sse = 0.0, sst = 0.0
        for (m, n) in recording.neurons.enumerated() {
            var values: [(Double, Double)] = []
            for c in conditions {
                for t in 0..<own.d1 {
                    let y = own[c, t, n]
                    if y.isNaN { continue }
                    let target = (y - recording.offset[m]) / recording.scale[m]
                    values.append((predictedRecorded(spec: spec, parameters: parameters, rates: rates, c: c, t: t, m: m), target))
                }
            }
            let mean = values.reduce(0.0) { $0 + $1.1 } / Double(max(1, values.count))
            for (p, y) in values { sse += (p - y) * (p - y); sst += (y - mean) * (y - mean) }
        }
        return sst > 0 ? sse / sst : nil
    }

    let excludedNMSE = split.excluded.isEmpty ? nil : try normalizedMSE(predicted: outputs, target: dataset.targets, conditions: split.excluded)
    return FitMetrics(
        population: reference != nil ? "reference" : dataset.rates != nil ? "circuit" : "recorded", population_neurons: population.d2,
        recorded_neurons: recording.neurons.count, heldout_neurons: unrecorded.count,
        output_nmse_train: try normalizedMSE(predicted: outputs, target: dataset.targets, conditions: trainC),
        output_nmse_heldout: trained.nmseHeld, output_nmse_excluded: excludedNMSE,
        cca_mean: trained.sim.ccaMean, cca_mean_heldout: trained.simHeld?.ccaMean,
        canonical_correlations: trained.sim.canonicalCorrelations,
        procrustes_distance: trained.sim.procrustesDistance, procrustes_angular_distance: trained.sim.angularDistance,
        heldout_neuron_r2: trained.r2?.pooledR2, heldout_neuron_r2_per_neuron_mean: trained.r2?.meanNeuronR2,
        recorded_nmse_train: recordedNMSE(trainC), recorded_nmse_heldout: recordedNMSE(heldC),
        untrained: baseline,
        cca_mean_relative: baseline.map { relativeToFloor(trained.sim.ccaMean, floor: $0.cca_mean) },
        procrustes_angular_relative: baseline.map { relativeToFloor(trained.sim.angularDistance, floor: $0.procrustes_angular_distance, perfect: 0) },
        heldout_neuron_r2_relative: baseline.flatMap { b in
            guard let t = trained.r2?.pooledR2, let f = b.heldout_neuron_r2 else { return nil }
            return relativeToFloor(t, floor: f)
        })
}

/// The model's prediction of recorded neuron m's normalised rate at (c, t).
func predictedRecorded(spec: RNNSpec, parameters: RNNParameters, rates: Array3<Double>, c: Int, t: Int, m: Int) -> Double {
    switch spec.mapping {
    case .identity:
        return rates[c, t, spec.recordedUnits[m]]
    case .linear:
        let d = parameters[.D], e = parameters[.e]
        let h = spec.hidden
        var s = Double(e[e.startIndex + m])
        for i in 0..<h { s += Double(d[d.startIndex + m * h + i]) * rates[c, t, i] }
        return s
    }
}

extension Array3 where Element == Float {
    /// Element-wise conversion to Double (analysis runs in Float64).
    public var asDouble: Array3<Double> { Array3<Double>(d0, d1, d2, data: data.map(Double.init)) }
}
