import CircuitFitCore

/// How an imported dataset was made: the source, every option (defaults included) and every
/// choice the importer took, for `config.json`. Label strings of the conditions live here (the
/// dataset's `conditions` array holds numbers).
public struct ImportProvenance: Codable, Equatable, Sendable {
    /// A behavioural series used for the targets.
    public struct Behavior: Codable, Equatable, Sendable {
        public var name: String
        /// Where it was found in the file.
        public var location: String
        public var channels: Int
        /// Unit of the values, when the file says.
        public var unit: String
        /// "regular, 100 Hz from 0 s" or "13498 timestamps".
        public var sampling: String
        /// Target channels it filled, e.g. [0, 1].
        public var targetChannels: [Int]
    }

    /// A neuron left out because its split-half reliability was below `minReliability`.
    public struct DroppedNeuron: Codable, Equatable, Sendable {
        public var unitID: Int
        /// nil when undefined (no variance, or no condition with two trials).
        public var reliability: Double?
    }

    /// One candidate of the automatic smoothing width.
    public struct SmoothingCandidate: Codable, Equatable, Sendable {
        public var sdMs: Double
        /// Mean squared error (Hz²) of predicting one half of the trials' unsmoothed PSTH from
        /// the other half's smoothed one.
        public var crossValidationMSE: Double
    }

    /// A trial left out, and why.
    public struct ExcludedTrial: Codable, Equatable, Sendable {
        /// Row of the trials table (0-based).
        public var trial: Int
        /// The trial's id (NWB trials `id`, `trials_id`, a struct's `id` field, else the row).
        public var id: Int
        public var reason: String
    }

    public var circuitfitVersion: String = CircuitFitVersion.string
    /// The recording's path and format ("NWB 2.x", "MAT v5", "MAT v7.3", "NPZ").
    public var source: String
    public var format: String
    /// How the file laid out the recording ("flat named arrays …", "struct array 'trials' …").
    public var layout: String
    public var options: ImportOptions

    /// Unit ids, in the order of `recorded`'s last axis (also the dataset's `neuron_ids`).
    public var unitIDs: [Int]
    /// Spike times that were NaN or ±Inf and were left out of the binning (0 normally; e.g. the
    /// NaN padding of a MATLAB matrix of spike times).
    public var nonFiniteSpikeTimesDropped: Int = 0
    /// Number of rows in the trials table, and those used and left out.
    public var trialsInFile: Int
    public var trialsUsed: Int
    public var excludedTrials: [ExcludedTrial]

    /// Condition labels as text, in dataset order (one per condition, whatever `singleTrials`).
    public var conditionLabels: [String]
    /// true when the condition column is numeric (the dataset's `conditions` are the labels);
    /// false when it holds strings (the dataset's `conditions` are indices into
    /// `sortedColumnLabels`).
    public var conditionColumnIsNumeric: Bool
    /// Every distinct label of the condition column, sorted (string columns only; else empty).
    public var sortedColumnLabels: [String]
    /// Trials averaged into each condition, in dataset order.
    public var trialsPerCondition: [Int]
    /// "condition averages (PSTHs)" or "single trials".
    public var rows: String
    /// For single trials: the trials-table row behind each dataset row; else empty.
    public var rowTrials: [Int]
    /// Each dataset row's condition, as an index into `conditionLabels`.
    public var rowConditions: [Int]

    /// The time grid: `bins` bins of `dtMs` ms starting `windowStartMs` ms from the event;
    /// `goIndex` is the first bin that starts at or after the event.
    public var bins: Int
    public var dtMs: Double
    public var windowStartMs: Double
    public var goIndex: Int
    /// How spikes, rates, smoothing and averaging were done, in words.
    public var binning: String
    public var rates: String
    public var smoothing: String
    /// The smoothing SD used, ms (0 = none): the option's, or the one chosen automatically.
    public var smoothingMs: Double
    /// With automatic smoothing, every candidate and its cross-validation error; else empty.
    public var smoothingCandidates: [SmoothingCandidate]
    public var averaging: String

    /// Each kept neuron's split-half reliability (Spearman–Brown), in `unitIDs` order (null where
    /// undefined); how it was computed; trials in each half of each condition ([odd, even]).
    public var reliability: [Double?]
    public var reliabilityRule: String
    public var trialsPerHalf: [[Int]]
    /// Units flagged unreliable (reliability below 0.5, or undefined), and units left out by
    /// `minReliability`.
    public var unreliableUnits: [Int]
    public var droppedUnits: [DroppedNeuron]

    public var behavior: [Behavior]
    /// "linear interpolation at bin centres…".
    public var behaviorResampling: String
    /// Names of the target and input channels, in order.
    public var targetChannels: [String]
    public var inputChannels: [String]
    public var inputRule: String
    /// Where `angles` came from.
    public var angles: String

    /// Labels of the training and held-out conditions, and how they were chosen.
    public var trainConditions: [String]
    public var heldOutConditions: [String]
    public var split: String

    /// The perturbation trials found and how they were read (nil = none asked for; absent from
    /// JSON). With them, `trialsUsed` counts control and perturbation trials, and
    /// `trialsPerCondition` / the reliability count control trials only.
    public var perturbations: PerturbationRecord? = nil
    /// OptogeneticSeries the file has but no option asked for (nil when none; absent from JSON):
    /// their lit trials were imported as control trials.
    public var optogeneticSeriesNotUsed: [String]? = nil

    /// How `import` read a recording's perturbation trials, and the sets it found.
    public struct PerturbationRecord: Codable, Equatable, Sendable {
        /// One perturbation set, in dataset order (`perturbation_*` arrays).
        public struct SetRecord: Codable, Equatable, Sendable {
            /// The perturbed units' ids, and their columns of `recorded` (`perturbation_neurons`).
            public var unitIDs: [Int]
            public var neurons: [Int]
            public var kind: PerturbationKind
            /// [start, end) ms from the alignment event (bin edges), and in bins.
            public var windowMs: [Double]
            public var windowBins: [Int]
            public var amplitudeHz: Double
            /// false = held out (`perturbation_train` = 0).
            public var training: Bool
            /// Trials averaged into the set's PSTH of each condition.
            public var trialsPerCondition: [Int]
            /// OptogeneticSeries: the lowest and highest mean light power of its trials, W; else [].
            public var powerW: [Double]
        }
        /// Where units and windows came from, in words.
        public var source: String
        public var kindRule: String
        public var windowRule: String
        public var amplitudeRule: String
        public var heldOutRule: String
        public var missingRule: String
        public var controlTrials: Int
        public var perturbedTrials: Int
        /// The largest move of a window edge onto a bin edge, ms.
        public var largestWindowShiftMs: Double
        /// Trials whose window ended after the imported window and was cut there.
        public var windowsCutAtEnd: Int
        /// OptogeneticSeries: its stimulus intervals, and those beginning in no trial.
        public var stimulusIntervals: Int?
        public var intervalsOutsideTrials: Int?
        public var sets: [SetRecord]
    }
}

/// `DATASET.provenance.json`: what was imported, by which version, with every choice made.
public struct ImportRecord: Codable, Sendable {
    public var circuitfitVersion = CircuitFitVersion.string
    public var command = "import"
    public var source: String
    public var dataset: String
    public var provenance: ImportProvenance

    public init(source: String, dataset: String, provenance: ImportProvenance) {
        self.source = source
        self.dataset = dataset
        self.provenance = provenance
    }

    enum CodingKeys: String, CodingKey {
        case circuitfitVersion = "circuitfit_version"
        case command
        case source
        case dataset
        case provenance
    }
}
