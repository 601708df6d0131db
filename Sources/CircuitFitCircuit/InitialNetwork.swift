import CircuitFitCore
import CircuitFitAnalysis

/// The random sparse E/I network the stability optimisation starts from
/// (docs/method.md#initial-network).
///
/// W is N × N with row = postsynaptic, column = presynaptic; the first `excitatoryCount` neurons
/// are excitatory. Each off-diagonal entry exists with probability p; an existing E weight is
/// +w0/√N and an I weight −γ·w0/√N, with w0 = √2·R / √(p(1−p)(1+γ²)). No self-connections.
public func initialNetwork(_ config: CircuitConfig, random: inout SeededRandom) -> Matrix<Double> {
    let n = config.neurons, ne = config.excitatoryCount
    let p = config.connectionProbability, gamma = config.inhibitionRatio
    let w0 = 2.0.squareRoot() * config.initialSpectralRadius / (p * (1 - p) * (1 + gamma * gamma)).squareRoot()
    let wE = w0 / Double(n).squareRoot(), wI = -gamma * w0 / Double(n).squareRoot()
    var w = Matrix<Double>(rows: n, cols: n)
    for i in 0..<n {
        for j in 0..<n where i != j {
            if random.uniform() < p { w[i, j] = j < ne ? wE : wI }
        }
    }
    return w
}
