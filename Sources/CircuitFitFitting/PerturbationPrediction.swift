import CircuitFitCore
import CircuitFitModel
import CircuitFitAudit

/// R² and size ratio of a predicted against a true change (flat, same order).
func effectScore(predicted: [Double], truth: [Double]) -> (r2: Double, ratio: Double, trueNorm: Double, predictedNorm: Double) {
    let mean = truth.reduce(0, +) / Double(max(truth.count, 1))
    var sse = 0.0, sst = 0.0, pp = 0.0, tt = 0.0
    for (p, t) in zip(predicted, truth) { sse += (p - t) * (p - t); sst += (t - mean) * (t - mean); pp += p * p; tt += t * t }
    return (sst > 0 ? 1 - sse / sst : .nan, tt > 0 ? (pp / tt).squareRoot() : .nan, tt.squareRoot(), pp.squareRoot())
}

/// Predicts every perturbation set of `dataset` with a model (parameters in the dataset's
/// units, identity mapping, the set's neurons among `recording.neurons`) on `conditions` and
/// scores each against the dataset's perturbed runs. Sets with an unrecorded neuron are skipped
/// (nothing in the model is tied to it). The model runs noise-free, in Float32.
public func predictPerturbations(
    spec: RNNSpec, parameters: RNNParameters, recording: RecordingInfo, dataset: ReachDataset, conditions: [Int]
) throws -> [PerturbationPrediction] {
    guard let table = dataset.perturbations, spec.mapping == .identity, !recording.neurons.isEmpty else { return [] }
    guard let controlNeural = dataset.neuralData, let perturbedNeural = table.neuralData else { return [] }
    let C = dataset.conditions, T = dataset.steps, K = dataset.outputCount
    var inputs = Array3<Double>(conditions.count, T, dataset.inputCount, repeating: 0)
    for (ci, c) in conditions.enumerated() { for t in 0..<T { for i in 0..<dataset.inputCount { inputs[ci, t, i] = dataset.inputs[c, t, i] } } }
    var usable: [(Int, UnitPerturbation)] = []
    for (p, set) in table.sets.enumerated() where set.neurons.allSatisfy(recording.neurons.contains) {
        usable.append((p, try modelPerturbation(set, recording: recording, units: spec.recordedUnits)))
    }
    let runs = try simulatePerturbed(spec: spec, parameters: parameters, inputs: inputs, perturbations: [.none] + usable.map(\.1))
    let control = runs[0]
    return usable.enumerated().map { (i, entry) in
        let (p, perturbation) = entry
        let set = table.sets[p], run = runs[i + 1]
        let start = set.window.lowerBound
        var predicted: [Double] = [], truth: [Double] = [], predictedN: [Double] = [], truthN: [Double] = []
        let others = recording.neurons.enumerated().filter { !set.neurons.contains($0.element) }
        for (ci, c) in conditions.enumerated() {
            for t in start..<T {
                for k in 0..<K {
                    predicted.append(Double(run.outputs[ci, t, k]) - Double(control.outputs[ci, t, k]))
                    truth.append(table.targets[p * C + c, t, k] - dataset.targets[c, t, k])
                }
                for (m, n) in others {
                    let u = spec.recordedUnits[m]
                    predictedN.append(recording.scale[m] * (Double(run.rates[ci, t, u]) - Double(control.rates[ci, t, u])))
                    truthN.append(perturbedNeural[p * C + c, t, n] - controlNeural[c, t, n])
                }
            }
        }
        let z = effectScore(predicted: predicted, truth: truth)
        let y = others.isEmpty ? nil : effectScore(predicted: predictedN, truth: truthN)
        return PerturbationPrediction(
            set: p, heldOut: !set.isTraining, kind: set.kind, neurons: set.neurons,
            units: perturbation.clampedUnits + perturbation.stimulatedUnits, values: perturbation.clampStates + perturbation.currents,
            window: [set.window.lowerBound, set.window.upperBound], conditions: conditions,
            outputR2: z.r2, outputSizeRatio: z.ratio, outputEffectNorm: z.trueNorm, outputPredictedNorm: z.predictedNorm,
            neuronR2: y?.r2, neuronSizeRatio: y?.ratio)
    }
}

