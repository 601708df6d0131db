import CircuitFitCore

/// Everything the report page shows, as plain values: the experiment code fills it, `HTMLReport`
/// renders it, and it round-trips through JSON (so a report can be re-rendered from `report.json`).
///
/// Every list is rendered in the order given; nothing is sorted by a hash, so the same value always
/// renders to the same bytes. Non-finite numbers (NaN, ±Inf) are allowed anywhere: they are skipped
/// in the figures and listed in the captions. (Foundation's JSONEncoder refuses NaN unless given a
/// `nonConformingFloatEncodingStrategy`, e.g. `.convertToString(positiveInfinity: "inf",
/// negativeInfinity: "-inf", nan: "nan")`, with the same strategy on the decoder.)
public struct ExperimentReport: Codable, Sendable, Equatable {
    public var title: String
    /// CircuitFit's version string (`CircuitFitVersion.string`).
    public var version: String
    /// When the report was made, as the caller formats it (e.g. ISO 8601). Not read from the clock
    /// here, so that rendering is deterministic.
    public var created: String
    /// Wall-clock time of the whole experiment, seconds (nil = not known).
    public var wallTimeSeconds: Double?
    /// The full configuration, in display order (shown as a two-column table).
    public var configuration: [ConfigurationEntry]
    /// The command that produced the results, as typed.
    public var commandLine: String

    /// Similarity (and error) against the number of recorded neurons M: one curve per arm, λ and
    /// metric. One figure per metric, one panel per arm, one line per λ.
    public var curves: [SimilarityCurve]
    /// Per-metric display settings and the untrained-network floor. A metric that appears in
    /// `curves` but not here is drawn on a linear axis without a floor.
    public var metrics: [MetricInfo]
    /// The paper's claims with their statistics (Table 1).
    public var claims: [ClaimResult]
    /// Example outputs against their targets (one figure each).
    public var traces: [OutputTraces]
    /// Top-3 PC trajectories of the circuit and of models, each on its own axes (one figure, one
    /// row per system).
    public var trajectories: [TrajectorySet]
    /// Model trajectories aligned to the circuit's and drawn over them (one figure, one row per model).
    public var overlays: [TrajectoryOverlay]
    /// Eigenvalue spectra (one figure, one panel per spectrum).
    public var spectra: [EigenvalueSpectrum]
    /// Free-text remarks shown near the top of the page (e.g. "claim 3 does not hold").
    public var notes: [String]
    /// The share of fits that converged, per cell (empty: not shown).
    public var convergence: [ConvergenceShare]
    /// Perturbation effects of the mechanism audit, predicted against true (one panel each).
    public var perturbations: [PerturbationScatter] = []
    /// Held-out perturbation sets' output R² against the number of training sets P (one curve per arm and M).
    public var perturbationGain: [PerturbationGainCurve] = []
    /// Held-out perturbation sets' effects, predicted against true (one panel per fit).
    public var heldOutPerturbations: [PerturbationScatter] = []

    public init(
        title: String, version: String = CircuitFitVersion.string, created: String,
        wallTimeSeconds: Double? = nil, configuration: [ConfigurationEntry] = [], commandLine: String = "",
        curves: [SimilarityCurve] = [], metrics: [MetricInfo] = [], claims: [ClaimResult] = [],
        traces: [OutputTraces] = [], trajectories: [TrajectorySet] = [], overlays: [TrajectoryOverlay] = [],
        spectra: [EigenvalueSpectrum] = [], notes: [String] = [], convergence: [ConvergenceShare] = []
    ) {
        self.title = title; self.version = version; self.created = created
        self.wallTimeSeconds = wallTimeSeconds; self.configuration = configuration
        self.commandLine = commandLine; self.curves = curves; self.metrics = metrics
        self.claims = claims; self.traces = traces; self.trajectories = trajectories; self.overlays = overlays
        self.spectra = spectra; self.notes = notes; self.convergence = convergence
    }
}

extension ExperimentReport {
    /// Reads reports written before `overlays` and `convergence` existed.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = try c.decode(String.self, forKey: .title)
        version = try c.decode(String.self, forKey: .version)
        created = try c.decode(String.self, forKey: .created)
        wallTimeSeconds = try c.decodeIfPresent(Double.self, forKey: .wallTimeSeconds)
        configuration = try c.decode([ConfigurationEntry].self, forKey: .configuration)
        commandLine = try c.decode(String.self, forKey: .commandLine)
        curves = try c.decode([SimilarityCurve].self, forKey: .curves)
        metrics = try c.decode([MetricInfo].self, forKey: .metrics)
        claims = try c.decode([ClaimResult].self, forKey: .claims)
        traces = try c.decode([OutputTraces].self, forKey: .traces)
        trajectories = try c.decode([TrajectorySet].self, forKey: .trajectories)
        overlays = try c.decodeIfPresent([TrajectoryOverlay].self, forKey: .overlays) ?? []
        spectra = try c.decode([EigenvalueSpectrum].self, forKey: .spectra)
        notes = try c.decode([String].self, forKey: .notes)
        convergence = try c.decodeIfPresent([ConvergenceShare].self, forKey: .convergence) ?? []
        perturbations = try c.decodeIfPresent([PerturbationScatter].self, forKey: .perturbations) ?? []
        perturbationGain = try c.decodeIfPresent([PerturbationGainCurve].self, forKey: .perturbationGain) ?? []
        heldOutPerturbations = try c.decodeIfPresent([PerturbationScatter].self, forKey: .heldOutPerturbations) ?? []
    }

    private enum CodingKeys: String, CodingKey {
        case title, version, created, wallTimeSeconds, configuration, commandLine, curves, metrics, claims, traces, trajectories, overlays, spectra, notes, convergence, perturbations, perturbationGain, heldOutPerturbations
    }
}

/// One fit's perturbation test: for every perturbed set, the size of the true change in the
/// circuit's muscles against the model's predicted change (both ‖Δz‖ over conditions, movement
/// steps and muscles, in the outputs' units), grouped by kind and type.
public struct PerturbationScatter: Codable, Sendable, Equatable {
    /// E.g. "plain arm, λ = 1, M = 20, seed 1 (tied units)".
    public var label: String
    public var points: [PerturbationPoint]
    /// The fit's muscle R² of predicted against true effects, mean over the groups.
    public var muscleR2: Double?
    public init(label: String, points: [PerturbationPoint], muscleR2: Double?) {
        self.label = label; self.points = points; self.muscleR2 = muscleR2
    }
}

/// One perturbed set in a `PerturbationScatter`.
public struct PerturbationPoint: Codable, Sendable, Equatable {
    /// "silence E", "stimulate I", …: one marker style each.
    public var group: String
    public var trueEffect: Double
    public var predictedEffect: Double
    public init(group: String, trueEffect: Double, predictedEffect: Double) {
        self.group = group; self.trueEffect = trueEffect; self.predictedEffect = predictedEffect
    }
}

/// One row of the configuration table.
public struct ConfigurationEntry: Codable, Sendable, Equatable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

/// One metric's curve for one arm and one λ: summaries over seeds at each M.
public struct SimilarityCurve: Codable, Sendable, Equatable {
    /// The training arm, e.g. "plain" or "priors" (one panel per arm, in order of appearance).
    public var arm: String
    /// Weight of the neural term (one line per λ, styled by its rank among the λ values).
    public var lambda: Double
    /// Metric name with its unit, e.g. "Procrustes angular distance (rad)": the y-axis label.
    public var metric: String
    public var points: [CurvePoint]
    public init(arm: String, lambda: Double, metric: String, points: [CurvePoint]) {
        self.arm = arm; self.lambda = lambda; self.metric = metric; self.points = points
    }
}

/// A metric's summary over seeds at one number of recorded neurons.
public struct CurvePoint: Codable, Sendable, Equatable {
    /// Number of recorded neurons M (0 = no neural data).
    public var recorded: Int
    public var median: Double
    /// 25th percentile over seeds.
    public var lowerQuartile: Double
    /// 75th percentile over seeds.
    public var upperQuartile: Double
    /// Number of seeds the summary is over.
    public var seeds: Int
    /// Every seed's value (drawn as points; nil = not given).
    public var values: [Double]?
    public init(recorded: Int, median: Double, lowerQuartile: Double, upperQuartile: Double, seeds: Int, values: [Double]? = nil) {
        self.recorded = recorded; self.median = median
        self.lowerQuartile = lowerQuartile; self.upperQuartile = upperQuartile; self.seeds = seeds; self.values = values
    }
}

/// How one metric is drawn, and the score of an untrained network on it.
public struct MetricInfo: Codable, Sendable, Equatable {
    public enum Direction: String, Codable, Sendable { case higherIsBetter, lowerIsBetter }
    public enum Scale: String, Codable, Sendable { case linear, log }
    /// Must equal `SimilarityCurve.metric`.
    public var metric: String
    /// Untrained-network value (median over seeds), drawn as a dashed horizontal line in every arm
    /// that has no entry in `armFloors`.
    public var untrainedFloor: Double?
    /// Untrained-network value per arm (priors change even an untrained network), overriding
    /// `untrainedFloor` for the arms listed.
    public var armFloors: [ArmFloor]
    public var direction: Direction?
    /// y-axis scale; `.log` skips values ≤ 0 (listed in the caption).
    public var scale: Scale
    /// The task-only networks (λ = 0) of each arm, pooled over M: drawn as one reference band
    /// instead of a curve over M (their training does not depend on M).
    public var taskOnly: [TaskOnlyReference]
    public init(
        metric: String, untrainedFloor: Double? = nil, armFloors: [ArmFloor] = [],
        direction: Direction? = nil, scale: Scale = .linear, taskOnly: [TaskOnlyReference] = []
    ) {
        self.metric = metric; self.untrainedFloor = untrainedFloor; self.armFloors = armFloors
        self.direction = direction; self.scale = scale; self.taskOnly = taskOnly
    }
}

extension MetricInfo {
    /// Reads reports written before `taskOnly` existed (no key: no reference band).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decode(String.self, forKey: .metric)
        untrainedFloor = try c.decodeIfPresent(Double.self, forKey: .untrainedFloor)
        armFloors = try c.decode([ArmFloor].self, forKey: .armFloors)
        direction = try c.decodeIfPresent(Direction.self, forKey: .direction)
        scale = try c.decode(Scale.self, forKey: .scale)
        taskOnly = try c.decodeIfPresent([TaskOnlyReference].self, forKey: .taskOnly) ?? []
    }

    private enum CodingKeys: String, CodingKey { case metric, untrainedFloor, armFloors, direction, scale, taskOnly }
}

/// The median and IQR of a metric over every task-only (λ = 0) fit of one arm.
public struct TaskOnlyReference: Codable, Sendable, Equatable {
    public var arm: String
    public var median: Double
    public var lowerQuartile: Double
    public var upperQuartile: Double
    /// Number of task-only fits (one per seed) and of values pooled (each fit scored at every M,
    /// whose held-out neurons differ).
    public var fits: Int
    public var values: Int
    public init(arm: String, median: Double, lowerQuartile: Double, upperQuartile: Double, fits: Int, values: Int? = nil) {
        self.arm = arm; self.median = median; self.lowerQuartile = lowerQuartile; self.upperQuartile = upperQuartile
        self.fits = fits; self.values = values ?? fits
    }
}

/// An untrained network's score in one arm.
public struct ArmFloor: Codable, Sendable, Equatable {
    public var arm: String
    public var value: Double
    public init(arm: String, value: Double) { self.arm = arm; self.value = value }
}

/// One claim of the paper and whether the numbers support it.
public struct ClaimResult: Codable, Sendable, Equatable {
    /// Short id, e.g. "1" or "1-priors".
    public var id: String
    public var statement: String
    /// The numbers behind the claim, free text (e.g. "CCA 0.81 (λ = 0) vs 0.94 (λ = 1) at M = 20").
    public var numbers: String
    /// Spread over seeds, free text (e.g. "Δ = 0.12 [0.08, 0.15]").
    public var medianIQR: String
    /// The paired test and its statistic, free text (e.g. "Wilcoxon W+ = 55, n = 10, exact").
    public var testStatistic: String
    /// nil when no test applies.
    public var pValue: Double?
    public var holds: Bool
    /// The verdict in words: "holds", "does not hold" or "undecided".
    public var verdict: String
    /// Each condition of the claim with its own number and verdict, e.g. "similarity ✓ p = 0.031".
    public var conditions: [String]
    /// Why the claim is undecided or does not hold (empty when it holds).
    public var reason: String
    public init(
        id: String, statement: String, numbers: String, medianIQR: String, testStatistic: String,
        pValue: Double?, holds: Bool, verdict: String? = nil, conditions: [String] = [], reason: String = ""
    ) {
        self.id = id; self.statement = statement; self.numbers = numbers; self.medianIQR = medianIQR
        self.testStatistic = testStatistic; self.pValue = pValue; self.holds = holds
        self.verdict = verdict ?? (holds ? "holds" : "does not hold")
        self.conditions = conditions; self.reason = reason
    }
}

/// How many fits of one cell (arm, λ, M) met the convergence criterion.
public struct ConvergenceShare: Codable, Sendable, Equatable {
    public var arm: String
    public var lambda: Double
    public var recorded: Int
    public var converged: Int
    public var fits: Int
    /// Training perturbation sets P of these fits (nil: none, or a plan without them).
    public var perturbationSets: Int? = nil
    public init(arm: String, lambda: Double, recorded: Int, converged: Int, fits: Int, perturbationSets: Int? = nil) {
        self.arm = arm; self.lambda = lambda; self.recorded = recorded; self.converged = converged; self.fits = fits
        self.perturbationSets = perturbationSets
    }
}

/// Held-out perturbation output R² against the number of training perturbation sets P, for the
/// fits of one arm, λ and M.
public struct PerturbationGainCurve: Codable, Sendable, Equatable {
    public var arm: String
    public var lambda: Double
    /// Recorded neurons M.
    public var recorded: Int
    public var points: [PerturbationGainPoint]
    public init(arm: String, lambda: Double, recorded: Int, points: [PerturbationGainPoint]) {
        self.arm = arm; self.lambda = lambda; self.recorded = recorded; self.points = points
    }
}

/// One P of a `PerturbationGainCurve`: median and quartiles over seeds, and every seed's value.
public struct PerturbationGainPoint: Codable, Sendable, Equatable {
    public var sets: Int
    public var median: Double
    public var lowerQuartile: Double
    public var upperQuartile: Double
    public var seeds: Int
    public var values: [Double]
    public init(sets: Int, median: Double, lowerQuartile: Double, upperQuartile: Double, seeds: Int, values: [Double]) {
        self.sets = sets; self.median = median; self.lowerQuartile = lowerQuartile; self.upperQuartile = upperQuartile
        self.seeds = seeds; self.values = values
    }
}

/// Model outputs against the targets on one condition: one panel per muscle.
public struct OutputTraces: Codable, Sendable, Equatable {
    /// E.g. "held-out condition, reach angle 22.5°".
    public var condition: String
    /// Time of every sample, ms (go cue at `goTimeMs`).
    public var timesMs: [Double]
    public var goTimeMs: Double?
    /// y-axis label with unit, e.g. "muscle output (a.u.)".
    public var valueLabel: String
    public var muscles: [MuscleTrace]
    public init(condition: String, timesMs: [Double], goTimeMs: Double?, valueLabel: String, muscles: [MuscleTrace]) {
        self.condition = condition; self.timesMs = timesMs; self.goTimeMs = goTimeMs
        self.valueLabel = valueLabel; self.muscles = muscles
    }
}

/// One muscle: its target and one or more model outputs, each as long as `timesMs`.
public struct MuscleTrace: Codable, Sendable, Equatable {
    public var name: String
    public var target: [Double]
    public var outputs: [LabelledSeries]
    public init(name: String, target: [Double], outputs: [LabelledSeries]) {
        self.name = name; self.target = target; self.outputs = outputs
    }
}

/// A named sequence of values, e.g. ("λ = 1, M = 20", outputs).
public struct LabelledSeries: Codable, Sendable, Equatable {
    public var label: String
    public var values: [Double]
    public init(label: String, values: [Double]) { self.label = label; self.values = values }
}

/// One system's population trajectories in its own top-3 PC space.
public struct TrajectorySet: Codable, Sendable, Equatable {
    /// E.g. "circuit" or "model, λ = 1, M = 20".
    public var label: String
    /// Unit of the PC scores, e.g. "Hz" (circuit rates) or "a.u." (model tanh units).
    public var unit: String
    /// Fraction of variance explained by PC1, PC2, PC3 (optional; shown in the axis labels).
    public var varianceExplained: [Double]?
    public var conditions: [ConditionTrajectory]
    public init(label: String, unit: String, varianceExplained: [Double]? = nil, conditions: [ConditionTrajectory]) {
        self.label = label; self.unit = unit; self.varianceExplained = varianceExplained
        self.conditions = conditions
    }
}

/// One condition's trajectory: points in time order, each (pc1, pc2, pc3).
public struct ConditionTrajectory: Codable, Sendable, Equatable {
    /// Reach angle, radians: sets the colour (cyclic map).
    public var angle: Double
    /// Held-out conditions are drawn dashed.
    public var heldOut: Bool
    public var points: [PCPoint]
    public init(angle: Double, heldOut: Bool = false, points: [PCPoint]) {
        self.angle = angle; self.heldOut = heldOut; self.points = points
    }
}

/// Scores on the top three principal components.
public struct PCPoint: Codable, Sendable, Equatable {
    public var pc1: Double, pc2: Double, pc3: Double
    public init(_ pc1: Double, _ pc2: Double, _ pc3: Double) { self.pc1 = pc1; self.pc2 = pc2; self.pc3 = pc3 }
}

/// Eigenvalues of a linear(ised) system, drawn in the complex plane with the stability line Re = 0.
public struct EigenvalueSpectrum: Codable, Sendable, Equatable {
    /// E.g. "circuit: W − I" or "model (λ = 1, M = 20): linearisation at the go state".
    public var label: String
    /// Unit of the eigenvalues for the axis labels, e.g. "1/τ".
    public var unit: String
    public var eigenvalues: [ComplexValue]
    public init(label: String, unit: String, eigenvalues: [ComplexValue]) {
        self.label = label; self.unit = unit; self.eigenvalues = eigenvalues
    }
}

/// A complex number (real, imaginary).
public struct ComplexValue: Codable, Sendable, Equatable {
    public var re: Double, im: Double
    public init(_ re: Double, _ im: Double) { self.re = re; self.im = im }
}

/// A model's population trajectories mapped into the circuit's (or the recorded population's)
/// top principal components by an alignment fitted on the training conditions, to be drawn over
/// the circuit's own: where the model's dynamics match, its curves lie on the circuit's.
public struct TrajectoryOverlay: Codable, Sendable, Equatable {
    /// E.g. "model, λ = 1, M = 20".
    public var label: String
    /// E.g. "circuit (200 neurons)".
    public var reference: String
    /// Unit of the reference's PC scores, e.g. "Hz".
    public var unit: String
    /// How the model was aligned, in words.
    public var alignment: String
    /// Fraction of the reference's variance (in its top-k PCs) the aligned model explains, on
    /// training and on held-out conditions.
    public var alignedR2Train: Double?
    public var alignedR2HeldOut: Double?
    /// Fraction of variance of the reference explained by PC1, PC2, PC3.
    public var varianceExplained: [Double]?
    public var conditions: [OverlayCondition]
    public init(label: String, reference: String, unit: String, alignment: String, alignedR2Train: Double? = nil, alignedR2HeldOut: Double? = nil, varianceExplained: [Double]? = nil, conditions: [OverlayCondition]) {
        self.label = label; self.reference = reference; self.unit = unit; self.alignment = alignment
        self.alignedR2Train = alignedR2Train; self.alignedR2HeldOut = alignedR2HeldOut
        self.varianceExplained = varianceExplained; self.conditions = conditions
    }
}

/// One condition of an overlay: the reference's and the aligned model's points, in time order.
public struct OverlayCondition: Codable, Sendable, Equatable {
    public var angle: Double
    public var heldOut: Bool
    public var reference: [PCPoint]
    public var model: [PCPoint]
    public init(angle: Double, heldOut: Bool, reference: [PCPoint], model: [PCPoint]) {
        self.angle = angle; self.heldOut = heldOut; self.reference = reference; self.model = model
    }
}
