import CircuitFitCore
import CircuitFitModel

/// How a fit standardises its task targets: each output channel k is trained on
/// z̃ = (z − offset_k)/scale_k, with the mean and standard deviation of channel k over the fit
/// conditions. The model is trained, initialised and penalised in these units, so rescaling or
/// shifting a channel (µV instead of mV) changes no fitted number; the saved readout is in the
/// targets' own units: C_k = scale_k·C̃_k, d_k = scale_k·d̃_k + offset_k (docs/method.md#the-objective).
/// Saved in model.npz as `output_offset` and `output_scale`.
public struct OutputStandardization: Sendable, Equatable {
    /// Per-channel mean over the fit conditions, [K], the targets' units.
    public var offset: [Double]
    /// Per-channel standard deviation over the fit conditions, [K], the targets' units (> 0).
    public var scale: [Double]

    public init(offset: [Double], scale: [Double]) {
        self.offset = offset
        self.scale = scale
    }

    /// The statistics of `targets` [C, T, K] over `conditions` (all time steps). Throws for a
    /// channel that is constant there: it carries nothing to fit.
    public init(targets: Array3<Double>, conditions: [Int]) throws {
        let T = targets.d1, K = targets.d2
        var offset = [Double](repeating: 0, count: K), scale = [Double](repeating: 1, count: K)
        let n = Double(conditions.count * T)
        for k in 0..<K {
            var sum = 0.0
            for c in conditions { for t in 0..<T { sum += targets[c, t, k] } }
            let mean = sum / n
            var ss = 0.0
            for c in conditions { for t in 0..<T { let d = targets[c, t, k] - mean; ss += d * d } }
            let sd = (ss / n).squareRoot()
            guard sd > 0, sd.isFinite else {
                throw CircuitFitError("targets: output channel \(k) is constant (\(mean)) over the \(conditions.count) fit conditions, so its normalised error is undefined; leave the channel out of the dataset")
            }
            offset[k] = mean
            scale[k] = sd
        }
        self.offset = offset
        self.scale = scale
    }

    /// (targets − offset)/scale per channel, [C, T, K].
    public func standardized(_ targets: Array3<Double>) -> Array3<Double> {
        var out = targets
        let K = targets.d2
        for i in 0..<out.data.count { let k = i % K; out.data[i] = (targets.data[i] - offset[k]) / scale[k] }
        return out
    }

    /// Parameters fitted to standardised targets, in the targets' units: C_k ← scale_k·C_k,
    /// d_k ← scale_k·d_k + offset_k; every other block unchanged.
    public func toDataUnits(_ p: RNNParameters) -> RNNParameters {
        var q = p
        let H = p.layout.hidden, K = p.layout.outputs
        var c = p.block(.C), d = p.block(.d)
        for k in 0..<K {
            for i in 0..<H { c[k * H + i] = Float(scale[k] * Double(c[k * H + i])) }
            d[k] = Float(scale[k] * Double(d[k]) + offset[k])
        }
        q[.C] = c[...]
        q[.d] = d[...]
        return q
    }
}
