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
        /// cos θ and sin θ of the trial's reach angle (`angleColumn`) plus a hold channel: the
        /// built-in dataset's inputs, which a network can generalise over to unseen angles.
        case angle
    }

    /// Unit of the values of `angleColumn`.
    public enum AngleUnit: String, Codable, Sendable {
        case radians, degrees
        /// Not given: values within ±2π are read as radians, anything beyond is an error that
        /// asks for the unit.
        case unspecified
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
    /// SD of the Gaussian kernel that smooths the binned rates, ms (0 = none), or `auto`: the
    /// width, among `SmoothingSelection.candidatesBins`, that best predicts one half of each
    /// condition's trials from the other (see `SmoothingSelection`).
    public var smoothMs: SmoothingWidth = .auto
    /// Behavioural series to use as the targets, in order (their channels are concatenated):
    /// NWB TimeSeries names (or paths), or MAT/NPZ variable or field names. Empty = no targets.
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
    /// Numeric trials column giving each trial's reach angle; empty = angles are NaN.
    public var angleColumn: String = ""
    public var angleUnit: AngleUnit = .unspecified
    /// Require every trial's window to lie within its start_time…stop_time (else an error names
    /// every such trial). Off: spikes and behaviour outside the trial are used as recorded.
    public var requireWindowInsideTrials: Bool = true
    /// Trial filters, all of which a trial must pass: "column=value", "column!=value", and for
    /// numeric columns also <, <=, >, >= (e.g. "outcome=success", "reaction_time<0.6").
    public var filters: [String] = []
    /// Trial ids to keep (empty = all) and to drop; ids are the trials table's (NWB `id`,
    /// `trials_id`, a struct's `id` field) or the row number from 0.
    public var keepTrials: [Int] = []
    public var dropTrials: [Int] = []
    /// MAT files: the struct array of trials (empty = the file's only struct array of trials)
    /// and its field holding each trial's spike times (a cell of one vector per unit).
    public var trialsVariable: String = ""
    public var spikesField: String = "spikes"
    /// Neurons whose split-half reliability (Spearman–Brown corrected) is below this are left
    /// out of the dataset (listed in the provenance); 0 keeps every neuron.
    public var minReliability: Double = 0
    /// Seed of the held-out condition draw (the only random choice).
    public var seed: UInt64 = 1
    /// Perturbation trials: where the perturbed units, kind, window and amplitude come from
    /// (nil = none: every trial is a control trial; absent from JSON).
    public var perturbation: PerturbationImportOptions? = nil

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
        if case .ms(let sd) = smoothMs {
            try need(sd >= 0 && sd.isFinite, "smoothMs must be ≥ 0 ms (0 = none) or \"auto\", got \(sd)")
        }
        try need(trainFraction > 0 && trainFraction <= 1, "trainFraction must be in (0, 1], got \(trainFraction)")
        try need(inputs != .columns || !inputColumns.isEmpty, "inputs = columns needs at least one name in inputColumns")
        try need(inputs != .angle || !angleColumn.isEmpty, "inputs = angle needs angleColumn (--angle-column NAME with the angle of each trial, and --angle-unit deg or rad)")
        try need(minReliability >= 0 && minReliability <= 1, "minReliability must be in [0, 1], got \(minReliability)")
        try need(!spikesField.isEmpty, "spikesField must name a field of the trials struct")
        for filter in filters { _ = try TrialFilter(parsing: filter) }
        let both = Set(keepTrials).intersection(dropTrials)
        try need(both.isEmpty, "trial ids \(both.sorted().map(String.init).joined(separator: ", ")) are both kept and dropped")
        if let perturbation {
            try perturbation.validate()
            try need(!singleTrials, "perturbation trials are imported as condition averages (perturbed_recorded [P, C, T, M]); leave out singleTrials")
        }
    }
}

/// A smoothing width: a fixed SD in ms (0 = none), or chosen from the data (`auto`). In JSON a
/// number of ms or the string "auto".
public enum SmoothingWidth: Codable, Equatable, Sendable, CustomStringConvertible {
    case auto
    case ms(Double)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard text.lowercased() == "auto" else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number of ms or \"auto\", got \"\(text)\"")
            }
            self = .auto
        } else {
            self = .ms(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .auto: try container.encode("auto")
        case .ms(let value): try container.encode(value)
        }
    }

    /// "auto" or "20 ms".
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .ms(let value): return "\(value) ms"
        }
    }
}
