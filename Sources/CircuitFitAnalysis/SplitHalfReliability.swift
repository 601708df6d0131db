import CircuitFitCore

/// How much of a trial-averaged response (a PSTH) is signal rather than trial-to-trial noise,
/// from two halves of the trials: for each neuron, r = the Pearson correlation between the
/// PSTHs of half A and half B over all samples (conditions × time steps), and the reliability of
/// the full average is the Spearman–Brown corrected ρ = 2r / (1 + r).
///
/// Why it is the noise ceiling of R²: with A = s + e_A and B = s + e_B (signal s, independent
/// noise of equal variance v), r = var(s) / (var(s) + v), and the full average s + (e_A + e_B)/2
/// has signal fraction var(s) / (var(s) + v/2) = 2r/(1 + r). A model that predicted the signal
/// s exactly would score R² = ρ against the full average; no model can expect more (a model
/// fitted to these very samples can, by fitting their noise). `pooledCeiling` gives the ceiling
/// of a pooled R² (1 − ΣSSE/ΣSST over neurons): Σ ρ_j SST_j / Σ SST_j.
///
/// Inputs are `[C, T, N]` half PSTHs on the same grid; NaN samples are skipped. A neuron with
/// no variance in a half (or fewer than 3 samples) has reliability NaN; r ≤ 0 gives ρ ≤ 0
/// (clipped at −1: no signal detectable).
public enum SplitHalfReliability {
    /// Below this reliability a neuron is flagged unreliable (*choice*): more than half of its
    /// trial-averaged variance is noise, so no model can explain more than half of it.
    public static let unreliableBelow = 0.5

    /// ρ of each neuron in `neurons` (default all) over the samples of `conditions`.
    public static func perNeuron(halfA: Array3<Double>, halfB: Array3<Double>, conditions: [Int], neurons: [Int]? = nil) -> [Double] {
        precondition(halfA.shape == halfB.shape, "split halves must have the same shape")
        return (neurons ?? Array(0..<halfA.d2)).map { n in
            var xs: [Double] = [], ys: [Double] = []
            for c in conditions {
                for t in 0..<halfA.d1 {
                    let x = halfA[c, t, n], y = halfB[c, t, n]
                    if x.isNaN || y.isNaN { continue }
                    xs.append(x); ys.append(y)
                }
            }
            return spearmanBrown(pearson(xs, ys))
        }
    }

    /// The Spearman–Brown prediction for doubling the trials: 2r / (1 + r), NaN stays NaN.
    public static func spearmanBrown(_ r: Double) -> Double {
        guard r.isFinite else { return .nan }
        return max(-1, 2 * r / (1 + r))
    }

    /// The ceiling of a pooled R² over neurons with reliabilities `rho` whose data have total
    /// sums of squares `sst` (around each neuron's mean over the scored samples): Σ ρ_j SST_j /
    /// Σ SST_j over the neurons with a finite ρ; NaN when none has one.
    public static func pooledCeiling(rho: [Double], sst: [Double]) -> Double {
        var weighted = 0.0, total = 0.0
        for (r, s) in zip(rho, sst) where r.isFinite && s.isFinite {
            weighted += r * s
            total += s
        }
        return total > 0 ? weighted / total : .nan
    }

    /// The Pearson correlation of paired samples (NaN when either has no variance).
    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count >= 3 else { return .nan }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return .nan }
        return sxy / (sxx * syy).squareRoot()
    }
}
