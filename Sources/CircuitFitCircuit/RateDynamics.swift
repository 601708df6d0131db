import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// The circuit's rate nonlinearity f (docs/method.md#dynamics): r0·tanh(x/r0) for x < 0 and
/// (rmax − r0)·tanh(x/(rmax − r0)) for x ≥ 0, x = deviation from baseline, rates in Hz relative
/// to baseline (so f(x) ∈ (−r0, rmax − r0)).
public struct RateNonlinearity: Sendable {
    public var r0Hz: Double
    public var rmaxHz: Double
    public init(r0Hz: Double, rmaxHz: Double) { self.r0Hz = r0Hz; self.rmaxHz = rmaxHz }
    @inlinable public func callAsFunction(_ x: Double) -> Double {
        x < 0 ? r0Hz * tanh(x / r0Hz) : (rmaxHz - r0Hz) * tanh(x / (rmaxHz - r0Hz))
    }
}

/// Integrates τ dx/dt = −x + W f(x) + input for a batch of conditions with RK4 and bins the rates.
///
/// The circuit is held at x0 during the preparatory epoch by the constant input x0 − W f(x0)
/// (which makes x0 a fixed point, so its rates are exactly f(x0) there), then evolves freely.
/// Returns rates f(x) averaged over each data bin, [C, T, N] with T = preparatory + movement bins.
public struct RateDynamics: Sendable {
    public var weights: Matrix<Double>
    public var f: RateNonlinearity
    public var tauMs: Double
    public var stepMs: Double

    public init(weights: Matrix<Double>, f: RateNonlinearity, tauMs: Double, stepMs: Double) {
        self.weights = weights; self.f = f; self.tauMs = tauMs; self.stepMs = stepMs
    }

    /// dx/dt for every row of x [C, N] with constant drive [C, N] (zeros after the go cue).
    func derivative(_ x: Matrix<Double>, drive: Matrix<Double>) -> Matrix<Double> {
        var r = x
        for i in 0..<r.data.count { r.data[i] = f(x.data[i]) }
        var d = matmul(r, weights, transposeB: true)  // [C,N]·Wᵀ: row c is W f(x_c)
        for i in 0..<d.data.count { d.data[i] = (d.data[i] - x.data[i] + drive.data[i]) / tauMs }
        return d
    }

    /// Simulates every condition from its preparatory state; see the type's description.
    /// `x0` is [C, N]; bins are `binMs` long (a whole number of steps).
    public func simulate(x0: Matrix<Double>, preparatoryBins: Int, movementBins: Int, binMs: Double) -> Array3<Double> {
        let c = x0.rows, n = x0.cols
        let stepsPerBin = Int((binMs / stepMs).rounded())
        let bins = preparatoryBins + movementBins
        var rates = Array3<Double>(c, bins, n, repeating: 0)
        // preparatory epoch: held at x0
        var r0 = x0
        for i in 0..<r0.data.count { r0.data[i] = f(x0.data[i]) }
        for ci in 0..<c { for t in 0..<preparatoryBins { for j in 0..<n { rates[ci, t, j] = r0[ci, j] } } }
        // movement epoch: free evolution, RK4
        let zero = Matrix<Double>(rows: c, cols: n)
        var x = x0
        let h = stepMs
        for bin in 0..<movementBins {
            var sum = Matrix<Double>(rows: c, cols: n)
            for _ in 0..<stepsPerBin {
                let k1 = derivative(x, drive: zero)
                let k2 = derivative(x + (h / 2) * k1, drive: zero)
                let k3 = derivative(x + (h / 2) * k2, drive: zero)
                let k4 = derivative(x + h * k3, drive: zero)
                for i in 0..<x.data.count {
                    x.data[i] += h / 6 * (k1.data[i] + 2 * k2.data[i] + 2 * k3.data[i] + k4.data[i])
                    // bin average of f(x) over the step end points of this bin
                    sum.data[i] += f(x.data[i])
                }
            }
            let t = preparatoryBins + bin
            for ci in 0..<c { for j in 0..<n { rates[ci, t, j] = sum[ci, j] / Double(stepsPerBin) } }
        }
        return rates
    }
}
