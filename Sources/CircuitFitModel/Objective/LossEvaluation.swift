import CircuitFitCore

/// The loss of `parameters` on `data` (noise-free), e.g. to score a fit or a validation split.
public func evaluateLoss(spec: RNNSpec, objective: Objective, parameters: RNNParameters, data: TrainingData) throws -> LossParts {
    try objective.validate()
    var quiet = spec
    quiet.noiseSD = 0
    guard parameters.layout == spec.layout else { throw CircuitFitError("loss: parameters do not match the model's layout") }
    let ws = try RNNWorkspace<Float>(spec: quiet, data: data)
    return parameters.values.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective) }
}

/// The loss and its exact gradient (same layout as the parameters; frozen blocks 0), noise-free.
/// Allocates a workspace per call: for inspection and tests, not for training loops.
public func lossAndGradient(
    spec: RNNSpec, objective: Objective, parameters: RNNParameters, data: TrainingData
) throws -> (loss: LossParts, gradient: [Float]) {
    try objective.validate()
    var quiet = spec
    quiet.noiseSD = 0
    guard parameters.layout == spec.layout else { throw CircuitFitError("loss: parameters do not match the model's layout") }
    let ws = try RNNWorkspace<Float>(spec: quiet, data: data)
    var g = [Float](repeating: 0, count: parameters.layout.count)
    let loss = parameters.values.withUnsafeBufferPointer { p in
        g.withUnsafeMutableBufferPointer { ws.lossAndGradient(p.baseAddress!, objective, $0.baseAddress!) }
    }
    return (loss, g)
}
