import CircuitFitCore

/// One row of a fit's history.csv: the loss evaluated at the start of an iteration (before its
/// update) and the wall-clock seconds since training began.
public struct HistoryEntry: Sendable, Equatable, Codable {
    /// 1-based iteration.
    public var iteration: Int
    public var lossTotal: Double
    public var lossTask: Double
    public var lossNeural: Double
    /// Total loss on the validation conditions (noise-free), when evaluated at this iteration.
    public var lossValidation: Double?
    public var seconds: Double
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
}

/// Why training stopped.
public enum StopReason: Sendable, Equatable {
    /// All `iterations` steps ran.
    case budget
    /// Early stopping fired after this iteration.
    case earlyStopped(iteration: Int)
    /// The loss or gradient became NaN/Inf at this iteration; see `TrainingResult.error`.
    case diverged(iteration: Int)
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    /// The fitted parameters: after the last update (budget), the best monitored ones (early
    /// stopping with `restoreBest`), or the last parameters with a finite loss and gradient
    /// (diverged).
    public var parameters: RNNParameters
    /// One entry per iteration run.
    public var history: [HistoryEntry]
    /// Noise-free loss of `parameters` on the training conditions.
    public var finalLoss: LossParts
    /// Number of optimiser updates applied.
    public var updates: Int
    public var stopReason: StopReason
    /// Set when the run diverged: one line naming the iteration (the parameters are still the
    /// last good ones, so the caller can save them before reporting the error).
    public var error: CircuitFitError?
    /// Wall-clock seconds of the whole run.
    public var seconds: Double
}
