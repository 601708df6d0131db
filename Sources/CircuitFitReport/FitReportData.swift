import CircuitFitCore

/// Everything the report of one fit shows, as plain values (the fitting code fills it,
/// `FitReportHTML` renders it): the scores beside their floors and ceilings, the loss curves,
/// example neurons, the outputs of every condition, the canonical correlations one by one and
/// the trajectories aligned to the data's. Like `ExperimentReport`, it round-trips through JSON
/// and renders to the same bytes every time.
public struct FitReport: Codable, Sendable, Equatable {
    public var title: String
    public var version: String
    /// When the report was made, as the caller formats it (not read from the clock here).
    public var created: String
    /// Free-text warnings shown near the top (unseen inputs, unreliable neurons…).
    public var notes: [String]
    /// The scores, one row each: (what, model, untrained, ceiling, normalised), as text.
    public var scores: [ScoreRow]
    public var losses: LossCurves?
    /// Example neurons: the best, median and worst held-out and recorded ones.
    public var neurons: [NeuronExample]
    /// Outputs against targets on every condition.
    public var outputs: [ConditionOutputs]
    public var canonicalCorrelations: CanonicalCorrelations?
    public var overlays: [TrajectoryOverlay]
    public var configuration: [ConfigurationEntry]

    public init(
        title: String, version: String = CircuitFitVersion.string, created: String, notes: [String] = [],
        scores: [ScoreRow] = [], losses: LossCurves? = nil, neurons: [NeuronExample] = [], outputs: [ConditionOutputs] = [],
        canonicalCorrelations: CanonicalCorrelations? = nil, overlays: [TrajectoryOverlay] = [], configuration: [ConfigurationEntry] = []
    ) {
        self.title = title; self.version = version; self.created = created; self.notes = notes; self.scores = scores
        self.losses = losses; self.neurons = neurons; self.outputs = outputs; self.canonicalCorrelations = canonicalCorrelations
        self.overlays = overlays; self.configuration = configuration
    }
}

/// One row of the scores table; columns that do not apply are nil (shown as "—").
public struct ScoreRow: Codable, Sendable, Equatable {
    public var metric: String
    public var model: Double?
    public var untrained: Double?
    public var ceiling: Double?
    public var normalized: Double?
    public init(metric: String, model: Double?, untrained: Double? = nil, ceiling: Double? = nil, normalized: Double? = nil) {
        self.metric = metric; self.model = model; self.untrained = untrained; self.ceiling = ceiling; self.normalized = normalized
    }
}

/// The losses of `history.csv` against the iteration.
public struct LossCurves: Codable, Sendable, Equatable {
    public var iterations: [Double]
    /// E.g. ("total", …), ("task", …), ("neural", …), ("validation", …); NaN where absent.
    public var series: [LabelledSeries]
    public init(iterations: [Double], series: [LabelledSeries]) { self.iterations = iterations; self.series = series }
}

/// One neuron's rates against the model's prediction, condition by condition.
public struct NeuronExample: Codable, Sendable, Equatable {
    /// E.g. "held-out neuron, unit 205: best".
    public var title: String
    /// R² of the prediction on the conditions shown and its noise ceiling (nil when unknown).
    public var r2: Double?
    public var ceiling: Double?
    /// Unit of the rates, e.g. "Hz".
    public var unit: String
    public var timesMs: [Double]
    public var goTimeMs: Double?
    public var conditions: [NeuronCondition]
    public init(title: String, r2: Double?, ceiling: Double?, unit: String, timesMs: [Double], goTimeMs: Double?, conditions: [NeuronCondition]) {
        self.title = title; self.r2 = r2; self.ceiling = ceiling; self.unit = unit; self.timesMs = timesMs
        self.goTimeMs = goTimeMs; self.conditions = conditions
    }
}

/// A neuron's data and the model's prediction on one condition.
public struct NeuronCondition: Codable, Sendable, Equatable {
    public var angle: Double
    public var data: [Double]
    public var model: [Double]
    public init(angle: Double, data: [Double], model: [Double]) { self.angle = angle; self.data = data; self.model = model }
}

/// The outputs of one condition: each channel's target and the model's output.
public struct ConditionOutputs: Codable, Sendable, Equatable {
    public var condition: String
    public var heldOut: Bool
    public var timesMs: [Double]
    public var goTimeMs: Double?
    public var valueLabel: String
    public var channels: [MuscleTrace]
    public init(condition: String, heldOut: Bool, timesMs: [Double], goTimeMs: Double?, valueLabel: String, channels: [MuscleTrace]) {
        self.condition = condition; self.heldOut = heldOut; self.timesMs = timesMs; self.goTimeMs = goTimeMs
        self.valueLabel = valueLabel; self.channels = channels
    }
}

/// The canonical correlations with the population, one by one, for the model and the untrained
/// network of the same seed.
public struct CanonicalCorrelations: Codable, Sendable, Equatable {
    public var model: [Double]
    public var untrained: [Double]?
    /// E.g. "recorded neurons (30), training conditions".
    public var population: String
    public init(model: [Double], untrained: [Double]?, population: String) {
        self.model = model; self.untrained = untrained; self.population = population
    }
}
