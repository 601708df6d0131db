import CircuitFitCore

/// Every choice `RecordingImporter` makes, with defaults; recorded in full (defaults included) in
/// the `ImportProvenance`. Times of the window and bins are ms relative to the alignment event;
/// times in the recording are s. Loadable from JSON with `ConfigFile` (no optionals: an empty
/// string or list means "not set").
public struct ImportOptions: Codable, Equatable, Sendable {
    /// How the task inputs u [C, T, I] are made.
    public enum InputMode: String, Codable, Sendable {
        /// One channel per condition (1 for the row's condition) plus a hold channel.
        case conditionOneHot = "condition_one_hot"
        /// One channel per column of `inputColumns` (the trial's value) plus a hold channel.
        case columns
    }

    /// Unit of the values of `angleColumn`.
    public enum AngleUnit: String, Codable, Sendable {
        case radians, degrees
    }

    /// Trials-table column that names each trial's condition (numeric or strings).
    public var conditionColumn: String = "condition"
    /// Trials-table column holding the event time (s) each trial is aligned to.
    public var alignTo: String = "go_cue_time"
    /// Start of the window, ms relative to the event (negative = before it).
    public var windowStartMs: Double = -400
    /// End of the window, ms relative to the event (exclusive).
    public var windowEndMs: Double = 600
    /// Bin width, ms: the dataset's `dt_ms`. The window must be a whole number of bins.
    public var binMs: Double = 20
    /// SD of the Gaussian kernel that smooths each trial's binned rates, ms; 0 = no smoothing.
    public var smoothMs: Double = 0
    /// Behavioural series to use as the targets, in order (their channels are concatenated):
    /// NWB TimeSeries names (or paths), or MAT/NPZ variable names. Empty = no targets (K = 0).
    public var behavior: [String] = []
    public var inputs: InputMode = .conditionOneHot
    /// Trials-table columns that become input channels when `inputs` is `.columns`.
    public var inputColumns: [String] = []
    /// Output one row per trial instead of one average (PSTH) per condition.
    public var singleTrials: Bool = false
    /// Conditions to import, in this order (labels as text, e.g. "left" or "2"); empty = all,
    /// sorted (numbers ascending, strings in code-point order).
    public var conditions: [String] = []
    /// Conditions to hold out of training (labels as text). Empty = choose by `trainFraction`.
    public var heldOutConditions: [String] = []
    /// Fraction of the conditions used for training when `heldOutConditions` is empty; the
    /// held-out ones are drawn with `seed`. 1 = train on all.
    public var trainFraction: Double = 0.75
    /// Numeric trials column giving each condition's reach angle; empty = angles are NaN.
    public var angleColumn: String = ""
    public var angleUnit: AngleUnit = .radians
    /// Require every trial's window to lie within its start_time…stop_time (else an error names
    /// the trial). Off: spikes and behaviour outside the trial are used as recorded.
    public var requireWindowInsideTrials: Bool = true
    /// Seed of the held-out condition draw (the only random choice).
    public var seed: UInt64 = 1

    public init() {}

    /// The number of bins in the window.
    public var binCount: Int { Int(((windowEndMs - windowStartMs) / binMs).rounded()) }

    /// Checks the numbers make sense; errors name the option.
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws {
            if !ok { throw CircuitFitError("import options: \(message)") }
        }
        try need(!conditionColumn.isEmpty, "conditionColumn must name a trials column")
        try need(!alignTo.isEmpty, "alignTo must name a trials column of event times")
        try need(binMs >= ReachDataset.timeStepRangeMs.lowerBound && binMs <= ReachDataset.timeStepRangeMs.upperBound,
                 "binMs must be between \(ReachDataset.timeStepRangeMs.lowerBound) and \(ReachDataset.timeStepRangeMs.upperBound) ms (the dataset's dt_ms), got \(binMs)")
        try need(windowStartMs.isFinite && windowEndMs.isFinite && windowEndMs > windowStartMs,
                 "the window must have end > start, got \(windowStartMs)…\(windowEndMs) ms")
        let bins = (windowEndMs - windowStartMs) / binMs
        // bounded before `binCount` converts it to an Int
        try need(bins.isFinite && bins <= Double(BinGrid.maximumBins),
                 "the window \(windowStartMs)…\(windowEndMs) ms holds \(bins) bins of \(binMs) ms, at most \(BinGrid.maximumBins) allowed")
        try need(abs(bins - bins.rounded()) <= 1e-9 * max(1, bins),
                 "the window \(windowStartMs)…\(windowEndMs) ms is \(bins) bins of \(binMs) ms, expected a whole number")
        try need(smoothMs >= 0 && smoothMs.isFinite, "smoothMs must be ≥ 0 (0 = none), got \(smoothMs)")
        try need(trainFraction > 0 && trainFraction <= 1, "trainFraction must be in (0, 1], got \(trainFraction)")
        try need(inputs != .columns || !inputColumns.isEmpty, "inputs = columns needs at least one name in inputColumns")
    }
}
