import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// Everything one fit of a model RNN to a dataset is set by (docs/method.md): the model, which
/// neurons are recorded, the objective and the optimiser. Recorded in every fit's `config.json`;
/// loadable from JSON with `ConfigFile` (unknown keys are errors).
public struct FitConfig: Codable, Equatable, Sendable {
    // Model
    /// Model units H.
    public var hidden: Int = 200
    /// Model time constant τ, ms (α = dt/τ with dt from the dataset).
    public var tauMs: Double = 50
    /// Initial recurrent gain g: J ~ N(0, g²/H).
    public var gain: Double = 1.2
    /// Dale's law in the model: the first round(excitatoryFraction·H) units excitatory, the rest
    /// inhibitory; each recorded neuron tied to a unit of its own type (needs the dataset's
    /// `excitatory` array).
    public var dale: Bool = false
    public var excitatoryFraction: Double = 0.5
    /// No self-connections in the model.
    public var noAutapses: Bool = false
    /// Recurrent noise σ (0 = off), seeded by `seed`.
    public var noiseSD: Double = 0
    /// Learn the initial state h0 (shared by all conditions); otherwise h0 = 0.
    public var learnInitialState: Bool = false
    /// Parameter blocks kept fixed at their initial values (names: J, B, b, C, d, h0, D, e).
    public var freeze: [String] = []

    // Recordings
    /// M, the number of recorded neurons drawn (by `seed`) from the dataset's neurons.
    public var record: Int = 20
    /// An explicit list of recorded neuron indices (overrides `record` when not empty).
    public var recordNeurons: [Int] = []
    /// Draw recorded neurons only from excitatory neurons (needs the dataset's `excitatory`).
    public var recordExcitatoryOnly: Bool = false
    public var mapping: NeuralMapping = .identity
    public var normalization: RateNormalization = .maxAbs

    // Objective
    /// λ, weight of the neural term (0 = task-only training).
    public var lambda: Double = 1
    public var betaJ: Double = 0
    public var betaIn: Double = 0
    public var betaOut: Double = 0
    public var betaRate: Double = 0

    // Optimiser
    /// Which optimiser (docs/method.md#the-optimiser-and-stopping): Adam (default, with the warm-up and
    /// plateau schedule below), L-BFGS or Gauss-Newton-CG.
    public var optimizer: OptimizerKind = .adam
    /// The most optimiser updates; with `stopAtConvergence` the fit usually ends sooner.
    public var iterations: Int = 5000
    /// Stop as soon as the convergence criterion is met (off: run exactly `iterations` updates,
    /// still recording whether and when the criterion was met).
    public var stopAtConvergence: Bool = true
    /// The convergence criterion: over the last `convergenceWindow` updates the best loss fell by
    /// less than `convergenceTolerance` of itself plus `convergenceAbsoluteTolerance`
    /// (docs/method.md#convergence).
    public var convergenceWindow: Int = 200
    public var convergenceTolerance: Double = 1e-2
    public var convergenceAbsoluteTolerance: Double = 1e-5
    /// L-BFGS: number of curvature pairs kept.
    public var lbfgsHistory: Int = 20
    /// Adam: base learning rate, global gradient-norm clip (0 = off), exponential decay factor
    /// per iteration (1 = constant; `constant` schedule only) and linear warm-up iterations.
    public var learningRate: Double = 1e-2
    public var clipNorm: Double = 1
    public var learningRateDecay: Double = 1
    public var learningRateWarmup: Int = 200
    /// Adam: the learning-rate schedule after warm-up: constant (with `learningRateDecay`),
    /// cosine (to 1 % of the rate at `iterations`) or plateau (×`learningRatePlateauFactor`
    /// whenever the loss has not fallen 0.1 % below its best for `learningRatePlateauPatience`
    /// iterations).
    public var learningRateSchedule: LearningRateSchedule = .plateau
    public var learningRatePlateauPatience: Int = 100
    public var learningRatePlateauFactor: Double = 0.5
    /// Stop when the monitored loss (the validation loss with a validation split, else the
    /// training loss) has not improved by `earlyStoppingMinImprovement` (relative) for
    /// `earlyStoppingPatience` iterations. Off by default: the convergence criterion ends fits.
    public var earlyStopping: Bool = false
    public var earlyStoppingPatience: Int = 300
    public var earlyStoppingMinImprovement: Double = 1e-3
    /// Training conditions set aside (by `seed`) as a validation split; early stopping then
    /// monitors their loss.
    public var validationConditions: Int = 0
    /// Training angles removed from everything (task and neural terms) and scored separately:
    /// generalisation protocol (b) of docs/method.md#generalisation-protocols.
    public var excludeTrainingConditions: Int = 0
    /// Save a checkpoint every this many iterations (0 = never).
    public var checkpointEvery: Int = 500

    /// Seed of neuron sampling, model initialisation, validation split and noise.
    public var seed: UInt64 = 1

    public init() {}

    /// Adam's learning-rate schedules (`learningRateSchedule`).
    public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable {
        case constant, cosine, plateau
    }

    /// A one-line error for any value no fit can run with (dataset-independent checks).
    public func validate() throws {
        func need(_ ok: Bool, _ what: String) throws { if !ok { throw CircuitFitError("fit config: \(what)") } }
        try need(hidden >= 1, "hidden must be ≥ 1, got \(hidden)")
        try need(tauMs > 0, "tauMs must be > 0, got \(tauMs)")
        try need(gain >= 0 && gain.isFinite, "gain must be ≥ 0, got \(gain)")
        try need(excitatoryFraction > 0 && excitatoryFraction < 1, "excitatoryFraction must be in (0, 1), got \(excitatoryFraction)")
        try need(noiseSD >= 0 && noiseSD.isFinite, "noiseSD must be ≥ 0, got \(noiseSD)")
        try need(record >= 0, "record (M) must be ≥ 0, got \(record)")
        try need(lambda >= 0 && lambda.isFinite, "lambda must be ≥ 0, got \(lambda)")
        for (name, v) in [("betaJ", betaJ), ("betaIn", betaIn), ("betaOut", betaOut), ("betaRate", betaRate)] {
            try need(v >= 0 && v.isFinite, "\(name) must be ≥ 0, got \(v)")
        }
        try need(iterations >= 0, "iterations must be ≥ 0, got \(iterations)")
        try need(convergenceWindow >= 1, "convergenceWindow must be ≥ 1, got \(convergenceWindow)")
        try need(convergenceTolerance > 0 && convergenceTolerance.isFinite, "convergenceTolerance must be > 0, got \(convergenceTolerance)")
        try need(convergenceAbsoluteTolerance >= 0 && convergenceAbsoluteTolerance.isFinite, "convergenceAbsoluteTolerance must be ≥ 0, got \(convergenceAbsoluteTolerance)")
        try need(lbfgsHistory >= 1, "lbfgsHistory must be ≥ 1, got \(lbfgsHistory)")
        try need(learningRateWarmup >= 0, "learningRateWarmup must be ≥ 0, got \(learningRateWarmup)")
        try need(learningRatePlateauPatience >= 1, "learningRatePlateauPatience must be ≥ 1, got \(learningRatePlateauPatience)")
        try need(learningRatePlateauFactor > 0 && learningRatePlateauFactor < 1, "learningRatePlateauFactor must be in (0, 1), got \(learningRatePlateauFactor)")
        try need(!(optimizer != .adam && noiseSD > 0), "\(optimizer.rawValue) needs a deterministic objective, but noiseSD = \(noiseSD); use optimizer adam with recurrent noise")
        try need(learningRate > 0 && learningRate.isFinite, "learningRate must be > 0, got \(learningRate)")
        try need(clipNorm >= 0, "clipNorm must be ≥ 0, got \(clipNorm)")
        try need(learningRateDecay > 0 && learningRateDecay <= 1, "learningRateDecay must be in (0, 1], got \(learningRateDecay)")
        try need(earlyStoppingPatience >= 1, "earlyStoppingPatience must be ≥ 1")
        try need(validationConditions >= 0 && excludeTrainingConditions >= 0, "validationConditions and excludeTrainingConditions must be ≥ 0")
        try need(checkpointEvery >= 0, "checkpointEvery must be ≥ 0")
        for name in freeze where ParameterBlock(rawValue: name) == nil {
            try need(false, "freeze: unknown parameter block '\(name)' (blocks: \(ParameterBlock.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// The Adam schedule this configuration asks for.
    var adamDecay: LearningRateDecay {
        switch learningRateSchedule {
        case .constant: return learningRateDecay < 1 ? .exponential(factor: learningRateDecay) : .none
        case .cosine: return .cosine(over: max(iterations - learningRateWarmup, 1), floor: 0.01)
        case .plateau: return .plateau(factor: learningRatePlateauFactor, patience: learningRatePlateauPatience, threshold: 1e-3)
        }
    }

    /// The number of recorded neurons this configuration asks for.
    public var recordedCount: Int { recordNeurons.isEmpty ? record : recordNeurons.count }
}


extension FitConfig {
    /// Reads a fit configuration, also one written by circuitfit 0.1 (a fit's `config.json`, an
    /// experiment plan's `fit`): the optimiser settings 0.1 did not record are read as what 0.1
    /// did, Adam at a constant rate without warm-up that ran every iteration, so an old file says
    /// what its fit was (an experiment of 0.1 is still refused for running: `ExperimentFolder.load`).
    /// Every other key must be present.
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hidden = try c.decode(Int.self, forKey: .hidden)
        tauMs = try c.decode(Double.self, forKey: .tauMs)
        gain = try c.decode(Double.self, forKey: .gain)
        dale = try c.decode(Bool.self, forKey: .dale)
        excitatoryFraction = try c.decode(Double.self, forKey: .excitatoryFraction)
        noAutapses = try c.decode(Bool.self, forKey: .noAutapses)
        noiseSD = try c.decode(Double.self, forKey: .noiseSD)
        learnInitialState = try c.decode(Bool.self, forKey: .learnInitialState)
        freeze = try c.decode([String].self, forKey: .freeze)
        record = try c.decode(Int.self, forKey: .record)
        recordNeurons = try c.decode([Int].self, forKey: .recordNeurons)
        recordExcitatoryOnly = try c.decode(Bool.self, forKey: .recordExcitatoryOnly)
        mapping = try c.decode(NeuralMapping.self, forKey: .mapping)
        normalization = try c.decode(RateNormalization.self, forKey: .normalization)
        lambda = try c.decode(Double.self, forKey: .lambda)
        betaJ = try c.decode(Double.self, forKey: .betaJ)
        betaIn = try c.decode(Double.self, forKey: .betaIn)
        betaOut = try c.decode(Double.self, forKey: .betaOut)
        betaRate = try c.decode(Double.self, forKey: .betaRate)
        iterations = try c.decode(Int.self, forKey: .iterations)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        clipNorm = try c.decode(Double.self, forKey: .clipNorm)
        learningRateDecay = try c.decode(Double.self, forKey: .learningRateDecay)
        earlyStopping = try c.decode(Bool.self, forKey: .earlyStopping)
        earlyStoppingPatience = try c.decode(Int.self, forKey: .earlyStoppingPatience)
        earlyStoppingMinImprovement = try c.decode(Double.self, forKey: .earlyStoppingMinImprovement)
        validationConditions = try c.decode(Int.self, forKey: .validationConditions)
        excludeTrainingConditions = try c.decode(Int.self, forKey: .excludeTrainingConditions)
        checkpointEvery = try c.decode(Int.self, forKey: .checkpointEvery)
        seed = try c.decode(UInt64.self, forKey: .seed)
        // new in 0.2: absent means 0.1's behaviour
        let written01 = !c.contains(.optimizer)
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? .adam
        stopAtConvergence = try c.decodeIfPresent(Bool.self, forKey: .stopAtConvergence) ?? !written01
        learningRateWarmup = try c.decodeIfPresent(Int.self, forKey: .learningRateWarmup) ?? (written01 ? 0 : learningRateWarmup)
        learningRateSchedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .learningRateSchedule) ?? (written01 ? .constant : learningRateSchedule)
        learningRatePlateauPatience = try c.decodeIfPresent(Int.self, forKey: .learningRatePlateauPatience) ?? learningRatePlateauPatience
        learningRatePlateauFactor = try c.decodeIfPresent(Double.self, forKey: .learningRatePlateauFactor) ?? learningRatePlateauFactor
        convergenceWindow = try c.decodeIfPresent(Int.self, forKey: .convergenceWindow) ?? convergenceWindow
        convergenceTolerance = try c.decodeIfPresent(Double.self, forKey: .convergenceTolerance) ?? convergenceTolerance
        convergenceAbsoluteTolerance = try c.decodeIfPresent(Double.self, forKey: .convergenceAbsoluteTolerance) ?? convergenceAbsoluteTolerance
        lbfgsHistory = try c.decodeIfPresent(Int.self, forKey: .lbfgsHistory) ?? lbfgsHistory
    }
}
