import CircuitFitCore

/// The default smoothing width, chosen from the data by split-half cross-validation: for each
/// candidate SD σ, smooth each condition's half-A PSTH and score how well it predicts the
/// unsmoothed half-B PSTH (and B predicting A), summed over conditions, time bins and neurons;
/// the σ with the lowest error wins (ties go to the narrower kernel).
///
/// Why this criterion: half B's noise is independent of half A, so E‖S_σ(A) − B‖² =
/// E‖S_σ(A) − s‖² + E‖e_B‖², and the second term does not depend on σ: the winner is the width
/// whose smoothed PSTH is closest to the true rates s, not merely the smoothest (maximising the
/// split-half correlation would favour ever wider kernels, which flatten the signal in both
/// halves alike). It is chosen for half the trials, so for the full average it errs slightly
/// towards more smoothing (for kernel smoothers the best width shrinks like n^(−1/5), ≈ 13 % for
/// twice the trials).
struct SmoothingSelection {
    /// Candidate SDs, in bins (0 = none), roughly geometric; only those below a quarter of the
    /// window are tried (a kernel of ±4 SD must fit twice in the window).
    static let candidatesBins: [Double] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32]

    /// The candidates tried for a window of `bins` bins.
    static func candidates(bins: Int) -> [Double] { candidatesBins.filter { $0 == 0 || $0 * 4 < Double(bins) } }

    struct Candidate: Codable, Equatable, Sendable {
        var sdMs: Double
        /// Mean squared error of predicting one half from the other, Hz².
        var crossValidationMSE: Double
    }

    var candidates: [Candidate]
    var chosenMs: Double
    /// True when the widest candidate won: the data would take still more smoothing.
    var atWidest: Bool { chosenMs > 0 && chosenMs == candidates.last?.sdMs }

    /// Scores the candidates on the half PSTHs `a`, `b` [C, T, M] of `conditions` (those with
    /// trials in both halves).
    init(halfA a: Array3<Double>, halfB b: Array3<Double>, conditions: [Int], binMs: Double) {
        let t = a.d1
        let widths = Self.candidates(bins: t)
        var scored: [Candidate] = []
        for widthBins in widths {
            let smoother = GaussianSmoother(sdMs: widthBins * binMs, binMs: binMs)
            var sse = 0.0, count = 0
            for c in conditions {
                for n in 0..<a.d2 {
                    let seriesA = (0..<t).map { a[c, $0, n] }, seriesB = (0..<t).map { b[c, $0, n] }
                    let smoothA = smoother.smooth(seriesA), smoothB = smoother.smooth(seriesB)
                    for k in 0..<t {
                        sse += (smoothA[k] - seriesB[k]) * (smoothA[k] - seriesB[k]) + (smoothB[k] - seriesA[k]) * (smoothB[k] - seriesA[k])
                        count += 2
                    }
                }
            }
            scored.append(Candidate(sdMs: widthBins * binMs, crossValidationMSE: count > 0 ? sse / Double(count) : .nan))
        }
        candidates = scored
        let best = scored.filter { $0.crossValidationMSE.isFinite }.min { $0.crossValidationMSE < $1.crossValidationMSE }
        chosenMs = best?.sdMs ?? 0
    }
}
