import CircuitFitCore

/// How recorded rates are normalised before fitting (docs/method.md#the-objective):
/// normalised = (rate − offset)/scale.
public enum RateNormalization: String, Sendable, Codable, CaseIterable {
    /// offset 0, scale = the neuron's largest |rate| over the training conditions (default):
    /// baseline stays at 0 and the rates fit tanh's range.
    case maxAbs
    /// offset = mean, scale = standard deviation over the training conditions and time steps.
    case zScore
}

/// The recorded neurons' normalised rates, the L_neural targets, plus how they were normalised
/// (saved with the model as `recorded_neurons`, `neuron_offset`, `neuron_scale`).
public struct NeuralTargets: Sendable, Equatable {
    /// Normalised rates [C, T, M] for every condition of the dataset (dimensionless); NaN = missing.
    public var values: Array3<Float>
    /// Indices of the recorded neurons into the rates' neuron axis, [M].
    public var neurons: [Int]
    /// Per-neuron offset, Hz, [M].
    public var offset: [Double]
    /// Per-neuron scale, Hz, [M] (never 0: see `prepareNeuralTargets`).
    public var scale: [Double]
    public var normalization: RateNormalization
}

/// Normalises the rates of `neurons` (from `rates` [C, T, N], Hz, NaN = missing sample) with
/// statistics over the `trainingConditions` only, and returns them for all C conditions.
///
/// A neuron whose scale would be 0 (silent, or constant under z-scoring) or that has no present
/// sample in the training conditions gets scale 1 (and offset 0 when it has no sample), so it
/// never produces NaN: its normalised target is then its rate minus the offset, in Hz.
public func prepareNeuralTargets<S: BinaryFloatingPoint & Sendable>(
    rates: Array3<S>, neurons: [Int], trainingConditions: [Int],
    normalization: RateNormalization = .maxAbs
) throws -> NeuralTargets {
    let nC = rates.d0, T = rates.d1, N = rates.d2
    try validateRecordedNeurons(neurons, neuronCount: N)
    guard !trainingConditions.isEmpty else { throw CircuitFitError("neural targets: no training conditions") }
    if let bad = trainingConditions.first(where: { $0 < 0 || $0 >= nC }) {
        throw CircuitFitError("neural targets: training condition \(bad) out of range 0..<\(nC)")
    }
    let M = neurons.count
    var offset = [Double](repeating: 0, count: M)
    var scale = [Double](repeating: 1, count: M)
    for (m, n) in neurons.enumerated() {
        var count = 0, sum = 0.0, maxAbs = 0.0
        for c in trainingConditions {
            for t in 0..<T {
                let v = Double(rates[c, t, n])
                if v.isNaN { continue }
                guard v.isFinite else { throw CircuitFitError("neural targets: rate of neuron \(n) is \(v) at condition \(c), step \(t)") }
                count += 1; sum += v; maxAbs = max(maxAbs, abs(v))
            }
        }
        guard count > 0 else { continue }  // no sample: offset 0, scale 1
        switch normalization {
        case .maxAbs:
            scale[m] = maxAbs > 0 ? maxAbs : 1
        case .zScore:
            let mean = sum / Double(count)
            var ss = 0.0
            for c in trainingConditions {
                for t in 0..<T where !rates[c, t, n].isNaN { let d = Double(rates[c, t, n]) - mean; ss += d * d }
            }
            let sd = (ss / Double(count)).squareRoot()
            offset[m] = mean
            scale[m] = sd > 0 ? sd : 1
        }
    }
    var values = Array3<Float>(nC, T, M, repeating: 0)
    for c in 0..<nC {
        for t in 0..<T {
            for (m, n) in neurons.enumerated() {
                let v = Double(rates[c, t, n])
                if v.isInfinite { throw CircuitFitError("neural targets: rate of neuron \(n) is \(v) at condition \(c), step \(t)") }
                values[c, t, m] = Float((v - offset[m]) / scale[m])   // NaN stays NaN
            }
        }
    }
    return NeuralTargets(values: values, neurons: neurons, offset: offset, scale: scale, normalization: normalization)
}
