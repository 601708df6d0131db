import Foundation
import CircuitFitCore
import CircuitFitModel

/// A dataset perturbation set as the model's perturbation of its tied units
/// (docs/method.md#perturbation-trials): silence clamps unit u_m at atanh(−offset_m/scale_m) (the
/// neuron's baseline, 0 Hz, in its normalised units), stimulate drives it with the current
/// A/scale_m; both act on the set's window. Needs the identity mapping and every neuron of the
/// set among the recorded ones (`recording.neurons`, tied to `units`).
public func modelPerturbation(_ set: PerturbationSet, recording neural: RecordingInfo, units: [Int]) throws -> UnitPerturbation {
    var chosen: [Int] = [], values: [Double] = []
    for n in set.neurons {
        guard let m = neural.neurons.firstIndex(of: n), m < units.count else {
            throw CircuitFitError("perturbation set of neurons \(set.neurons): neuron \(n) is not recorded, so no model unit is tied to it (record the perturbed neurons, identity mapping)")
        }
        chosen.append(units[m])
        switch set.kind {
        case .silence:
            let baseline = -neural.offset[m] / neural.scale[m]
            guard abs(baseline) < 1 else {
                throw CircuitFitError("perturbation: neuron \(n)'s baseline maps to tanh(h) = \(baseline), outside (−1, 1) (offset \(neural.offset[m]) Hz, scale \(neural.scale[m]) Hz): it cannot be clamped there")
            }
            values.append(atanh(baseline))
        case .stimulate:
            values.append(set.amplitudeHz / neural.scale[m])
        }
    }
    return set.kind == .silence
        ? UnitPerturbation(clampedUnits: chosen, clampStates: values, fromStep: set.window.lowerBound, toStep: set.window.upperBound)
        : UnitPerturbation(stimulatedUnits: chosen, currents: values, fromStep: set.window.lowerBound, toStep: set.window.upperBound)
}

/// The neurons a fit on `dataset` must record because its perturbation trials act on them: every
/// neuron of every set (training and held out), sorted; [] without a perturbation table. A
/// choice (docs/method.md#perturbation-trials): the perturbed neurons are recorded, so that the
/// fit can apply the training sets and be scored on the held-out ones, and fits with and without
/// perturbation trials record the same neurons.
func perturbedNeurons(_ dataset: ReachDataset) -> [Int] {
    Array(Set((dataset.perturbations?.sets ?? []).flatMap(\.neurons))).sorted()
}

/// The training arrays of a fit with perturbation trials: the control conditions `conditions`,
/// then for each of the first `setCount` training sets the same conditions perturbed (targets:
/// the perturbed outputs, standardised as the controls; recordings: the perturbed rates,
/// normalised as the controls), each row carrying its `UnitPerturbation`. Variances are the
/// control fit conditions' (so a perturbation trial counts as one more condition).
func trainingDataWithPerturbations(dataset: ReachDataset, model: FittedModel, conditions: [Int], setCount: Int) throws -> TrainingData {
    guard let table = dataset.perturbations, let neural = model.neural else {
        throw CircuitFitError("perturbation trials: the dataset has no perturbation table, or the fit records no neurons")
    }
    let sets = Array(table.trainingSets.prefix(setCount))
    guard sets.count == setCount else {
        throw CircuitFitError("perturbation trials: asked for \(setCount) training sets, the dataset has \(table.trainingSets.count)")
    }
    guard let perturbedNeural = table.neuralData else { throw CircuitFitError("perturbation trials: the dataset has no perturbed neural data") }
    let C = dataset.conditions, T = dataset.steps, M = neural.neurons.count
    let rows = C * (1 + sets.count)
    func stacked(_ control: Array3<Double>, _ perturbed: Array3<Double>) -> Array3<Double> {
        var out = Array3<Double>(rows, T, control.d2, repeating: 0)
        out.data.replaceSubrange(0..<control.data.count, with: control.data)
        let block = C * T * control.d2
        for (i, p) in sets.enumerated() {
            out.data.replaceSubrange(((i + 1) * block)..<((i + 2) * block), with: perturbed.data[(p * block)..<((p + 1) * block)])
        }
        return out
    }
    let inputs = stacked(dataset.inputs, Array3(table.sets.count * C, T, dataset.inputCount, data: Array((0..<table.sets.count).map { _ in dataset.inputs.data }.joined())))
    let targets = model.outputs.standardized(stacked(dataset.targets, table.targets))
    // perturbed recordings of the recorded neurons, normalised with the controls' offset and scale
    var perturbedValues = Array3<Double>(table.sets.count * C, T, M, repeating: 0)
    for row in 0..<(table.sets.count * C) {
        for t in 0..<T {
            for (m, n) in neural.neurons.enumerated() {
                perturbedValues[row, t, m] = (perturbedNeural[row, t, n] - neural.offset[m]) / neural.scale[m]
            }
        }
    }
    let controlValues = Array3(neural.values.d0, neural.values.d1, neural.values.d2, data: neural.values.data.map(Double.init))
    let values = stacked(controlValues, perturbedValues)
    var chosen = conditions
    var perturbations = [UnitPerturbation](repeating: .none, count: conditions.count)
    for (i, p) in sets.enumerated() {
        let recording = RecordingInfo(neurons: neural.neurons, offset: neural.offset, scale: neural.scale)
        let unitPerturbation = try modelPerturbation(table.sets[p], recording: recording, units: model.spec.recordedUnits)
        chosen += conditions.map { (i + 1) * C + $0 }
        perturbations += [UnitPerturbation](repeating: unitPerturbation, count: conditions.count)
    }
    return try TrainingData(
        inputs: inputs, targets: targets, neural: values, conditions: chosen,
        outputVariance: [Double](repeating: 1, count: dataset.outputCount), neuralVariance: neural.variance,
        perturbations: perturbations)
}
