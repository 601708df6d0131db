import Foundation
import CircuitFitCore
import CircuitFitModel

/// One system the audit looks at: a fitted model RNN, or the ground-truth circuit itself (the
/// circuit in the model's place is the audit's positive control). Besides its dynamics it says
/// which of its units stand for which circuit neurons and how a unit's value maps to Hz.
public struct AuditSubject: Sendable {
    public enum Dynamics: Sendable {
        case model(RNNSpec, RNNParameters)
        case circuit(GroundTruthCircuit)
    }
    public var dynamics: Dynamics
    /// Circuit neurons this system predicts [M] (the recorded neurons for a model).
    public var neurons: [Int]
    /// The prediction of neuron m in Hz: scale[m]·(readout[m] · r + bias[m]) + offset[m], with
    /// r the system's rates (tanh h, or f(x)); `readout` [M, n] is one-hot for tied units.
    public var neuronReadout: Matrix<Double>
    public var neuronBias: [Double]
    public var offset: [Double]
    public var scale: [Double]
    /// The unit tied one-to-one to each neuron [M] (identity mapping), or nil (linear mapping).
    public var tiedUnits: [Int]?
    /// Fixed E/I type of every unit (Dale's law / the circuit), or nil (no types).
    public var unitExcitatory: [Bool]?

    /// A model fitted with the identity or linear mapping; `neurons`, `offset`, `scale` from
    /// model.npz (`recorded_neurons`, `neuron_offset`, `neuron_scale`).
    public init(spec: RNNSpec, parameters: RNNParameters, neurons: [Int], offset: [Double], scale: [Double], unitExcitatory: [Bool]?) throws {
        let m = neurons.count, h = spec.hidden
        guard offset.count == m, scale.count == m, spec.recorded == m else {
            throw CircuitFitError("audit: the model records \(spec.recorded) neurons but has \(m) neuron indices, \(offset.count) offsets and \(scale.count) scales")
        }
        var readout = Matrix<Double>(rows: m, cols: h), bias = [Double](repeating: 0, count: m)
        switch spec.mapping {
        case .identity:
            for (k, u) in spec.recordedUnits.enumerated() { readout[k, u] = 1 }
            tiedUnits = spec.recordedUnits
        case .linear:
            let d = parameters.block(.D), e = parameters.block(.e)
            for k in 0..<m { for i in 0..<h { readout[k, i] = Double(d[k * h + i]) }; bias[k] = Double(e[k]) }
            tiedUnits = nil
        }
        dynamics = .model(spec, parameters)
        self.neurons = neurons; neuronReadout = readout; neuronBias = bias
        self.offset = offset; self.scale = scale; self.unitExcitatory = unitExcitatory
    }

    /// The circuit standing in the model's place, its neurons `neurons` "tied" to themselves.
    public init(circuit: GroundTruthCircuit, neurons: [Int]) {
        let n = circuit.neurons
        var readout = Matrix<Double>(rows: neurons.count, cols: n)
        for (k, j) in neurons.enumerated() { readout[k, j] = 1 }
        dynamics = .circuit(circuit)
        self.neurons = neurons; neuronReadout = readout
        neuronBias = [Double](repeating: 0, count: neurons.count)
        offset = neuronBias; scale = [Double](repeating: 1, count: neurons.count)
        tiedUnits = neurons; unitExcitatory = circuit.excitatory
    }

    /// n, the number of units (model) or neurons (circuit).
    public var size: Int {
        switch dynamics {
        case .model(let spec, _): return spec.hidden
        case .circuit(let c): return c.neurons
        }
    }

    /// The continuous-time rate network of the dynamics.
    public var network: RateNetwork {
        switch dynamics {
        case .model(let spec, let p):
            let h = spec.hidden
            return RateNetwork(
                weights: Matrix(rows: h, cols: h, data: p.effectiveJ(spec: spec).map(Double.init)),
                nonlinearity: .tanh, tauSeconds: spec.tauMs / 1000)
        case .circuit(let c): return c.network
        }
    }

    /// The system's own discrete step, seconds (the model's dt), or nil (the circuit: RK4).
    public var ownStepSeconds: Double? {
        if case .model(let spec, _) = dynamics { return spec.dtMs / 1000 }
        return nil
    }

    /// The constant drive c of G(x) = −x + W φ(x) + c with the input off (model: b; circuit: 0).
    public var restingDrive: [Double] {
        switch dynamics {
        case .model(_, let p): return p.block(.b).map(Double.init)
        case .circuit(let c): return [Double](repeating: 0, count: c.neurons)
        }
    }

    /// The drive during condition c's preparatory epoch (model: B u + b with the condition's
    /// input at the last preparatory step; circuit: the holding input).
    public func preparatoryDrive(condition c: Int, inputs: Array3<Double>, goIndex: Int) -> [Double] {
        switch dynamics {
        case .model(let spec, let p):
            let bw = p.block(.B), b = p.block(.b)
            let t = max(0, goIndex - 1)
            return (0..<spec.hidden).map { i in
                var s = Double(b[i])
                for k in 0..<spec.inputs { s += Double(bw[i * spec.inputs + k]) * inputs[c, t, k] }
                return s
            }
        case .circuit(let circuit): return circuit.holdingInput(condition: c)
        }
    }

    /// The output readout [K, n] applied to the rates, and its bias [K].
    public var outputReadout: (weights: Matrix<Double>, bias: [Double]) {
        switch dynamics {
        case .model(let spec, let p):
            return (Matrix(rows: spec.outputs, cols: spec.hidden, data: p.block(.C).map(Double.init)), p.block(.d).map(Double.init))
        case .circuit(let c): return (c.readout, c.readoutBias)
        }
    }
}

// What to do to a set of units (hold at baseline, or drive with a step input): `PerturbationKind`
// of CircuitFitCore, shared with the dataset's perturbation table.

/// The type of the perturbed neurons.
public enum NeuronType: String, Codable, Sendable, CaseIterable {
    case excitatory
    case inhibitory
}

/// One perturbation in the subject's units: unit indices with a clamp state (silence) or an
/// input (stimulate), acting from the go cue.
struct SubjectPerturbation: Sendable {
    var units: [Int]
    var values: [Double]
    var kind: PerturbationKind
}

/// A simulation of a subject: states, rates and outputs [C, T, ·] of the chosen conditions.
struct SubjectRun: Sendable {
    var states: Array3<Double>
    var rates: Array3<Double>
    var outputs: Array3<Double>
}

extension AuditSubject {
    /// Runs `conditions` of the dataset once per perturbation (all batched), perturbations
    /// acting from step `goIndex` on (see `UnitPerturbation`, `CircuitPerturbation`).
    func simulate(
        _ perturbations: [SubjectPerturbation], conditions: [Int], inputs: Array3<Double>,
        goIndex: Int, steps: Int, dtMs: Double
    ) throws -> [SubjectRun] {
        switch dynamics {
        case .model(let spec, let p):
            var chosen = Array3<Double>(conditions.count, inputs.d1, inputs.d2, repeating: 0)
            for (ci, c) in conditions.enumerated() {
                for t in 0..<inputs.d1 { for k in 0..<inputs.d2 { chosen[ci, t, k] = inputs[c, t, k] } }
            }
            let unit = perturbations.map { q -> UnitPerturbation in
                q.kind == .silence
                    ? UnitPerturbation(clampedUnits: q.units, clampStates: q.values, fromStep: goIndex)
                    : UnitPerturbation(stimulatedUnits: q.units, currents: q.values, fromStep: goIndex)
            }
            let runs = try simulatePerturbed(spec: spec, parameters: p, inputs: chosen, perturbations: unit)
            return runs.map { run in
                SubjectRun(states: run.states.asDoubles, rates: run.rates.asDoubles,
                           outputs: run.outputs.asDoubles)
            }
        case .circuit(let circuit):
            let cp = perturbations.map { q -> CircuitPerturbation in
                q.kind == .silence
                    ? CircuitPerturbation(clampedNeurons: q.units, clampStates: q.values)
                    : CircuitPerturbation(stimulatedNeurons: q.units, inputsHz: q.values)
            }
            let runs = try circuit.simulate(
                conditions: conditions, perturbations: cp, preparatoryBins: goIndex, movementBins: steps - goIndex, binMs: dtMs)
            return runs.map { SubjectRun(states: $0.states, rates: $0.rates, outputs: circuit.outputs($0.rates)) }
        }
    }
}

extension Array3 where Element == Float {
    var asDoubles: Array3<Double> { Array3<Double>(d0, d1, d2, data: data.map(Double.init)) }
}
