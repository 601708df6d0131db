import CircuitFitCore

/// The stated convergence criterion (docs/method.md § Convergence): a fit has converged after
/// n updates when the lowest loss reached so far has fallen by less than `tolerance`, relative,
/// over the last `window` updates:
///   (L_best(n − W) − L_best(n)) / L_best(n) < τ,   L_best(n) = min_{i ≤ n} L_i,
/// with L_i the training objective after i updates. At that rate another W updates would lower
/// the loss by less than τ of itself.
public struct ConvergenceCriterion: Sendable, Equatable, Codable {
    /// W, updates the relative change is measured over.
    public var window: Int
    /// τ, the relative change below which the fit counts as converged.
    public var tolerance: Double

    public init(window: Int = 100, tolerance: Double = 1e-3) {
        self.window = window
        self.tolerance = tolerance
    }

    public func validate() throws {
        guard window >= 1 else { throw CircuitFitError("convergence: window must be ≥ 1 update, got \(window)") }
        guard tolerance > 0, tolerance.isFinite else { throw CircuitFitError("convergence: tolerance must be > 0, got \(tolerance)") }
    }
}

/// Whether and when a fit met the convergence criterion, recorded with every fit.
public struct ConvergenceReport: Sendable, Equatable, Codable {
    public var converged: Bool
    /// The update count at which the criterion was met (nil when it was not).
    public var iteration: Int?
    /// (L_best(n − W) − L_best(n)) / L_best(n) at the end of training (nil before W updates).
    public var relativeChange: Double?
    public var window: Int
    public var tolerance: Double

    public init(converged: Bool, iteration: Int?, relativeChange: Double?, window: Int, tolerance: Double) {
        self.converged = converged
        self.iteration = iteration
        self.relativeChange = relativeChange
        self.window = window
        self.tolerance = tolerance
    }

    enum CodingKeys: String, CodingKey {
        case converged
        case iteration
        case relativeChange = "relative_change"
        case window
        case tolerance
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

    /// (L_best(n − W) − L_best(n)) / L_best(n) for the latest n, or nil before W updates.
    var relativeChange: Double? {
        let w = criterion.window + 1
        guard count >= w else { return nil }
        let now = best[(count - 1) % w], then = best[count % w]   // the oldest kept is n − W
        guard now.isFinite, then.isFinite else { return nil }
        return now > 0 ? (then - now) / now : (then - now == 0 ? 0 : .infinity)
    }

    var isMet: Bool { relativeChange.map { $0 < criterion.tolerance } ?? false }
}
