import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// The numbers `evaluate` prints and `metrics.json` holds (docs/files.md#metricsjson), snake_case as in JSON.
/// Similarities are against the whole population the dataset holds (every circuit neuron for a
/// generated dataset, every recorded neuron for an imported one), or against a
/// `ReferencePopulation` when one is given (`evaluate --reference`). nil = not defined here (e.g.
/// no held-out conditions, or every neuron recorded).
public struct FitMetrics: Codable, Equatable, Sendable {
    /// What the similarities and held-out-neuron R² are against: "circuit" (a generated dataset's
    /// rates), "recorded" (an imported dataset's recordings) or "reference" (a
    /// `ReferencePopulation`, e.g. the full circuit behind an imported recording).
    public var population: String
    public var populationNeurons: Int
    public var recordedNeurons: Int
    public var heldoutNeurons: Int
    /// Output error, normalised MSE = 1 − R², on the conditions the fit used and on held-out ones.
    public var outputNMSETrain: Double
    public var outputNMSEHeldout: Double?
    /// Protocol (b): training angles the fit never saw.
    public var outputNMSEExcluded: Double?
    /// Mean of the top-10 canonical correlations with the population (training conditions).
    public var ccaMean: Double
    public var ccaMeanHeldout: Double?
    public var canonicalCorrelations: [Double]
    /// Procrustes shape distance and angular distance (rad) between the top-10 PC trajectories.
    public var procrustesDistance: Double
    public var procrustesAngularDistance: Double
    /// Ridge map from model rates to the neurons not recorded, fitted on training conditions,
    /// R² on held-out conditions (pooled over neurons) and its mean over neurons.
    public var heldoutNeuronR2: Double?
    public var heldoutNeuronR2PerNeuronMean: Double?
    /// How well the recorded units match their normalised recordings (NMSE).
    public var recordedNMSETrain: Double?
    public var recordedNMSEHeldout: Double?
    /// The same metrics for the untrained network (the floor) and each similarity relative to
    /// it: (s − s_untrained)/(1 − s_untrained); for distances (d_untrained − d)/d_untrained.
    public var untrained: BaselineMetrics?
    public var ccaMeanRelative: Double?
    public var procrustesAngularRelative: Double?
    public var heldoutNeuronR2Relative: Double?
    /// Whether the fit met the convergence criterion (docs/method.md#convergence) and the
    /// details, from the fit's own record (null when evaluating a model without one).
    public var converged: Bool? = nil
    public var convergence: ConvergenceReport? = nil
    /// Every key is written, absent and non-finite values as null, so scripts can rely on the
    /// keys and every JSON reader can read the file.
    /// The recorded-neuron fit and the held-out-neuron R² beside their noise ceilings, from the
    /// dataset's split-half PSTHs (an imported dataset of condition averages; nil otherwise, and
    /// with a reference population, whose rates have no trial noise).
    public var noiseCeiling: NoiseCeilingMetrics?
    /// Input channels active in some held-out condition but in no condition the fit was trained
    /// on (a one-hot of the condition): for those conditions the held-out score measures nothing
    /// the network could have learned. Empty when every held-out input was seen in training.
    public var unseenInputChannels: [Int]?
    /// Every key is written, absent values as null, so scripts can rely on the keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(population, forKey: .population)
        try c.encode(populationNeurons, forKey: .populationNeurons)
        try c.encode(recordedNeurons, forKey: .recordedNeurons)
        try c.encode(heldoutNeurons, forKey: .heldoutNeurons)
        try c.encodeFinite(outputNMSETrain, forKey: .outputNMSETrain)
        try c.encodeFinite(outputNMSEHeldout, forKey: .outputNMSEHeldout)
        try c.encodeFinite(outputNMSEExcluded, forKey: .outputNMSEExcluded)
        try c.encodeFinite(ccaMean, forKey: .ccaMean)
        try c.encodeFinite(ccaMeanHeldout, forKey: .ccaMeanHeldout)
        try c.encodeFinite(canonicalCorrelations, forKey: .canonicalCorrelations)
        try c.encodeFinite(procrustesDistance, forKey: .procrustesDistance)
        try c.encodeFinite(procrustesAngularDistance, forKey: .procrustesAngularDistance)
        try c.encodeFinite(heldoutNeuronR2, forKey: .heldoutNeuronR2)
        try c.encodeFinite(heldoutNeuronR2PerNeuronMean, forKey: .heldoutNeuronR2PerNeuronMean)
        try c.encodeFinite(recordedNMSETrain, forKey: .recordedNMSETrain)
        try c.encodeFinite(recordedNMSEHeldout, forKey: .recordedNMSEHeldout)
        try c.encode(untrained, forKey: .untrained)
        try c.encodeFinite(ccaMeanRelative, forKey: .ccaMeanRelative)
        try c.encodeFinite(procrustesAngularRelative, forKey: .procrustesAngularRelative)
        try c.encodeFinite(heldoutNeuronR2Relative, forKey: .heldoutNeuronR2Relative)
        try c.encode(converged, forKey: .converged)
        try c.encode(convergence, forKey: .convergence)
        try c.encode(ccaMeanRelative, forKey: .ccaMeanRelative)
        try c.encode(procrustesAngularRelative, forKey: .procrustesAngularRelative)
        try c.encode(heldoutNeuronR2Relative, forKey: .heldoutNeuronR2Relative)
        try c.encode(noiseCeiling, forKey: .noiseCeiling)
        try c.encode(unseenInputChannels, forKey: .unseenInputChannels)
    }


    enum CodingKeys: String, CodingKey {
        case population
        case populationNeurons = "population_neurons"
        case recordedNeurons = "recorded_neurons"
        case heldoutNeurons = "heldout_neurons"
        case outputNMSETrain = "output_nmse_train"
        case outputNMSEHeldout = "output_nmse_heldout"
        case outputNMSEExcluded = "output_nmse_excluded"
        case ccaMean = "cca_mean"
        case ccaMeanHeldout = "cca_mean_heldout"
        case canonicalCorrelations = "canonical_correlations"
        case procrustesDistance = "procrustes_distance"
        case procrustesAngularDistance = "procrustes_angular_distance"
        case heldoutNeuronR2 = "heldout_neuron_r2"
        case heldoutNeuronR2PerNeuronMean = "heldout_neuron_r2_per_neuron_mean"
        case recordedNMSETrain = "recorded_nmse_train"
        case recordedNMSEHeldout = "recorded_nmse_heldout"
        case untrained
        case ccaMeanRelative = "cca_mean_relative"
        case procrustesAngularRelative = "procrustes_angular_relative"
        case heldoutNeuronR2Relative = "heldout_neuron_r2_relative"
        case converged
        case convergence
        case noiseCeiling = "noise_ceiling"
        case unseenInputChannels = "unseen_input_channels"
    }
}

/// The fits beside what trial-to-trial noise allows (`SplitHalfReliability`): R² of the recorded
/// neurons (training conditions, each neuron's own fit) and of the held-out neurons (held-out
/// conditions, the ridge map of `heldout_neuron_r2`), each with its ceiling — the R² a model
/// predicting the true rates exactly would expect — and the score divided by it.
public struct NoiseCeilingMetrics: Codable, Equatable, Sendable {
    /// Pooled R² of the recorded units against their recordings on the training conditions
    /// (1 − recorded_nmse_train), its ceiling and the ratio. A fit can exceed its ceiling by
    /// fitting the noise of the very samples it was trained on.
    public var recordedR2Train: Double?
    public var recordedR2CeilingTrain: Double?
    public var recordedR2NormalizedTrain: Double?
    /// Pooled held-out-neuron R² (held-out conditions), its ceiling Σρ_j SST_j / Σ SST_j, and
    /// R² / ceiling.
    public var heldoutNeuronR2: Double?
    public var heldoutNeuronR2Ceiling: Double?
    public var heldoutNeuronR2Normalized: Double?
    /// Neurons whose ceiling on the scored samples is below `unreliableBelow` (or undefined).
    public var unreliableBelow: Double
    public var neurons: [NeuronCeiling]

    enum CodingKeys: String, CodingKey {
        case recordedR2Train = "recorded_r2_train"
        case recordedR2CeilingTrain = "recorded_r2_ceiling_train"
        case recordedR2NormalizedTrain = "recorded_r2_normalized_train"
        case heldoutNeuronR2 = "heldout_neuron_r2"
        case heldoutNeuronR2Ceiling = "heldout_neuron_r2_ceiling"
        case heldoutNeuronR2Normalized = "heldout_neuron_r2_normalized"
        case unreliableBelow = "unreliable_below"
        case neurons
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recordedR2Train, forKey: .recordedR2Train)
        try c.encode(recordedR2CeilingTrain, forKey: .recordedR2CeilingTrain)
        try c.encode(recordedR2NormalizedTrain, forKey: .recordedR2NormalizedTrain)
        try c.encode(heldoutNeuronR2, forKey: .heldoutNeuronR2)
        try c.encode(heldoutNeuronR2Ceiling, forKey: .heldoutNeuronR2Ceiling)
        try c.encode(heldoutNeuronR2Normalized, forKey: .heldoutNeuronR2Normalized)
        try c.encode(unreliableBelow, forKey: .unreliableBelow)
        try c.encode(neurons, forKey: .neurons)
    }
}

/// One neuron's score beside its ceiling.
public struct NeuronCeiling: Codable, Equatable, Sendable {
    public enum Role: String, Codable, Sendable { case recorded, heldout }
    /// Index into the dataset's neurons (`recorded`'s last axis) and the unit id.
    public var neuron: Int
    public var id: Int?
    public var role: Role
    /// R² on the scored samples (recorded: training conditions; held out: held-out conditions).
    public var r2: Double?
    /// Split-half reliability on those samples: the R² ceiling.
    public var ceiling: Double?
    public var unreliable: Bool

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(neuron, forKey: .neuron)
        try c.encode(id, forKey: .id)
        try c.encode(role, forKey: .role)
        try c.encode(r2, forKey: .r2)
        try c.encode(ceiling, forKey: .ceiling)
        try c.encode(unreliable, forKey: .unreliable)
    }
}

/// Input channels active (non-zero) in some of `heldOut` conditions but in none of `training`.
public func unseenInputChannels(dataset: ReachDataset, training: [Int], heldOut: [Int]) -> [Int] {
    func active(_ conditions: [Int], _ channel: Int) -> Bool {
        conditions.contains { c in (0..<dataset.steps).contains { dataset.inputs[c, $0, channel] != 0 } }
    }
    return (0..<dataset.inputCount).filter { active(heldOut, $0) && !active(training, $0) }
}

/// "warning: …" text for unseen input channels, or nil when there are none.
public func unseenInputWarning(_ channels: [Int]) -> String? {
    guard !channels.isEmpty else { return nil }
    return "the inputs of the held-out conditions use input channel\(channels.count == 1 ? "" : "s") \(channels.map(String.init).joined(separator: ", ")), never active in the conditions the fit was trained on (a one-hot of the condition): the held-out-condition score measures nothing the network could have learned; import with --inputs angle (or --input-column) so every condition's inputs are ones the network can generalise over"
}

/// Metrics of the untrained network, the floor every similarity is reported against.
public struct BaselineMetrics: Codable, Equatable, Sendable {
    public var outputNMSEHeldout: Double?
    public var ccaMean: Double
    public var canonicalCorrelations: [Double]
    public var procrustesAngularDistance: Double
    public var heldoutNeuronR2: Double?

    enum CodingKeys: String, CodingKey {
        case outputNMSEHeldout = "output_nmse_heldout"
        case ccaMean = "cca_mean"
        case canonicalCorrelations = "canonical_correlations"
        case procrustesAngularDistance = "procrustes_angular_distance"
        case heldoutNeuronR2 = "heldout_neuron_r2"
    }

    /// Non-finite values as null (see `FitMetrics.encode`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(outputNMSEHeldout, forKey: .outputNMSEHeldout)
        try c.encodeFinite(ccaMean, forKey: .ccaMean)
        try c.encodeFinite(canonicalCorrelations, forKey: .canonicalCorrelations)
        try c.encodeFinite(procrustesAngularDistance, forKey: .procrustesAngularDistance)
        try c.encodeFinite(heldoutNeuronR2, forKey: .heldoutNeuronR2)
    }
}

extension BaselineMetrics {
    /// Reads null as NaN where a number is required.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            outputNMSEHeldout: try c.decodeFiniteIfPresent(.outputNMSEHeldout), ccaMean: try c.decodeFinite(.ccaMean),
            canonicalCorrelations: try c.decodeFiniteList(.canonicalCorrelations),
            procrustesAngularDistance: try c.decodeFinite(.procrustesAngularDistance), heldoutNeuronR2: try c.decodeFiniteIfPresent(.heldoutNeuronR2))
    }
}

extension FitMetrics {
    /// Reads null as NaN where a number is required (the file writes non-finite values as null).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            population: try c.decode(String.self, forKey: .population),
            populationNeurons: try c.decode(Int.self, forKey: .populationNeurons),
            recordedNeurons: try c.decode(Int.self, forKey: .recordedNeurons),
            heldoutNeurons: try c.decode(Int.self, forKey: .heldoutNeurons),
            outputNMSETrain: try c.decodeFinite(.outputNMSETrain),
            outputNMSEHeldout: try c.decodeFiniteIfPresent(.outputNMSEHeldout),
            outputNMSEExcluded: try c.decodeFiniteIfPresent(.outputNMSEExcluded),
            ccaMean: try c.decodeFinite(.ccaMean),
            ccaMeanHeldout: try c.decodeFiniteIfPresent(.ccaMeanHeldout),
            canonicalCorrelations: try c.decodeFiniteList(.canonicalCorrelations),
            procrustesDistance: try c.decodeFinite(.procrustesDistance),
            procrustesAngularDistance: try c.decodeFinite(.procrustesAngularDistance),
            heldoutNeuronR2: try c.decodeFiniteIfPresent(.heldoutNeuronR2),
            heldoutNeuronR2PerNeuronMean: try c.decodeFiniteIfPresent(.heldoutNeuronR2PerNeuronMean),
            recordedNMSETrain: try c.decodeFiniteIfPresent(.recordedNMSETrain),
            recordedNMSEHeldout: try c.decodeFiniteIfPresent(.recordedNMSEHeldout),
            untrained: try c.decodeIfPresent(BaselineMetrics.self, forKey: .untrained),
            ccaMeanRelative: try c.decodeFiniteIfPresent(.ccaMeanRelative),
            procrustesAngularRelative: try c.decodeFiniteIfPresent(.procrustesAngularRelative),
            heldoutNeuronR2Relative: try c.decodeFiniteIfPresent(.heldoutNeuronR2Relative))
        converged = try c.decodeIfPresent(Bool.self, forKey: .converged)
        convergence = try c.decodeIfPresent(ConvergenceReport.self, forKey: .convergence)
        noiseCeiling = try c.decodeIfPresent(NoiseCeilingMetrics.self, forKey: .noiseCeiling)
        unseenInputChannels = try c.decodeIfPresent([Int].self, forKey: .unseenInputChannels)
    }
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

/// Simulates a model on every condition of `dataset` and scores it (docs/method.md#the-metrics).
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
    guard abs(spec.dtMs - dataset.dtMs) <= 1e-9 * max(spec.dtMs, dataset.dtMs) else {
        throw CircuitFitError("the model steps dt_ms = \(spec.dtMs) but the dataset's time step is dt_ms = \(dataset.dtMs): was it fitted to another dataset?")
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
    // held-out-neuron R²: over the unrecorded neurons without missing samples (MissingSamples);
    // undefined (nil) when none of them varies on the held-out conditions
    let scoredNeurons = heldC.isEmpty ? unrecorded : MissingSamples.completeChannels(population, conditions: trainC + heldC, among: unrecorded)
    let r2Defined = !heldC.isEmpty && scoredNeurons.contains { varies(population, channel: $0, conditions: heldC) }

    func scores(_ r: Array3<Double>, _ z: Array3<Double>) throws -> (sim: SimilarityScores, simHeld: SimilarityScores?, r2: HeldOutR2Result?, nmseHeld: Double?) {
        let s = try similarity.score(modelRates: r, circuitRates: population, conditions: trainC)
        let sh = heldC.isEmpty ? nil : try similarity.score(modelRates: r, circuitRates: population, conditions: heldC)
        var r2: HeldOutR2Result? = nil
        if r2Defined {
            r2 = try HeldOutNeuronR2().score(
                modelRates: r, circuitRates: population, neurons: scoredNeurons, trainingConditions: trainC, heldOutConditions: heldC)
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
            outputNMSEHeldout: b.nmseHeld, ccaMean: b.sim.ccaMean, canonicalCorrelations: b.sim.canonicalCorrelations,
            procrustesAngularDistance: b.sim.angularDistance, heldoutNeuronR2: b.r2?.pooledR2)
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
    let ceiling = reference == nil ? noiseCeilingMetrics(
        dataset: dataset, spec: spec, parameters: parameters, rates: rates, recording: recording,
        trainC: trainC, heldC: heldC, unrecorded: unrecorded, heldOutR2: trained.r2) : nil
    return FitMetrics(
        population: reference != nil ? "reference" : dataset.rates != nil ? "circuit" : "recorded", populationNeurons: population.d2,
        recordedNeurons: recording.neurons.count, heldoutNeurons: scoredNeurons.count,
        outputNMSETrain: try normalizedMSE(predicted: outputs, target: dataset.targets, conditions: trainC),
        outputNMSEHeldout: trained.nmseHeld, outputNMSEExcluded: excludedNMSE,
        ccaMean: trained.sim.ccaMean, ccaMeanHeldout: trained.simHeld?.ccaMean,
        canonicalCorrelations: trained.sim.canonicalCorrelations,
        procrustesDistance: trained.sim.procrustesDistance, procrustesAngularDistance: trained.sim.angularDistance,
        heldoutNeuronR2: trained.r2?.pooledR2, heldoutNeuronR2PerNeuronMean: trained.r2?.meanNeuronR2,
        recordedNMSETrain: recordedNMSE(trainC), recordedNMSEHeldout: recordedNMSE(heldC),
        untrained: baseline,
        ccaMeanRelative: baseline.map { relativeToFloor(trained.sim.ccaMean, floor: $0.ccaMean) },
        procrustesAngularRelative: baseline.map { relativeToFloor(trained.sim.angularDistance, floor: $0.procrustesAngularDistance, perfect: 0) },
        heldoutNeuronR2Relative: baseline.flatMap { b in
            guard let t = trained.r2?.pooledR2, let f = b.heldoutNeuronR2 else { return nil }
            return relativeToFloor(t, floor: f)
        },
        noiseCeiling: ceiling,
        unseenInputChannels: heldC.isEmpty ? nil : unseenInputChannels(dataset: dataset, training: trainC, heldOut: heldC))
}

/// The noise ceilings of the recorded-neuron fit and of the held-out-neuron R², from the
/// dataset's split-half PSTHs; nil without them.
func noiseCeilingMetrics(
    dataset: ReachDataset, spec: RNNSpec, parameters: RNNParameters, rates: Array3<Double>, recording: RecordingInfo,
    trainC: [Int], heldC: [Int], unrecorded: [Int], heldOutR2: HeldOutR2Result?
) -> NoiseCeilingMetrics? {
    guard let a = dataset.recordedHalfA, let b = dataset.recordedHalfB, let data = dataset.recorded else { return nil }
    let threshold = SplitHalfReliability.unreliableBelow
    func sst(_ n: Int, _ conditions: [Int]) -> Double {
        let values = conditions.flatMap { c in (0..<data.d1).map { data[c, $0, n] } }.filter { !$0.isNaN }
        let mean = values.reduce(0, +) / Double(max(1, values.count))
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    }
    func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
    func ratio(_ score: Double?, _ ceiling: Double?) -> Double? {
        guard let score, let ceiling, ceiling > 0 else { return nil }
        return score / ceiling
    }
    var neurons: [NeuronCeiling] = []
    // Recorded neurons: each fitted unit against its recording on the training conditions.
    var recordedR2: Double? = nil, recordedCeiling: Double? = nil
    if !recording.neurons.isEmpty && spec.recorded == recording.neurons.count && !trainC.isEmpty {
        let rho = SplitHalfReliability.perNeuron(halfA: a, halfB: b, conditions: trainC, neurons: recording.neurons)
        var sse = 0.0, total = 0.0, weights: [Double] = []
        for (m, n) in recording.neurons.enumerated() {
            var e = 0.0, values: [Double] = []
            for c in trainC {
                for t in 0..<data.d1 where !data[c, t, n].isNaN {
                    let y = (data[c, t, n] - recording.offset[m]) / recording.scale[m]
                    let p = predictedRecorded(spec: spec, parameters: parameters, rates: rates, c: c, t: t, m: m)
                    e += (p - y) * (p - y)
                    values.append(y)
                }
            }
            let mean = values.reduce(0, +) / Double(max(1, values.count))
            let st = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            sse += e; total += st; weights.append(st)
            neurons.append(NeuronCeiling(
                neuron: n, id: dataset.neuronIDs?[n], role: .recorded, r2: st > 0 ? 1 - e / st : nil,
                ceiling: finite(rho[m]), unreliable: !(rho[m] >= threshold)))
        }
        recordedR2 = total > 0 ? 1 - sse / total : nil
        recordedCeiling = finite(SplitHalfReliability.pooledCeiling(rho: rho, sst: weights))
    }
    // Held-out neurons: the ridge map's R² on the held-out conditions.
    var heldR2: Double? = nil, heldCeiling: Double? = nil
    if !heldC.isEmpty && !unrecorded.isEmpty {
        let rho = SplitHalfReliability.perNeuron(halfA: a, halfB: b, conditions: heldC, neurons: unrecorded)
        for (j, n) in unrecorded.enumerated() {
            neurons.append(NeuronCeiling(
                neuron: n, id: dataset.neuronIDs?[n], role: .heldout, r2: heldOutR2.flatMap { finite($0.neuronR2[j]) },
                ceiling: finite(rho[j]), unreliable: !(rho[j] >= threshold)))
        }
        heldR2 = heldOutR2?.pooledR2
        heldCeiling = finite(SplitHalfReliability.pooledCeiling(rho: rho, sst: unrecorded.map { sst($0, heldC) }))
    }
    return NoiseCeilingMetrics(
        recordedR2Train: recordedR2, recordedR2CeilingTrain: recordedCeiling, recordedR2NormalizedTrain: ratio(recordedR2, recordedCeiling),
        heldoutNeuronR2: heldR2, heldoutNeuronR2Ceiling: heldCeiling, heldoutNeuronR2Normalized: ratio(heldR2, heldCeiling),
        unreliableBelow: threshold, neurons: neurons)
}

/// Whether `array[·, ·, channel]` takes more than one value on the steps of `conditions` (NaN ignored).
func varies(_ array: Array3<Double>, channel: Int, conditions: [Int]) -> Bool {
    var first: Double? = nil
    for c in conditions {
        for t in 0..<array.d1 {
            let v = array[c, t, channel]
            if v.isNaN { continue }
            if let f = first, f != v { return true }
            first = first ?? v
        }
    }
    return false
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
