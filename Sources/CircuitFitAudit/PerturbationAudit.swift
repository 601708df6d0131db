import Foundation
import CircuitFitCore

/// Settings of the perturbation test (docs/method.md § Perturbation protocol).
public struct PerturbationSettings: Codable, Equatable, Sendable {
    /// Seeded sets drawn for each (kind, type) group.
    public var setsPerGroup: Int = 3
    /// Neurons per set (fewer when fewer recorded neurons of that type exist).
    public var setSize: Int = 5
    /// Step input of a stimulated neuron, Hz.
    public var stimulusHz: Double = 10
    /// Seed of the sets (and of the random units of the control).
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case setsPerGroup = "sets_per_group"
        case setSize = "set_size"
        case stimulusHz = "stimulus_hz"
        case seed
    }
}

/// Which model units were perturbed.
public enum PerturbedUnits: String, Codable, Sendable {
    /// The units tied to the perturbed recorded neurons (identity mapping, λ > 0, M > 0).
    case tied
    /// Random model units of the same type and count (fits without fitted tied units: M = 0,
    /// λ = 0, or the linear mapping): the control.
    case randomUnits = "random_units"
}

/// One perturbed set: which circuit neurons and model units, and its effects.
public struct PerturbationSetRecord: Codable, Equatable, Sendable {
    public var kind: PerturbationKind
    public var type: NeuronType
    public var neurons: [Int]
    public var units: [Int]
    /// The values the units were given: clamp states (silence) or inputs (stimulate), in each
    /// system's own units (circuit: Hz; model: h or the dimensionless current).
    public var circuitValues: [Double]
    public var modelValues: [Double]
    /// ‖Δz‖ over conditions, movement steps and muscles: circuit (true) and model (predicted).
    public var muscleEffectTrueNorm: Double
    public var muscleEffectPredictedNorm: Double
    public var muscleR2: Double

    enum CodingKeys: String, CodingKey {
        case kind, type, neurons, units
        case circuitValues = "circuit_values"
        case modelValues = "model_values"
        case muscleEffectTrueNorm = "muscle_effect_true_norm"
        case muscleEffectPredictedNorm = "muscle_effect_predicted_norm"
        case muscleR2 = "muscle_r2"
    }
}

/// The effects of one (kind, type) group pooled over its sets.
public struct PerturbationGroupResult: Codable, Equatable, Sendable {
    public var kind: PerturbationKind
    public var type: NeuronType
    public var sets: Int
    public var neuronsPerSet: Int
    /// R² of the predicted against the true change in the muscles, and ‖predicted‖/‖true‖.
    public var muscleR2: Double
    public var muscleSizeRatio: Double
    /// The same for the network's share of the change: the total minus the perturbed units'
    /// own readout contribution (readout weights × their change in rate).
    public var muscleNetworkR2: Double
    public var muscleNetworkSizeRatio: Double
    /// ‖direct readout share‖/‖total change‖, circuit and model.
    public var directFractionTrue: Double
    public var directFractionPredicted: Double
    /// Σ Δz² of the circuit over Σ (z − mean z)² of its unperturbed muscles, per set.
    public var trueEffectRelativeToVariance: Double
    /// R² and size ratio of the predicted change in the other recorded neurons (Hz); nil when
    /// the model predicts no other neuron.
    public var otherNeuronsR2: Double?
    public var otherNeuronsSizeRatio: Double?

    enum CodingKeys: String, CodingKey {
        case kind, type, sets
        case neuronsPerSet = "neurons_per_set"
        case muscleR2 = "muscle_r2"
        case muscleSizeRatio = "muscle_size_ratio"
        case muscleNetworkR2 = "muscle_network_r2"
        case muscleNetworkSizeRatio = "muscle_network_size_ratio"
        case directFractionTrue = "direct_fraction_true"
        case directFractionPredicted = "direct_fraction_predicted"
        case trueEffectRelativeToVariance = "true_effect_relative_to_variance"
        case otherNeuronsR2 = "other_neurons_r2"
        case otherNeuronsSizeRatio = "other_neurons_size_ratio"
    }
}

/// The perturbation test: protocol, per-group results and every set.
public struct PerturbationAudit: Codable, Equatable, Sendable {
    public var units: PerturbedUnits
    public var settings: PerturbationSettings
    /// Conditions simulated (the fit's training conditions) and the first perturbed step.
    public var conditions: [Int]
    public var fromStep: Int
    public var groups: [PerturbationGroupResult]
    public var sets: [PerturbationSetRecord]
    /// Means over the groups (nil when there is no group).
    public var muscleR2Mean: Double?
    public var muscleNetworkR2Mean: Double?
    public var otherNeuronsR2Mean: Double?

    enum CodingKeys: String, CodingKey {
        case units, settings, conditions, groups, sets
        case fromStep = "from_step"
        case muscleR2Mean = "muscle_r2_mean"
        case muscleNetworkR2Mean = "muscle_network_r2_mean"
        case otherNeuronsR2Mean = "other_neurons_r2_mean"
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension PerturbationSetRecord {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(type, forKey: .type)
        try c.encode(neurons, forKey: .neurons)
        try c.encode(units, forKey: .units)
        try c.encodeFinite(circuitValues, forKey: .circuitValues)
        try c.encodeFinite(modelValues, forKey: .modelValues)
        try c.encodeFinite(muscleEffectTrueNorm, forKey: .muscleEffectTrueNorm)
        try c.encodeFinite(muscleEffectPredictedNorm, forKey: .muscleEffectPredictedNorm)
        try c.encodeFinite(muscleR2, forKey: .muscleR2)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(PerturbationKind.self, forKey: .kind)
        type = try c.decode(NeuronType.self, forKey: .type)
        neurons = try c.decode([Int].self, forKey: .neurons)
        units = try c.decode([Int].self, forKey: .units)
        circuitValues = try c.decodeFiniteList(.circuitValues)
        modelValues = try c.decodeFiniteList(.modelValues)
        muscleEffectTrueNorm = try c.decodeFinite(.muscleEffectTrueNorm)
        muscleEffectPredictedNorm = try c.decodeFinite(.muscleEffectPredictedNorm)
        muscleR2 = try c.decodeFinite(.muscleR2)
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension PerturbationGroupResult {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(type, forKey: .type)
        try c.encode(sets, forKey: .sets)
        try c.encode(neuronsPerSet, forKey: .neuronsPerSet)
        try c.encodeFinite(muscleR2, forKey: .muscleR2)
        try c.encodeFinite(muscleSizeRatio, forKey: .muscleSizeRatio)
        try c.encodeFinite(muscleNetworkR2, forKey: .muscleNetworkR2)
        try c.encodeFinite(muscleNetworkSizeRatio, forKey: .muscleNetworkSizeRatio)
        try c.encodeFinite(directFractionTrue, forKey: .directFractionTrue)
        try c.encodeFinite(directFractionPredicted, forKey: .directFractionPredicted)
        try c.encodeFinite(trueEffectRelativeToVariance, forKey: .trueEffectRelativeToVariance)
        try c.encodeFinite(otherNeuronsR2, forKey: .otherNeuronsR2)
        try c.encodeFinite(otherNeuronsSizeRatio, forKey: .otherNeuronsSizeRatio)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(PerturbationKind.self, forKey: .kind)
        type = try c.decode(NeuronType.self, forKey: .type)
        sets = try c.decode(Int.self, forKey: .sets)
        neuronsPerSet = try c.decode(Int.self, forKey: .neuronsPerSet)
        muscleR2 = try c.decodeFinite(.muscleR2)
        muscleSizeRatio = try c.decodeFinite(.muscleSizeRatio)
        muscleNetworkR2 = try c.decodeFinite(.muscleNetworkR2)
        muscleNetworkSizeRatio = try c.decodeFinite(.muscleNetworkSizeRatio)
        directFractionTrue = try c.decodeFinite(.directFractionTrue)
        directFractionPredicted = try c.decodeFinite(.directFractionPredicted)
        trueEffectRelativeToVariance = try c.decodeFinite(.trueEffectRelativeToVariance)
        otherNeuronsR2 = try c.decodeFiniteIfPresent(.otherNeuronsR2)
        otherNeuronsSizeRatio = try c.decodeFiniteIfPresent(.otherNeuronsSizeRatio)
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension PerturbationAudit {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(units, forKey: .units)
        try c.encode(settings, forKey: .settings)
        try c.encode(conditions, forKey: .conditions)
        try c.encode(fromStep, forKey: .fromStep)
        try c.encode(groups, forKey: .groups)
        try c.encode(sets, forKey: .sets)
        try c.encodeFinite(muscleR2Mean, forKey: .muscleR2Mean)
        try c.encodeFinite(muscleNetworkR2Mean, forKey: .muscleNetworkR2Mean)
        try c.encodeFinite(otherNeuronsR2Mean, forKey: .otherNeuronsR2Mean)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        units = try c.decode(PerturbedUnits.self, forKey: .units)
        settings = try c.decode(PerturbationSettings.self, forKey: .settings)
        conditions = try c.decode([Int].self, forKey: .conditions)
        fromStep = try c.decode(Int.self, forKey: .fromStep)
        groups = try c.decode([PerturbationGroupResult].self, forKey: .groups)
        sets = try c.decode([PerturbationSetRecord].self, forKey: .sets)
        muscleR2Mean = try c.decodeFiniteIfPresent(.muscleR2Mean)
        muscleNetworkR2Mean = try c.decodeFiniteIfPresent(.muscleNetworkR2Mean)
        otherNeuronsR2Mean = try c.decodeFiniteIfPresent(.otherNeuronsR2Mean)
    }
}

/// Runs the perturbation test of `model` against `circuit` (see docs/method.md § Perturbation
/// protocol): seeded sets of recorded neurons, E and I separately, silenced (held at baseline)
/// or stimulated (a step input of `stimulusHz`) from the go cue to the end of the movement epoch,
/// in the circuit and in the model (their tied units, or random units of the same type and count
/// when `tiedUnitsFitted` is false). `rates` [C, T, N] are the circuit's dataset rates (the
/// control's normalisation), `circuitExcitatory` the circuit's E/I types.
func perturbationAudit(
    model: AuditSubject, circuit: AuditSubject, circuitExcitatory: [Bool], rates: Array3<Double>,
    inputs: Array3<Double>, conditions: [Int], goIndex: Int, dtMs: Double,
    tiedUnitsFitted: Bool, settings: PerturbationSettings, baselines: (model: SubjectRun, circuit: SubjectRun)? = nil
) throws -> PerturbationAudit {
    let steps = inputs.d1
    let tied = tiedUnitsFitted && model.tiedUnits != nil && !model.neurons.isEmpty
    let root = SeededRandom(seed: settings.seed)
    // the control's normalisation of a circuit neuron: its largest |rate| over the conditions
    func maxAbsRate(_ j: Int) -> Double {
        var m = 0.0
        for c in conditions { for t in 0..<steps { m = max(m, abs(rates[c, t, j])) } }
        return m > 0 ? m : 1
    }

    // 1. the sets
    struct Planned { var kind: PerturbationKind; var type: NeuronType; var neurons: [Int]; var units: [Int]; var tieIndex: [Int?] }
    var planned: [Planned] = []
    var groupIndex: UInt64 = 0
    for kind in PerturbationKind.allCases {
        for type in NeuronType.allCases {
            groupIndex += 1
            var random = root.derived(groupIndex)
            let wantE = type == .excitatory
            let recordedOfType = model.neurons.indices.filter { circuitExcitatory[model.neurons[$0]] == wantE }
            let size = model.neurons.isEmpty ? settings.setSize : min(settings.setSize, recordedOfType.count)
            if size == 0 { continue }
            var seen = Set<[Int]>()
            for _ in 0..<settings.setsPerGroup {
                var neurons: [Int], units: [Int], ties: [Int?]
                if tied {
                    let picks = random.sample(recordedOfType, count: size)
                    neurons = picks.map { model.neurons[$0] }
                    units = picks.map { model.tiedUnits![$0] }
                    ties = picks
                } else {
                    let pool = (0..<circuitExcitatory.count).filter { circuitExcitatory[$0] == wantE }
                    neurons = random.sample(pool, count: min(size, pool.count))
                    let unitPool = (0..<model.size).filter { u in model.unitExcitatory.map { $0[u] == wantE } ?? true }
                    guard unitPool.count >= neurons.count else { continue }
                    units = random.sample(unitPool, count: neurons.count)
                    ties = neurons.map { _ in nil }
                }
                let key = neurons.sorted()
                if seen.contains(key) { continue }
                seen.insert(key)
                planned.append(Planned(kind: kind, type: type, neurons: neurons, units: units, tieIndex: ties))
            }
        }
    }

    // 2. the values in each system's units
    func values(_ subject: AuditSubject, _ p: Planned, units: [Int], ties: [Int?]) -> [Double] {
        switch subject.dynamics {
        case .circuit:
            return units.map { _ in p.kind == .silence ? 0 : settings.stimulusHz }
        case .model:
            return zip(p.neurons, ties).map { neuron, tie in
                let scale = tie.map { subject.scale[$0] } ?? maxAbsRate(neuron)
                let offset = tie.map { subject.offset[$0] } ?? 0
                switch p.kind {
                case .silence:
                    // the unit value of the neuron's baseline (0 Hz): tanh(h) = (0 − offset)/scale
                    let y = min(max(-offset / scale, -1 + 1e-6), 1 - 1e-6)
                    return atanh(y)
                case .stimulate:
                    return settings.stimulusHz / scale
                }
            }
        }
    }
    let circuitPerturbations = planned.map { p in SubjectPerturbation(units: p.neurons, values: values(circuit, p, units: p.neurons, ties: p.tieIndex), kind: p.kind) }
    let modelPerturbations = planned.map { p in SubjectPerturbation(units: p.units, values: values(model, p, units: p.units, ties: p.tieIndex), kind: p.kind) }
    let none = SubjectPerturbation(units: [], values: [], kind: .silence)
    let truth: [SubjectRun], predicted: [SubjectRun]
    if let baselines {
        truth = [baselines.circuit] + (try circuit.simulate(circuitPerturbations, conditions: conditions, inputs: inputs, goIndex: goIndex, steps: steps, dtMs: dtMs))
        predicted = [baselines.model] + (try model.simulate(modelPerturbations, conditions: conditions, inputs: inputs, goIndex: goIndex, steps: steps, dtMs: dtMs))
    } else {
        truth = try circuit.simulate([none] + circuitPerturbations, conditions: conditions, inputs: inputs, goIndex: goIndex, steps: steps, dtMs: dtMs)
        predicted = try model.simulate([none] + modelPerturbations, conditions: conditions, inputs: inputs, goIndex: goIndex, steps: steps, dtMs: dtMs)
    }

    // 3. effects over the movement epoch
    let nC = conditions.count, K = truth[0].outputs.d2
    let circuitReadout = circuit.outputReadout.weights, modelReadout = model.outputReadout.weights
    func muscleEffects(_ runs: [SubjectRun], _ index: Int, units: [Int], readout: Matrix<Double>) -> (total: [Double], network: [Double]) {
        var total: [Double] = [], network: [Double] = []
        let base = runs[0], run = runs[index]
        for c in 0..<nC {
            for t in goIndex..<steps {
                for k in 0..<K {
                    let dz = run.outputs[c, t, k] - base.outputs[c, t, k]
                    var direct = 0.0
                    for u in units { direct += readout[k, u] * (run.rates[c, t, u] - base.rates[c, t, u]) }
                    total.append(dz); network.append(dz - direct)
                }
            }
        }
        return (total, network)
    }
    var baseVariance = 0.0
    for k in 0..<K {
        var mean = 0.0, count = 0.0
        for c in 0..<nC { for t in goIndex..<steps { mean += truth[0].outputs[c, t, k]; count += 1 } }
        mean /= count
        for c in 0..<nC { for t in goIndex..<steps { baseVariance += pow(truth[0].outputs[c, t, k] - mean, 2) } }
    }

    let readoutUnits = (0..<model.neurons.count).map { m in (0..<model.size).filter { model.neuronReadout[m, $0] != 0 } }
    var records: [PerturbationSetRecord] = []
    var groups: [PerturbationGroupResult] = []
    var byGroup: [String: [Int]] = [:]
    var order: [String] = []
    for (i, p) in planned.enumerated() {
        let key = "\(p.kind.rawValue)-\(p.type.rawValue)"
        if byGroup[key] == nil { order.append(key) }
        byGroup[key, default: []].append(i)
    }
    for key in order {
        let members = byGroup[key]!
        var tTotal: [Double] = [], pTotal: [Double] = [], tNet: [Double] = [], pNet: [Double] = []
        var tNeuron: [Double] = [], pNeuron: [Double] = []
        var relative = 0.0
        for i in members {
            let p = planned[i]
            let t = muscleEffects(truth, i + 1, units: p.neurons, readout: circuitReadout)
            let q = muscleEffects(predicted, i + 1, units: p.units, readout: modelReadout)
            tTotal += t.total; pTotal += q.total; tNet += t.network; pNet += q.network
            relative += sumOfSquares(t.total) / max(baseVariance, .leastNonzeroMagnitude)
            records.append(PerturbationSetRecord(
                kind: p.kind, type: p.type, neurons: p.neurons, units: p.units,
                circuitValues: circuitPerturbations[i].values, modelValues: modelPerturbations[i].values,
                muscleEffectTrueNorm: sumOfSquares(t.total).squareRoot(), muscleEffectPredictedNorm: sumOfSquares(q.total).squareRoot(),
                muscleR2: rSquared(predicted: q.total, truth: t.total)))
            // the other recorded neurons, Hz
            let perturbed = Set(p.neurons)
            for (m, j) in model.neurons.enumerated() where !perturbed.contains(j) {
                for c in 0..<nC {
                    for s in goIndex..<steps {
                        tNeuron.append(truth[i + 1].rates[c, s, j] - truth[0].rates[c, s, j])
                        var d = 0.0
                        for u in readoutUnits[m] {
                            d += model.neuronReadout[m, u] * (predicted[i + 1].rates[c, s, u] - predicted[0].rates[c, s, u])
                        }
                        pNeuron.append(model.scale[m] * d)
                    }
                }
            }
        }
        let first = planned[members[0]]
        func fraction(_ total: [Double], _ network: [Double]) -> Double {
            let direct = zip(total, network).map { $0 - $1 }
            return sumOfSquares(direct).squareRoot() / max(sumOfSquares(total).squareRoot(), .leastNonzeroMagnitude)
        }
        groups.append(PerturbationGroupResult(
            kind: first.kind, type: first.type, sets: members.count, neuronsPerSet: first.neurons.count,
            muscleR2: rSquared(predicted: pTotal, truth: tTotal), muscleSizeRatio: sizeRatio(pTotal, tTotal),
            muscleNetworkR2: rSquared(predicted: pNet, truth: tNet), muscleNetworkSizeRatio: sizeRatio(pNet, tNet),
            directFractionTrue: fraction(tTotal, tNet), directFractionPredicted: fraction(pTotal, pNet),
            trueEffectRelativeToVariance: relative / Double(members.count),
            otherNeuronsR2: tNeuron.isEmpty ? nil : rSquared(predicted: pNeuron, truth: tNeuron),
            otherNeuronsSizeRatio: tNeuron.isEmpty ? nil : sizeRatio(pNeuron, tNeuron)))
    }
    func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
    return PerturbationAudit(
        units: tied ? .tied : .randomUnits, settings: settings, conditions: conditions, fromStep: goIndex,
        groups: groups, sets: records,
        muscleR2Mean: mean(groups.map(\.muscleR2)), muscleNetworkR2Mean: mean(groups.map(\.muscleNetworkR2)),
        otherNeuronsR2Mean: mean(groups.compactMap(\.otherNeuronsR2)))
}

func sumOfSquares(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 } }

/// 1 − Σ(p − t)²/Σ(t − mean t)²; NaN when the truth does not vary.
func rSquared(predicted p: [Double], truth t: [Double]) -> Double {
    guard !t.isEmpty else { return .nan }
    let mean = t.reduce(0, +) / Double(t.count)
    var sse = 0.0, sst = 0.0
    for (a, b) in zip(p, t) { sse += (a - b) * (a - b); sst += (b - mean) * (b - mean) }
    return sst > 0 ? 1 - sse / sst : .nan
}

/// ‖p‖/‖t‖.
func sizeRatio(_ p: [Double], _ t: [Double]) -> Double {
    let d = sumOfSquares(t).squareRoot()
    return d > 0 ? sumOfSquares(p).squareRoot() / d : .nan
}
