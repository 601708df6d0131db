import CircuitFitCore

/// One row of a fit's history.csv: iteration i starts from the parameters after i − 1 updates;
/// the row holds their loss and the wall-clock seconds since training began. One row per
/// iteration started (an iteration whose update diverged keeps its row; see `StopReason`).
public struct HistoryEntry: Sendable, Equatable, Codable {
    /// 1-based iteration.
    public var iteration: Int
    public var lossTotal: Double
    public var lossTask: Double
    public var lossNeural: Double
    /// Total loss on the validation conditions (noise-free), when evaluated at this iteration.
    public var lossValidation: Double?
    public var seconds: Double
    /// Loss-and-gradient evaluations so far (Adam: one per iteration; L-BFGS: its line searches').
    public var evaluations: Int
    /// The convergence criterion's relative change at this point (nil before its window is full).
    public var relativeChange: Double?
}

/// What the progress callback receives (library code never prints: the caller decides).
public struct TrainingProgress: Sendable {
    public var iteration: Int
    /// The iteration budget.
    public var iterations: Int
    public var loss: LossParts
    public var lossValidation: Double?
    public var iterationsPerSecond: Double
    public var seconds: Double
    /// The convergence criterion's relative change and its tolerance (nil: not yet / no criterion).
    public var relativeChange: Double?
    public var tolerance: Double?
}

/// Why training stopped.
public enum StopReason: Sendable, Equatable {
    /// All `iterations` updates ran without meeting the convergence criterion.
    case budget
    /// The convergence criterion was met after this many updates.
    case converged(iteration: Int)
    /// Early stopping fired after this many updates.
    case earlyStopped(iteration: Int)
    /// The loss or gradient became NaN/Inf at the start of this iteration (1 = the initial
    /// parameters); see `TrainingResult.error`.
    case diverged(iteration: Int)
    /// L-BFGS found no step that lowers the loss at this iteration (Float32 precision reached,
    /// or a direction the line search cannot use even from a fresh memory).
    case stalled(iteration: Int)

    /// The name written to config.json and results.csv: budget, converged_at_N, …
    public var label: String {
        switch self {
        case .budget: return "budget"
        case .converged(let i): return "converged_at_\(i)"
        case .earlyStopped(let i): return "early_stopped_at_\(i)"
        case .diverged(let i): return "diverged_at_\(i)"
        case .stalled(let i): return "stalled_at_\(i)"
        }
    }
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    /// The fitted parameters: after the last update, the best monitored ones (early stopping
    /// with `restoreBest`), or the last parameters with a finite loss and gradient (diverged).
    public var parameters: RNNParameters
    /// One entry per iteration started.
    public var history: [HistoryEntry]
    /// Noise-free loss of `parameters` on the training conditions.
    public var finalLoss: LossParts
    /// Number of optimiser updates applied (and kept).
    public var updates: Int
    /// Loss-and-gradient evaluations, line searches included.
    public var evaluations: Int
    public var stopReason: StopReason
    /// The convergence criterion's verdict (nil when training ran without one).
    public var convergence: ConvergenceReport?
    /// Set when the run diverged: one line naming the iteration (the parameters are still the
    /// last good ones, so the caller can save them before reporting the error).
    public var error: CircuitFitError?
    /// Wall-clock seconds of the whole run.
    public var seconds: Double
}
