import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// Desired EMG-like muscle activity: for each muscle, 2–3 Gaussian bumps after the go cue whose
/// size (∝ cos(θ − φ)) and timing (± `timingShiftMs`·cos(θ − ψ)) vary with the reach angle θ.
/// Zero during the preparatory epoch. Parameters are drawn once per circuit from its seed.
public struct MuscleTargets: Sendable {
    struct Bump: Sendable { var centerMs, widthMs, amplitude, amplitudePhase, timingPhase: Double }
    var bumps: [[Bump]]
    public var timingShiftMs: Double

    public init(muscles: Int, amplitude: Double, movementMs: Double, random: inout SeededRandom, timingShiftMs: Double = 20) {
        self.timingShiftMs = timingShiftMs
        bumps = (0..<muscles).map { k in
            let count = k % 2 == 0 ? 3 : 2
            return (0..<count).map { j in
                // bumps spread over the first ~70% of the movement epoch, alternating in sign
                let slot = (Double(j) + random.uniform(0.2, 0.8)) / Double(count)
                return Bump(
                    centerMs: 50 + slot * 0.6 * movementMs, widthMs: random.uniform(25, 50),
                    amplitude: amplitude * (j % 2 == 0 ? 1 : -0.7) * random.uniform(0.6, 1.0),
                    amplitudePhase: random.uniform(0, 2 * .pi), timingPhase: random.uniform(0, 2 * .pi))
            }
        }
    }

    /// Desired activity of muscle k at `msAfterGo` (negative = preparatory) for angle θ.
    public func value(muscle k: Int, angle theta: Double, msAfterGo: Double) -> Double {
        if msAfterGo < 0 { return 0 }
        var v = 0.0
        for b in bumps[k] {
            let center = b.centerMs + timingShiftMs * cos(theta - b.timingPhase)
            let size = b.amplitude * (0.5 + 0.5 * cos(theta - b.amplitudePhase))
            let u = (msAfterGo - center) / b.widthMs
            v += size * exp(-0.5 * u * u)
        }
        return v
    }
}

/// The circuit's muscle readout z = readout·r + bias from the excitatory rates, fitted by ridge
/// regression to desired targets on the training conditions (docs/method.md#muscles).
public struct MuscleReadout: Sendable {
    /// [K, N]; columns of inhibitory neurons are zero.
    public var weights: Matrix<Double>
    /// [K]
    public var bias: [Double]

    /// Fits the readout: rates [C, T, N], desired [C, T, K], using `conditions` and the excitatory
    /// neurons only. `ridge` is relative to the mean diagonal of the (centred) Gram matrix.
    public init(rates: Array3<Double>, desired: Array3<Double>, conditions: [Int], excitatory: [Bool], ridge: Double) throws {
        let n = rates.d2, k = desired.d2, t = rates.d1
        let eIdx = (0..<n).filter { excitatory[$0] }
        let samples = conditions.count * t
        var x = Matrix<Double>(rows: samples, cols: eIdx.count)
        var y = Matrix<Double>(rows: samples, cols: k)
        for (ci, c) in conditions.enumerated() {
            for s in 0..<t {
                let row = ci * t + s
                for (jj, j) in eIdx.enumerated() { x[row, jj] = rates[c, s, j] }
                for m in 0..<k { y[row, m] = desired[c, s, m] }
            }
        }
        // centre so the bias is not penalised
        let xMean = (0..<x.cols).map { j in (0..<samples).reduce(0.0) { $0 + x[$1, j] } / Double(samples) }
        let yMean = (0..<k).map { j in (0..<samples).reduce(0.0) { $0 + y[$1, j] } / Double(samples) }
        for i in 0..<samples {
            for j in 0..<x.cols { x[i, j] -= xMean[j] }
            for j in 0..<k { y[i, j] -= yMean[j] }
        }
        var meanDiag = 0.0
        for j in 0..<x.cols { for i in 0..<samples { meanDiag += x[i, j] * x[i, j] } }
        meanDiag /= Double(max(1, x.cols))
        let beta = try ridgeRegression(x, y, penalty: ridge * meanDiag)  // [E, K]
        weights = Matrix(rows: k, cols: n)
        bias = yMean
        for m in 0..<k {
            for (jj, j) in eIdx.enumerated() {
                weights[m, j] = beta[jj, m]
                bias[m] -= beta[jj, m] * xMean[jj]
            }
        }
    }

    /// z [C, T, K] for rates [C, T, N].
    public func apply(_ rates: Array3<Double>) -> Array3<Double> {
        let c = rates.d0, t = rates.d1, n = rates.d2, k = weights.rows
        let r = Matrix(rows: c * t, cols: n, data: rates.data)
        var z = matmul(r, weights, transposeB: true)
        for i in 0..<(c * t) { for m in 0..<k { z[i, m] += bias[m] } }
        return Array3(c, t, k, data: z.data)
    }
}
