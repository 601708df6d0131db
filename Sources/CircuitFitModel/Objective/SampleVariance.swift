import CircuitFitCore

/// The variances that make the objective unit-free: L_task divides each output channel's squared
/// error by that channel's variance over the fitted samples, L_neural each recorded neuron's by
/// that neuron's variance over its present samples (docs/method.md#the-objective). Rescaling a
/// channel or a neuron by any factor rescales its error and its variance alike, so the objective,
/// and every number fitted to it, stays the same.
public enum SampleVariance {
    /// Below this fraction of its largest squared |value|, a neuron's variance is raised to it:
    /// a nearly constant neuron (sd under 1 % of its largest |rate|) cannot dominate L_neural.
    /// Unit-free, so rescaling leaves it unchanged.
    public static let neuronFloor = 1e-4

    /// Per output channel: the time-mask-weighted variance over all (t, c) of `targets`
    /// [T, C, K] (time-major). Throws for a constant channel: its normalised error is undefined.
    public static func outputs(_ targets: [Float], steps T: Int, channels K: Int, timeMask: [Double]) throws -> [Double] {
        let C = targets.count / max(T * K, 1)
        var out = [Double](repeating: 0, count: K)
        let weight = timeMask.reduce(0, +) * Double(C)
        for k in 0..<K {
            var sum = 0.0
            for t in 0..<T where timeMask[t] > 0 {
                for c in 0..<C { sum += timeMask[t] * Double(targets[(t * C + c) * K + k]) }
            }
            let mean = sum / weight
            var ss = 0.0
            for t in 0..<T where timeMask[t] > 0 {
                for c in 0..<C { let d = Double(targets[(t * C + c) * K + k]) - mean; ss += timeMask[t] * d * d }
            }
            let variance = ss / weight
            guard variance > 0 else {
                throw CircuitFitError("training data: output channel \(k) is constant (\(mean)) over the fitted samples, so its normalised error is undefined; leave the channel out")
            }
            guard variance >= 1e-30, variance <= 1e30 else {
                throw CircuitFitError("training data: output channel \(k) has variance \(variance), outside the range Float32 training represents (1e-30 … 1e30); rescale the targets")
            }
            out[k] = variance
        }
        return out
    }

    /// Per recorded neuron: the variance over the present (non-NaN) samples of `neural`
    /// [T, C, M] (time-major), raised to `neuronFloor`·max|value|² when smaller; 1 for a neuron
    /// that has no present sample or is zero throughout (its term is then a plain mean square).
    public static func neurons(_ neural: [Float], neurons M: Int) -> [Double] {
        guard M > 0 else { return [] }
        var count = [Int](repeating: 0, count: M)
        var sum = [Double](repeating: 0, count: M), maxSquare = [Double](repeating: 0, count: M)
        let rows = neural.count / M
        for row in 0..<rows {
            for m in 0..<M {
                let v = Double(neural[row * M + m])
                if v.isNaN { continue }
                count[m] += 1; sum[m] += v; maxSquare[m] = max(maxSquare[m], v * v)
            }
        }
        var ss = [Double](repeating: 0, count: M)
        for row in 0..<rows {
            for m in 0..<M {
                let v = Double(neural[row * M + m])
                if v.isNaN { continue }
                let d = v - sum[m] / Double(count[m]); ss[m] += d * d
            }
        }
        return (0..<M).map { m in
            guard count[m] > 0, maxSquare[m] > 0 else { return 1 }
            return max(ss[m] / Double(count[m]), neuronFloor * maxSquare[m])
        }
    }
}
