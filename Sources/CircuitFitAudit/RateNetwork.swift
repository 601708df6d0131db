import Foundation
import CircuitFitCore
import CircuitFitCircuit

/// The element-wise nonlinearity of a rate network: the model's tanh, or the circuit's
/// piecewise-saturating f (docs/method.md § The ground-truth circuit).
public enum StateNonlinearity: Sendable {
    case tanh
    case circuit(RateNonlinearity)
    /// φ(x) = x: a linear network (fixed point and spectrum in closed form).
    case linear

    /// (φ(x), φ'(x)) with one tanh.
    @inlinable public func valueAndSlope(_ x: Double) -> (Double, Double) {
        switch self {
        case .tanh:
            let t = Foundation.tanh(x)
            return (t, 1 - t * t)
        case .circuit(let f):
            let s = x < 0 ? f.r0Hz : f.rmaxHz - f.r0Hz
            let t = Foundation.tanh(x / s)
            return (s * t, 1 - t * t)
        case .linear: return (x, 1)
        }
    }

    /// φ(x).
    @inlinable public func value(_ x: Double) -> Double {
        switch self {
        case .tanh: return Foundation.tanh(x)
        case .circuit(let f): return f(x)
        case .linear: return x
        }
    }

    /// φ'(x).
    @inlinable public func slope(_ x: Double) -> Double {
        switch self {
        case .tanh:
            let t = Foundation.tanh(x)
            return 1 - t * t
        case .circuit(let f):
            let s = x < 0 ? f.r0Hz : f.rmaxHz - f.r0Hz
            let t = Foundation.tanh(x / s)
            return 1 - t * t
        case .linear: return 1
        }
    }
}

/// Both systems the audit compares in one continuous-time form,
///
///   τ dx/dt = G(x) = −x + W φ(x) + c,
///
/// the model with x = h, W = J, φ = tanh, c = B u + b (its discrete step is x + α G(x)); the
/// circuit with x = rate deviation (Hz), W its weights, φ = f, c = the holding input (preparatory
/// epoch) or 0. Jacobians are reported in 1/s: A = (−I + W diag φ'(x)) / τ.
public struct RateNetwork: Sendable {
    /// W [n, n], row = postsynaptic.
    public var weights: Matrix<Double>
    public var nonlinearity: StateNonlinearity
    /// τ, seconds.
    public var tauSeconds: Double

    public init(weights: Matrix<Double>, nonlinearity: StateNonlinearity, tauSeconds: Double) {
        self.weights = weights; self.nonlinearity = nonlinearity; self.tauSeconds = tauSeconds
    }

    public var size: Int { weights.rows }

    /// G(x) = −x + W φ(x) + c for every row of `states` [P, n] with its drive [P, n]
    /// (one gemm for all rows). Also returns φ'(x) [P, n] for the gradient.
    public func residual(_ states: Matrix<Double>, drive: Matrix<Double>) -> (g: Matrix<Double>, slope: Matrix<Double>) {
        var phi = states, slope = states
        for k in 0..<states.data.count {
            (phi.data[k], slope.data[k]) = nonlinearity.valueAndSlope(states.data[k])
        }
        var g = matmul(phi, weights, transposeB: true)          // row p: W φ(x_p)
        for k in 0..<g.data.count { g.data[k] += drive.data[k] - states.data[k] }
        return (g, slope)
    }

    /// ∇ of ½‖G‖² for every row: (−I + W Φ')ᵀ G = −G + φ'(x) ⊙ (Wᵀ G) (one gemm).
    public func gradient(g: Matrix<Double>, slope: Matrix<Double>) -> Matrix<Double> {
        var grad = matmul(g, weights)                          // row p: Wᵀ g_p
        for k in 0..<grad.data.count { grad.data[k] = slope.data[k] * grad.data[k] - g.data[k] }
        return grad
    }

    /// The Jacobian of dx/dt at `x`, 1/s: (−I + W diag φ'(x)) / τ.
    public func jacobian(at x: [Double]) -> Matrix<Double> {
        let n = size
        var a = Matrix<Double>(rows: n, cols: n)
        let s = x.map { nonlinearity.slope($0) }
        for i in 0..<n {
            for j in 0..<n { a[i, j] = weights[i, j] * s[j] / tauSeconds }
            a[i, i] -= 1 / tauSeconds
        }
        return a
    }

    /// The Jacobian of G at x (dimensionless, −I + W diag φ'(x)): the Newton matrix.
    func residualJacobian(at x: [Double]) -> Matrix<Double> {
        var a = jacobian(at: x)
        for k in 0..<a.data.count { a.data[k] *= tauSeconds }
        return a
    }
}
