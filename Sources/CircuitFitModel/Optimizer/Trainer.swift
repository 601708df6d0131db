import CircuitFitCore

/// Early stopping on the training or validation loss (off unless set in `TrainingOptions`).
public struct EarlyStopping: Sendable, Equatable, Codable {
    public enum Monitor: String, Sendable, Codable {
        /// The total training loss of each iteration (noisy when recurrent noise is on).
        case trainingLoss
        /// The noise-free total loss on the validation conditions.
        case validationLoss
    }
    /// Stop after this many iterations without a relative improvement of at least
    /// `minRelativeImprovement` over the best monitored loss.
    public var patience: Int
    public var minRelativeImprovement: Double
    public var monitor: Monitor
    /// Evaluate the validation loss every this many iterations.
    public var validationEvery: Int
    /// Return the parameters with the best monitored loss rather than the last ones.
    public var restoreBest: Bool

    public init(
        patience: Int = 200, minRelativeImprovement: Double = 1e-4, monitor: Monitor = .trainingLoss,
        validationEvery: Int = 10, restoreBest: Bool = true
    ) {
        self.patience = patience
        self.minRelativeImprovement = minRelativeImprovement
        self.monitor = monitor
        self.validationEvery = validationEvery
        self.restoreBest = restoreBest
    }
}

/// How a fit runs: budget, optimiser, stopping, noise seed and callback frequencies.
public struct TrainingOptions: Sendable, Equatable, Codable {
    /// The most optimiser updates (default 5000); fewer when the convergence criterion or early
    /// stopping ends the fit first.
    public var iterations: Int
    public var optimizer: OptimizerKind
    public var adam: AdamConfig
    public var lbfgs: LBFGSConfig
    public var gaussNewton: GaussNewtonConfig
    /// The convergence criterion, checked after every update and reported (nil = none).
    public var convergence: ConvergenceCriterion?
    /// End the fit as soon as `convergence` is met (false: run the whole budget, reporting when
    /// the criterion was first met).
    public var stopAtConvergence: Bool
    public var earlyStopping: EarlyStopping?
    /// Seed of the recurrent-noise stream (same seed ⇒ bit-identical run).
    public var seed: UInt64
    /// Call the checkpoint callback every this many updates (0 = never).
    public var checkpointEvery: Int
    /// Call the progress callback every this many iterations (and at the last one).
    public var progressEvery: Int
    /// Evaluate the validation loss every this many iterations when validation data are given
    /// and early stopping does not set it (recorded in the history).
    public var validationEvery: Int

    public init(
        iterations: Int = 5000, optimizer: OptimizerKind = .adam, adam: AdamConfig = AdamConfig(),
        lbfgs: LBFGSConfig = LBFGSConfig(), gaussNewton: GaussNewtonConfig = GaussNewtonConfig(), convergence: ConvergenceCriterion? = nil,
        stopAtConvergence: Bool = true, earlyStopping: EarlyStopping? = nil, seed: UInt64 = 0, checkpointEvery: Int = 0,
        progressEvery: Int = 100, validationEvery: Int = 10
    ) {
        self.iterations = iterations
        self.optimizer = optimizer
        self.adam = adam
        self.lbfgs = lbfgs
        self.gaussNewton = gaussNewton
        self.convergence = convergence
        self.stopAtConvergence = stopAtConvergence
        self.earlyStopping = earlyStopping
        self.seed = seed
        self.checkpointEvery = checkpointEvery
        self.progressEvery = progressEvery
        self.validationEvery = validationEvery
    }
}

/// Fits a model RNN by full-batch BPTT: the model (`spec`), what it minimises (`objective`)
/// and how (`options`: L-BFGS or Adam, budget, convergence criterion), applied by `train`.
public struct Trainer: Sendable {
    public var spec: RNNSpec
    public var objective: Objective
    public var options: TrainingOptions

    /// The trainer's own random stream (derived from `options.seed`): the recurrent noise.
    static let noiseStream: UInt64 = 0x6E6F_6973_65   // "noise"

    public init(spec: RNNSpec, objective: Objective = Objective(), options: TrainingOptions = TrainingOptions()) {
        self.spec = spec
        self.objective = objective
        self.options = options
    }

    /// Trains from `initial` on `data` (the training conditions); `validation` (other conditions
    /// of the same dataset: its `conditions` must not overlap `data`'s) is only evaluated
    /// (noise-free), never trained on. `progress` is called every `progressEvery` iterations;
    /// `checkpoint(updates, parameters)` every `checkpointEvery` updates.
    ///
    /// Throws `CircuitFitError` for bad input. A NaN/Inf loss or gradient does not throw: the
    /// result then has `stopReason == .diverged` and `error` set, with the last good parameters.
    public func train(
        from initial: RNNParameters, data: TrainingData, validation: TrainingData? = nil,
        progress: ((TrainingProgress) -> Void)? = nil,
        checkpoint: ((Int, RNNParameters) throws -> Void)? = nil
    ) throws -> TrainingResult {
        try check(initial, validation: validation, data: data)
        let run = try TrainingRun(trainer: self, initial: initial, data: data, validation: validation)
        try run.run(progress: progress, checkpoint: checkpoint)
        return try run.result()
    }

    /// Every setting and input that no training could run with: one line each.
    func check(_ initial: RNNParameters, validation: TrainingData?, data: TrainingData) throws {
        try objective.validate()
        try options.adam.validate()
        try options.lbfgs.validate()
        try options.gaussNewton.validate()
        try options.convergence?.validate()
        guard options.iterations >= 0 else { throw CircuitFitError("training: iterations must be ≥ 0, got \(options.iterations)") }
        guard initial.layout == spec.layout else {
            throw CircuitFitError("training: initial parameters have layout for H=\(initial.layout.hidden), I=\(initial.layout.inputs), K=\(initial.layout.outputs), M=\(initial.layout.recorded) \(initial.layout.mapping), the model needs H=\(spec.hidden), I=\(spec.inputs), K=\(spec.outputs), M=\(spec.recorded) \(spec.mapping)")
        }
        guard initial.isFinite else { throw CircuitFitError("training: initial parameters contain NaN or Inf") }
        if options.optimizer != .adam && spec.noiseSD > 0 {
            throw CircuitFitError("training: \(options.optimizer.rawValue) needs a deterministic objective, but recurrent noise is on (σ = \(spec.noiseSD)); use the Adam optimiser with noise")
        }
        if let stop = options.earlyStopping {
            guard stop.patience >= 1, stop.validationEvery >= 1, stop.minRelativeImprovement >= 0 else {
                throw CircuitFitError("training: early stopping needs patience ≥ 1, validationEvery ≥ 1 and minRelativeImprovement ≥ 0")
            }
            if stop.monitor == .validationLoss && validation == nil {
                throw CircuitFitError("training: early stopping on the validation loss needs validation conditions")
            }
        }
        if let validation, !Set(validation.conditions).isDisjoint(with: data.conditions) {
            throw CircuitFitError("training: validation conditions overlap the training conditions")
        }
    }
}
