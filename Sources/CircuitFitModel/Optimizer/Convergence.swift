import CircuitFitCore

/// The stated convergence criterion (docs/method.md#convergence): a fit has converged after
/// n updates when the lowest loss reached so far has fallen by less than `tolerance` of itself
/// plus `absoluteTolerance` over the last `window` updates:
///   L_best(n − W) − L_best(n) < τ·L_best(n) + τ_abs,   L_best(n) = min_{i ≤ n} L_i,
/// with L_i the training objective after i updates. The objective is unit-free (fractions of
/// unexplained variance), so τ_abs is too: it ends fits whose loss is already negligible (a
/// task-only network at NMSE 1e-4 still falls by several per cent per window, towards 0).
public struct ConvergenceCriterion: Sendable, Equatable, Codable {
    /// W, updates the relative change is measured over.
    public var window: Int
    /// τ, the relative decrease below which the fit counts as converged.
    public var tolerance: Double
    /// τ_abs, in the objective's own (unit-free) units.
    public var absoluteTolerance: Double

    public init(window: Int = 100, tolerance: Double = 1e-2, absoluteTolerance: Double = 1e-5) {
        self.window = window
        self.tolerance = tolerance
        self.absoluteTolerance = absoluteTolerance
    }

    public func validate() throws {
        guard window >= 1 else { throw CircuitFitError("convergence: window must be ≥ 1 update, got \(window)") }
        guard tolerance > 0, tolerance.isFinite else { throw CircuitFitError("convergence: tolerance must be > 0, got \(tolerance)") }
        guard absoluteTolerance >= 0, absoluteTolerance.isFinite else { throw CircuitFitError("convergence: absolute tolerance must be ≥ 0, got \(absoluteTolerance)") }
    }
}

/// Whether and when a fit met the convergence criterion, recorded with every fit.
public struct ConvergenceReport: Sendable, Equatable, Codable {
    public var converged: Bool
    /// The update count at which the criterion was met (nil when it was not).
    public var iteration: Int?
    /// (L_best(n − W) − L_best(n)) / L_best(n) at the end of training (nil before W updates).
    public var relativeChange: Double?
    /// L_best(n − W) − L_best(n) at the end of training (nil before W updates).
    public var change: Double?
    /// The lowest loss reached, L_best(n).
    public var bestLoss: Double?
    public var window: Int
    public var tolerance: Double
    public var absoluteTolerance: Double

    public init(converged: Bool, iteration: Int?, relativeChange: Double?, change: Double?, bestLoss: Double?,
                criterion: ConvergenceCriterion) {
        self.converged = converged
        self.iteration = iteration
        self.relativeChange = relativeChange
        self.change = change
        self.bestLoss = bestLoss
        window = criterion.window
        tolerance = criterion.tolerance
        absoluteTolerance = criterion.absoluteTolerance
    }

    enum CodingKeys: String, CodingKey {
        case converged
        case iteration
        case relativeChange = "relative_change"
        case change
        case bestLoss = "best_loss"
        case window
        case tolerance
        case absoluteTolerance = "absolute_tolerance"
    }
}

/// Follows L_best over the updates and applies a `ConvergenceCriterion` (no allocation per update).
struct ConvergenceMonitor {
    let criterion: ConvergenceCriterion
    /// L_best after 0, 1, … updates, the last W + 1 of them (a ring).
    private var best: [Double]
    private var count = 0

    init(_ criterion: ConvergenceCriterion) {
        self.criterion = criterion
        best = [Double](repeating: .infinity, count: criterion.window + 1)
    }

    /// Adds L_n (n = the number of updates so far: 0 for the initial loss).
    mutating func add(_ loss: Double) {
        let w = criterion.window + 1
        let previous = count == 0 ? Double.infinity : best[(count - 1) % w]
        best[count % w] = loss.isFinite ? min(previous, loss) : previous
        count += 1
    }

    /// L_best(n), the lowest loss so far.
    var bestLoss: Double? { count == 0 ? nil : best[(count - 1) % (criterion.window + 1)] }

    /// L_best(n − W) − L_best(n) for the latest n, or nil before W updates.
    var change: Double? {
        let w = criterion.window + 1
        guard count >= w else { return nil }
        let now = best[(count - 1) % w], then = best[count % w]   // the oldest kept is n − W
        guard now.isFinite, then.isFinite else { return nil }
        return then - now
    }

    /// change / L_best(n).
    var relativeChange: Double? {
        guard let change, let now = bestLoss else { return nil }
        return now > 0 ? change / now : (change == 0 ? 0 : .infinity)
    }

    var isMet: Bool {
        guard let change, let now = bestLoss else { return false }
        return change < criterion.tolerance * now + criterion.absoluteTolerance
    }
}
