import Foundation
import CircuitFitCore

/// Settings of the L-BFGS optimiser (Nocedal & Wright 2006, Algorithms 7.4 and 3.5–3.6).
public struct LBFGSConfig: Sendable, Equatable, Codable {
    /// Number of (s, y) pairs kept: the memory of the inverse-Hessian approximation (default 20).
    public var history: Int
    /// Sufficient-decrease and curvature constants of the strong Wolfe conditions.
    public var c1: Double
    public var c2: Double
    /// Most loss evaluations one line search may use (default 20).
    public var maxLineSearchEvaluations: Int

    public init(history: Int = 20, c1: Double = 1e-4, c2: Double = 0.9, maxLineSearchEvaluations: Int = 20) {
        self.history = history
        self.c1 = c1
        self.c2 = c2
        self.maxLineSearchEvaluations = maxLineSearchEvaluations
    }

    public func validate() throws {
        guard history >= 1 else { throw CircuitFitError("lbfgs: history must be ≥ 1, got \(history)") }
        guard c1 > 0, c1 < c2, c2 < 1 else { throw CircuitFitError("lbfgs: need 0 < c1 < c2 < 1, got c1 = \(c1), c2 = \(c2)") }
        guard maxLineSearchEvaluations >= 2 else { throw CircuitFitError("lbfgs: maxLineSearchEvaluations must be ≥ 2, got \(maxLineSearchEvaluations)") }
    }
}

/// Full-batch L-BFGS over the one parameter vector: the two-loop recursion gives the direction
/// d = −H g from the last `history` steps s = Δp and gradient changes y = Δg; a strong-Wolfe line
/// search (bracketing, then zoom by safeguarded cubic interpolation, as in PyTorch's
/// `torch.optim.LBFGS(line_search_fn="strong_wolfe")`) chooses the step t along d. Frozen blocks
/// have zero gradient, hence zero s, y and d: they never move. Buffers are allocated once.
struct LBFGS {
    let config: LBFGSConfig
    private let n: Int
    // memory: ring of (s, y, 1/yᵀs), newest at (start + count − 1) % history
    private var s: [[Float]], y: [[Float]], rho: [Double]
    private var start = 0, count = 0
    private var alpha: [Double]
    /// Scale of the initial inverse Hessian, sᵀy/yᵀy of the newest pair.
    private var gamma = 1.0
    private var direction: [Float]
    private var previousGradient: [Float]
    private var trial: [Float]
    /// Gradients of the line search's points: slots reused, never reallocated.
    private var slots: [[Float]]
    private var iteration = 0

    init(config: LBFGSConfig, parameterCount n: Int) {
        self.config = config
        self.n = n
        s = (0..<config.history).map { _ in [Float](repeating: 0, count: n) }
        y = s
        rho = [Double](repeating: 0, count: config.history)
        alpha = rho
        direction = [Float](repeating: 0, count: n)
        previousGradient = direction
        trial = direction
        slots = (0..<3).map { _ in [Float](repeating: 0, count: n) }
    }

    /// Forgets the curvature pairs (the next direction is steepest descent).
    mutating func resetMemory() { count = 0; start = 0; gamma = 1 }

    /// d = −H g by the two-loop recursion.
    private mutating func computeDirection(_ g: [Float]) {
        let m = config.history
        for i in 0..<n { direction[i] = -g[i] }
        guard count > 0 else {
            // first step: steepest descent scaled so that the step is at most 1 in L1 norm
            var l1 = 0.0
            for v in g { l1 += Double(abs(v)) }
            let scale = min(1, 1 / max(l1, 1e-30))
            for i in 0..<n { direction[i] *= Float(scale) }
            return
        }
        for j in stride(from: count - 1, through: 0, by: -1) {
            let k = (start + j) % m
            alpha[k] = rho[k] * dot(s[k], direction)
            axpy(-alpha[k], y[k], &direction)
        }
        let fg = Float(gamma)
        for i in 0..<n { direction[i] *= fg }
        for j in 0..<count {
            let k = (start + j) % m
            let beta = rho[k] * dot(y[k], direction)
            axpy(alpha[k] - beta, s[k], &direction)
        }
    }

    /// Adds the pair s = t·d, y = g_new − g_old when it has positive curvature.
    private mutating func remember(stepLength t: Double, newGradient g: [Float]) {
        let m = config.history
        let k = count < m ? (start + count) % m : start
        let ft = Float(t)
        for i in 0..<n {
            s[k][i] = ft * direction[i]
            y[k][i] = g[i] - previousGradient[i]
        }
        let ys = dot(y[k], s[k]), yy = dot(y[k], y[k]), ss = dot(s[k], s[k])
        guard ys > 1e-10 * (ss * yy).squareRoot(), yy > 0 else { return }   // no curvature: skip
        rho[k] = 1 / ys
        gamma = ys / yy
        if count < m { count += 1 } else { start = (start + 1) % m }
    }

    /// p + t·d into `trial`.
    private mutating func point(_ p: [Float], _ t: Double) {
        let ft = Float(t)
        for i in 0..<n { trial[i] = p[i] + ft * direction[i] }
    }
}

extension LBFGS: Optimizer {
    mutating func step(_ p: inout [Float], _ current: inout Evaluated, _ f: LossFunction) -> StepOutcome {
        iteration += 1
        for attempt in 0..<2 {
            computeDirection(current.gradient)
            let gtd = dot(current.gradient, direction)
            if !(gtd < 0) {
                // not a descent direction (memory went stale): start afresh
                resetMemory()
                if attempt == 0 { continue }
                return .stalled
            }
            if let accepted = lineSearch(p, current, gtd: gtd, initialStep: 1, f) {
                for i in 0..<n { previousGradient[i] = current.gradient[i] }
                point(p, accepted.t)
                swap(&p, &trial)
                current.loss = accepted.loss
                current.gradient.withUnsafeMutableBufferPointer { d in
                    slots[accepted.slot].withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: n) }
                }
                remember(stepLength: accepted.t, newGradient: current.gradient)
                return .moved
            }
            resetMemory()   // no decrease along d: retry once along −g
        }
        return .stalled
    }

    /// One evaluated point of the line search: step t, loss, directional derivative, gradient slot.
    private struct Point { var t: Double; var f: Double; var gtd: Double; var loss: LossParts; var slot: Int }

    /// Strong-Wolfe line search along `direction` from p (loss f0, slope gtd0 < 0). Returns the
    /// accepted point (lower loss than f0), or nil when no evaluated point lowered the loss.
    private mutating func lineSearch(_ p: [Float], _ current: Evaluated, gtd gtd0: Double, initialStep: Double, _ f: LossFunction) -> Point? {
        let c1 = config.c1, c2 = config.c2, maxEvaluations = config.maxLineSearchEvaluations
        let f0 = current.loss.total
        var dMax = 0.0
        for v in direction { dMax = max(dMax, Double(abs(v))) }
        var free = [0, 1, 2]
        func evaluate(_ t: Double) -> Point {
            point(p, t)
            let slot = free.removeLast()
            let loss = f(trial, &slots[slot])
            let value = loss.total.isFinite ? loss.total : .infinity
            var gtd = dot(slots[slot], direction)
            if !gtd.isFinite || !loss.total.isFinite { gtd = .infinity }
            return Point(t: t, f: value, gtd: gtd, loss: loss, slot: slot)
        }
        func release(_ q: Point?) { if let q, q.slot >= 0 { free.append(q.slot) } }
        let origin = Point(t: 0, f: f0, gtd: gtd0, loss: current.loss, slot: -1)

        // bracketing phase
        var previous = origin
        var new = evaluate(initialStep)
        var evaluations = 1
        var low: Point, high: Point
        var done = false
        while true {
            if new.f > f0 + c1 * new.t * gtd0 || (evaluations > 1 && new.f >= previous.f) {
                low = previous; high = new; break
            }
            if abs(new.gtd) <= -c2 * gtd0 { low = new; high = new; done = true; release(previous); break }
            if new.gtd >= 0 { low = new; high = previous; break }
            if evaluations >= maxEvaluations { low = new; high = new; done = true; release(previous); break }
            let t = cubicMinimum(previous.t, previous.f, previous.gtd, new.t, new.f, new.gtd,
                                 bounds: (new.t + 0.01 * (new.t - previous.t), new.t * 10))
            release(previous)
            previous = new
            new = evaluate(t)
            evaluations += 1
        }

        // zoom phase: low has the lower loss, the minimiser lies between low and high
        if low.f > high.f { swap(&low, &high) }
        var insufficientProgress = false
        while !done && evaluations < maxEvaluations {
            if abs(high.t - low.t) * dMax < 1e-9 { break }
            let lo = min(low.t, high.t), hi = max(low.t, high.t)
            var t = cubicMinimum(low.t, low.f, low.gtd, high.t, high.f, high.gtd, bounds: (lo, hi))
            let eps = 0.1 * (hi - lo)
            if min(hi - t, t - lo) < eps {
                if insufficientProgress || t >= hi || t <= lo {
                    t = abs(t - hi) < abs(t - lo) ? hi - eps : lo + eps
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            let trialPoint = evaluate(t)
            evaluations += 1
            if trialPoint.f > f0 + c1 * t * gtd0 || trialPoint.f >= low.f {
                release(high)
                high = trialPoint
            } else {
                if abs(trialPoint.gtd) <= -c2 * gtd0 {
                    done = true
                } else if trialPoint.gtd * (high.t - low.t) >= 0 {
                    release(high)
                    high = low
                    low = trialPoint
                    continue
                }
                if high.slot != low.slot { release(low) }
                low = trialPoint
            }
            if low.f > high.f { swap(&low, &high) }
        }
        return low.f < f0 && low.slot >= 0 ? low : nil
    }
}

/// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`; the
/// middle of the bounds when the cubic has no minimum or an input is not finite.
func cubicMinimum(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                  bounds: (Double, Double)) -> Double {
    let (lo, hi) = bounds.0 <= bounds.1 ? bounds : (bounds.1, bounds.0)
    guard [x1, f1, g1, x2, f2, g2].allSatisfy(\.isFinite), x1 != x2 else { return 0.5 * (lo + hi) }
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    guard d2Square >= 0 else { return 0.5 * (lo + hi) }
    let d2 = d2Square.squareRoot()
    let x = x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    guard x.isFinite else { return 0.5 * (lo + hi) }
    return min(max(x, lo), hi)
}
