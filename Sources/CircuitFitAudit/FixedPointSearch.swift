import Foundation
import CircuitFitCore

/// Settings of the fixed-point and slow-point search (after Sussillo & Barak 2013); every one is
/// recorded in the audit output. Defaults are choices, explained in docs/method.md § Mechanism audit.
public struct FixedPointSearchSettings: Codable, Equatable, Sendable {
    /// Gradient-descent iterations on q(x) = ½‖G(x)‖² for all starting points at once.
    public var descentIterations: Int = 200
    /// Newton iterations (with backtracking on q) that polish each distinct candidate.
    public var newtonIterations: Int = 12
    /// Duration (in units of τ) the flow is also run from every starting point, to find the
    /// attractors the visited states fall into.
    public var flowDurationTau: Double = 20
    /// Flow step (units of τ) for a system without a discrete step of its own.
    public var flowStepTau: Double = 0.05
    /// A candidate is a fixed point when ‖G(x)‖ ≤ this × max(1, ‖x‖) (state units).
    public var fixedTolerance: Double = 1e-8
    /// A candidate that is no fixed point is a slow point when its speed ‖dx/dt‖ is at most this
    /// fraction of the median speed along the system's own movement-epoch trajectories.
    public var slowSpeedFraction: Double = 0.02
    /// Two points are the same when they are closer than this fraction of the trajectories'
    /// RMS spread (fixed points) or 5× that (slow points).
    public var duplicateFraction: Double = 1e-3
    /// Candidates closer than this fraction of the RMS spread are polished once (the one with
    /// the lowest q stands for the others).
    public var clusterFraction: Double = 0.05
    /// Only candidates whose speed after the descent is at most this fraction of the median
    /// trajectory speed are polished by Newton's method (the others are neither fixed nor slow).
    public var polishSpeedFraction: Double = 0.2

    public init() {}

    enum CodingKeys: String, CodingKey {
        case descentIterations = "descent_iterations"
        case newtonIterations = "newton_iterations"
        case flowDurationTau = "flow_duration_tau"
        case flowStepTau = "flow_step_tau"
        case fixedTolerance = "fixed_tolerance"
        case slowSpeedFraction = "slow_speed_fraction"
        case duplicateFraction = "duplicate_fraction"
        case clusterFraction = "cluster_fraction"
        case polishSpeedFraction = "polish_speed_fraction"
    }
}

/// How a fixed point behaves under its linearisation.
public enum FixedPointStability: String, Codable, Sendable {
    /// Every eigenvalue has negative real part: an attractor.
    case stable
    /// Some eigenvalues with positive real part, some with negative.
    case saddle
    /// Every eigenvalue has positive real part.
    case unstable
    /// A slow point: not a fixed point, so no stability class.
    case slowPoint = "slow_point"
}

/// One fixed or slow point of a `RateNetwork` under a constant drive.
public struct FixedPoint: Sendable {
    /// The state x [n] (the system's own state units).
    public var state: [Double]
    /// ‖dx/dt‖ at the point, state units per second.
    public var speed: Double
    /// true when Newton converged (‖G‖ ≤ tolerance), false for a slow point.
    public var isFixed: Bool
    /// Eigenvalues of the Jacobian at the point, 1/s (real and imaginary parts).
    public var eigenReal: [Double]
    public var eigenImaginary: [Double]
    public var stability: FixedPointStability
    /// Number of eigenvalues with positive real part.
    public var unstableDimensions: Int
    /// How many starting points ended here.
    public var basinCount: Int
}

/// Finds the fixed and slow points of `network` under per-row constant drives:
/// 1. gradient descent on q = ½‖G‖² from every start at once (two gemms per iteration for all
///    candidates: G needs W φ(x), ∇q needs Wᵀ G), with a per-candidate adaptive step;
/// 2. the flow from every start for `flowDurationTau` (the attractors the states fall into),
///    with the system's own step `flowStep` (seconds) or `flowStepTau`·τ;
/// 3. the candidates of both deduplicated, each polished by Newton's method on G(x) = 0;
/// 4. every distinct point classified by the eigenvalues of its Jacobian (LAPACK dgeev).
/// `groups` tells which drive each start belongs to; points are deduplicated within a group.
public func findFixedPoints(
    network: RateNetwork, starts: Matrix<Double>, drives: Matrix<Double>, groups: [Int],
    scale: Double, medianSpeed: Double, flowStepSeconds: Double?, settings: FixedPointSearchSettings
) throws -> [[FixedPoint]] {
    let n = network.size, P = starts.rows
    precondition(drives.rows == P && groups.count == P && starts.cols == n)
    let tau = network.tauSeconds

    // 1. batched gradient descent on q with a per-row step (grow on success, halve and undo on failure)
    var x = starts
    var (g, slope) = network.residual(x, drive: drives)
    var q = rowHalfSquares(g)
    var step = [Double](repeating: 0.01, count: P)
    for _ in 0..<settings.descentIterations {
        let grad = network.gradient(g: g, slope: slope)
        var trial = x
        for p in 0..<P { for i in 0..<n { trial[p, i] -= step[p] * grad[p, i] } }
        let (gt, st) = network.residual(trial, drive: drives)
        let qt = rowHalfSquares(gt)
        for p in 0..<P {
            if qt[p] <= q[p] {
                for i in 0..<n { x[p, i] = trial[p, i]; g[p, i] = gt[p, i]; slope[p, i] = st[p, i] }
                q[p] = qt[p]; step[p] = min(step[p] * 1.5, 10)
            } else {
                step[p] *= 0.5
            }
        }
    }

    // 2. the flow from every start: x ← x + (h/τ) G(x)
    var flow = starts
    let h = flowStepSeconds ?? settings.flowStepTau * tau
    let flowSteps = Int((settings.flowDurationTau * tau / h).rounded())
    for _ in 0..<flowSteps {
        let (gf, _) = network.residual(flow, drive: drives)
        for k in 0..<flow.data.count { flow.data[k] += h / tau * gf.data[k] }
    }
    guard x.data.allSatisfy({ $0.isFinite }), flow.data.allSatisfy({ $0.isFinite }) else {
        throw CircuitFitError("fixed-point search: the states diverged (NaN/Inf); the network's dynamics explode")
    }

    // 3. candidates per group, deduplicated, polished
    let groupIDs = Array(Set(groups)).sorted()
    var result: [[FixedPoint]] = []
    for group in groupIDs {
        let rows = (0..<P).filter { groups[$0] == group }
        let drive = drives.row(rows[0])
        var candidates: [[Double]] = rows.map { x.row($0) } + rows.map { flow.row($0) }
        // cheap pre-clustering at the slow-point radius, keeping the lowest-q member
        candidates.sort { halfSquare(network, $0, drive) < halfSquare(network, $1, drive) }
        var representatives: [([Double], Int)] = []
        for c in candidates {
            if let k = representatives.firstIndex(where: { distance($0.0, c) <= settings.clusterFraction * scale }) {
                representatives[k].1 += 1
            } else {
                representatives.append((c, 1))
            }
        }
        var points: [FixedPoint] = []
        for (candidate, count) in representatives {
            // only candidates already slow are worth polishing (Newton costs an LU per step)
            let before = norm(residualVector(network, candidate, drive)) / tau
            if before > settings.polishSpeedFraction * medianSpeed { continue }
            let (polished, converged) = try newtonPolish(network, candidate, drive: drive, settings: settings)
            let gx = residualVector(network, polished, drive)
            let speed = norm(gx) / tau
            if !converged && speed > settings.slowSpeedFraction * medianSpeed { continue }
            let radius = (converged ? 1 : 5) * settings.duplicateFraction * scale
            if let k = points.firstIndex(where: { $0.isFixed == converged && distance($0.state, polished) <= max(radius, 1e-12) }) {
                points[k].basinCount += count
                continue
            }
            points.append(FixedPoint(
                state: polished, speed: speed, isFixed: converged, eigenReal: [], eigenImaginary: [],
                stability: .slowPoint, unstableDimensions: 0, basinCount: count))
        }
        // 4. classify
        for k in points.indices {
            let eig = try Eigendecomposition(network.jacobian(at: points[k].state), vectors: false)
            points[k].eigenReal = eig.real
            points[k].eigenImaginary = eig.imaginary
            let positive = eig.real.filter { $0 > 0 }.count
            points[k].unstableDimensions = positive
            if points[k].isFixed {
                points[k].stability = positive == 0 ? .stable : (positive == n ? .unstable : .saddle)
            }
        }
        points.sort { a, b in
            if a.isFixed != b.isFixed { return a.isFixed }
            return a.basinCount > b.basinCount
        }
        result.append(points)
    }
    return result
}

/// Newton's method on G(x) = 0 with backtracking on q; returns the point and whether
/// ‖G‖ ≤ tolerance·max(1, ‖x‖) was reached.
func newtonPolish(_ network: RateNetwork, _ start: [Double], drive: [Double], settings: FixedPointSearchSettings) throws -> ([Double], Bool) {
    var x = start
    var g = residualVector(network, x, drive)
    func done(_ x: [Double], _ g: [Double]) -> Bool { norm(g) <= settings.fixedTolerance * max(1, norm(x)) }
    // at least one Newton step, even from a point already within tolerance (quadratic accuracy)
    for iteration in 0..<settings.newtonIterations {
        if iteration > 0 && done(x, g) { return (x, true) }
        let a = network.residualJacobian(at: x)
        guard let delta = try? solveLinear(a, Matrix(rows: g.count, cols: 1, data: g.map { -$0 })) else { break }
        var t = 1.0, improved = false
        let q0 = 0.5 * dot(g, g)
        for _ in 0..<20 {
            let trial = zip(x, delta.data).map { $0 + t * $1 }
            let gt = residualVector(network, trial, drive)
            if 0.5 * dot(gt, gt) < q0 { x = trial; g = gt; improved = true; break }
            t *= 0.5
        }
        if !improved { break }
    }
    return (x, done(x, g))
}

func residualVector(_ network: RateNetwork, _ x: [Double], _ drive: [Double]) -> [Double] {
    network.residual(Matrix(rows: 1, cols: x.count, data: x), drive: Matrix(rows: 1, cols: x.count, data: drive)).g.data
}

func halfSquare(_ network: RateNetwork, _ x: [Double], _ drive: [Double]) -> Double {
    let g = residualVector(network, x, drive)
    return 0.5 * dot(g, g)
}

func rowHalfSquares(_ m: Matrix<Double>) -> [Double] {
    (0..<m.rows).map { p in
        var s = 0.0
        for i in 0..<m.cols { s += m[p, i] * m[p, i] }
        return 0.5 * s
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
