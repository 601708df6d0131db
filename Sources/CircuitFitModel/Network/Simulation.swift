import CircuitFitCore

/// Runs a model noise-free on inputs [C, T, I] (the dataset layout) and returns its rates
/// r = tanh(h), [C, T, H], and outputs z, [C, T, K], for steps t = 0…T−1 (dimensionless;
/// outputs in the targets' units).
public func simulate<S: BinaryFloatingPoint & Sendable>(
    spec: RNNSpec, parameters: RNNParameters, inputs: Array3<S>
) throws -> (rates: Array3<Float>, outputs: Array3<Float>) {
    var quiet = spec
    quiet.noiseSD = 0
    guard parameters.layout == spec.layout else { throw CircuitFitError("simulate: parameters do not match the model's layout") }
    let nC = inputs.d0, T = inputs.d1
    let targets = Array3<S>(nC, T, spec.outputs, repeating: 0)
    let neural: Array3<S>? = spec.recorded > 0 ? Array3<S>(nC, T, spec.recorded, repeating: .nan) : nil
    let data = try TrainingData(
        inputs: inputs, targets: targets, neural: neural,
        outputVariance: [Double](repeating: 1, count: spec.outputs))
    let ws = try RNNWorkspace<Float>(spec: quiet, data: data)
    _ = parameters.values.withUnsafeBufferPointer { ws.loss($0.baseAddress!, Objective(lambda: 0)) }
    let H = spec.hidden, K = spec.outputs
    var rates = Array3<Float>(nC, T, H, repeating: 0)
    var outputs = Array3<Float>(nC, T, K, repeating: 0)
    for c in 0..<nC {
        for t in 0..<T {
            for i in 0..<H { rates[c, t, i] = ws.r[(t * nC + c) * H + i] }
            for k in 0..<K { outputs[c, t, k] = ws.z[(t * nC + c) * K + k] }
        }
    }
    return (rates, outputs)
}
