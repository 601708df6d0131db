import CircuitFitCore
import CircuitFitModel

/// A saved model run noise-free on a dataset's inputs: what `circuitfit simulate` writes
/// (docs/files.md#simulatenpz). C conditions, T time steps, H units, K outputs, M recorded neurons.
public struct ModelSimulation: Sendable {
    /// The model's rates r = tanh(h), [C, T, H], dimensionless.
    public var rates: Array3<Double>
    /// Its outputs z = C r + d, [C, T, K], in the targets' units.
    public var outputs: Array3<Double>
    /// Its prediction of each recorded neuron's rate, [C, T, M], in the dataset's units (Hz):
    /// offset + scale · (the tied unit's rate, or D r + e with the linear mapping).
    public var recordedPredictions: Array3<Double>
    /// Time of each step, ms: t · dt.
    public var timeMs: [Double]

    /// `simulate.npz`: `rates`, `outputs`, `recorded_predictions`, `t_ms`, `recorded_neurons`.
    public func archive(recordedNeurons: [Int]) -> NPZArchive {
        var a = NPZArchive(fileName: "simulate.npz")
        a.set("rates", NPYArray(rates))
        a.set("outputs", NPYArray(outputs))
        a.set("recorded_predictions", NPYArray(recordedPredictions))
        a.set("t_ms", NPYArray(timeMs))
        a.set("recorded_neurons", NPYArray(recordedNeurons))
        return a
    }
}

/// Runs `model` noise-free on `inputs` [C, T, I] (the dataset layout), time step `dtMs`.
public func simulate(_ model: SavedModel, inputs: Array3<Double>, dtMs: Double) throws -> ModelSimulation {
    guard inputs.d2 == model.spec.inputs else {
        throw CircuitFitError("the model has \(model.spec.inputs) inputs but the inputs have \(inputs.d2) channels ([C,T,I] = \(inputs.shape))")
    }
    let run = try simulate(spec: model.spec, parameters: model.parameters, inputs: inputs)
    let rates = run.rates.asDouble
    let m = model.recordedNeurons.count
    var predicted = Array3<Double>(inputs.d0, inputs.d1, m, repeating: 0)
    for c in 0..<inputs.d0 {
        for t in 0..<inputs.d1 {
            for k in 0..<m {
                let normalised = predictedRecorded(spec: model.spec, parameters: model.parameters, rates: rates, c: c, t: t, m: k)
                predicted[c, t, k] = model.neuronOffset[k] + model.neuronScale[k] * normalised
            }
        }
    }
    return ModelSimulation(
        rates: rates, outputs: run.outputs.asDouble, recordedPredictions: predicted,
        timeMs: (0..<inputs.d1).map { Double($0) * dtMs })
}
