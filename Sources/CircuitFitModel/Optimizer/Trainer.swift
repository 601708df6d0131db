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
    /// Number of optimiser steps: exact without early stopping, the maximum with it. Default 5000.
    public var iterations: Int
    public var adam: AdamConfig
    /// nil = run exactly `iterations` steps.
    public var earlyStopping: EarlyStopping?
    /// Seed of the recurrent-noise stream (same seed ⇒ bit-identical run).
    public var seed: UInt64
    /// Call the checkpoint callback every this many iterations (0 = never).
    public var checkpointEvery: Int
    /// Call the progress callback every this many iterations (and at the last one).
    public var progressEvery: Int
    /// Evaluate the validation loss every this many iterations when validation data are given
    /// and early stopping does not set it (recorded in the history).
    public var validationEvery: Int

    public init(
        iterations: Int = 5000, adam: AdamConfig = AdamConfig(), earlyStopping: EarlyStopping? = nil,
        seed: UInt64 = 0, checkpointEvery: Int = 0, progressEvery: Int = 100, validationEvery: Int = 10
    ) {
        self.iterations = iterations
        self.adam = adam
        self.earlyStopping = earlyStopping
        self.seed = seed
        self.checkpointEvery = checkpointEvery
        self.progressEvery = progressEvery
        self.validationEvery = validationEvery
    }
}

/// Fits a model RNN by full-batch BPTT and Adam: the model (`spec`), what it minimises
/// (`objective`) and how (`options`), applied by `train`.
public struct Trainer: Sendable {
    public var spec: RNNSpec
    public var objective: Objective
    public var options: TrainingOptions

    public init(spec: RNNSpec, objective: Objective = Objective(), options: TrainingOptions = TrainingOptions()) {
        self.spec = spec
        self.objective = objective
        self.options = options
    }

    /// Trains from `initial` on `data` (the training conditions); `validation` (other conditions
    /// of the same dataset: its `conditions` must not overlap `data`'s) is only evaluated
    /// (noise-free), never trained on. `progress` is called every `progressEvery`
    /// iterations; `checkpoint(iteration, parameters)` every `checkpointEvery` iterations with
    /// the parameters after that many updates.
    ///
    /// Throws `CircuitFitError` for bad input. A NaN/Inf loss or gradient does not throw: the
    /// result then has `stopReason == .diverged` and `error` set, with the last good parameters.
    public func train(
        from initial: RNNParameters, data: TrainingData, validation: TrainingData? = nil,
        progress: ((TrainingProgress) -> Void)? = nil,
        checkpoint: ((Int, RNNParameters) throws -> Void)? = nil
    ) throws -> TrainingResult {
        try objective.validate()
        try options.adam.validate()
        guard options.iterations >= 0 else { throw CircuitFitError("training: iterations must be ≥ 0, got \(options.iterations)") }
        guard initial.layout == spec.layout else {
            throw CircuitFitError("training: initial parameters have layout for H=\(initial.layout.hidden), I=\(initial.layout.inputs), K=\(initial.layout.outputs), M=\(initial.layout.recorded) \(initial.layout.mapping), the model needs H=\(spec.hidden), I=\(spec.inputs), K=\(spec.outputs), M=\(spec.recorded) \(spec.mapping)")
        }
        guard initial.isFinite else { throw CircuitFitError("training: initial parameters contain NaN or Inf") }
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

        let ws = try RNNWorkspace<Float>(spec: spec, data: data)
        let validationWS = try validation.map { try RNNWorkspace<Float>(spec: spec, data: $0) }
        var noiseRandom = SeededRandom(seed: options.seed).derived(0x6E6F_6973_65)  // "noise"
        var adam = Adam(config: options.adam, layout: spec.layout, trainable: objective.trainable)

        let n = spec.layout.count
        var p = initial.values
        var grad = [Float](repeating: 0, count: n)
        var lastGood = p
        var best = options.earlyStopping?.restoreBest == true ? p : []
        var bestLoss = Double.infinity, bestIteration = 0
        var history: [HistoryEntry] = []
        history.reserveCapacity(options.iterations)
        var stopReason = StopReason.budget
        var error: CircuitFitError? = nil
        let validationEvery = options.earlyStopping.map { $0.monitor == .validationLoss ? $0.validationEvery : options.validationEvery } ?? options.validationEvery
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        func copy(_ source: [Float], into destination: inout [Float]) {
            source.withUnsafeBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in d.baseAddress!.update(from: s.baseAddress!, count: n) }
            }
        }

        var it = 0
        while it < options.iterations {
            it += 1
            ws.drawNoise(&noiseRandom)
            let loss = p.withUnsafeBufferPointer { pp in
                grad.withUnsafeMutableBufferPointer { gg in ws.lossAndGradient(pp.baseAddress!, objective, gg.baseAddress!) }
            }
            let norm = adam.gradientNorm(grad)
            if !loss.total.isFinite || !norm.isFinite {
                let what = loss.total.isFinite ? "gradient norm is \(norm)" : "loss is \(loss.total)"
                let kept = it == 1 ? "the initial parameters" : "the parameters of iteration \(it - 1), the last with a finite loss and gradient"
                error = CircuitFitError("training diverged at iteration \(it): \(what); kept \(kept)")
                stopReason = .diverged(iteration: it)
                copy(lastGood, into: &p)
                it -= 1
                break
            }
            copy(p, into: &lastGood)

            var validationLoss: Double? = nil
            if let validationWS, it % validationEvery == 0 || it == 1 {
                validationLoss = p.withUnsafeBufferPointer { validationWS.loss($0.baseAddress!, objective).total }
            }
            let seconds = elapsed()
            history.append(HistoryEntry(
                iteration: it, lossTotal: loss.total, lossTask: loss.task, lossNeural: loss.neural,
                lossValidation: validationLoss, seconds: seconds))
            if let progress, it % max(options.progressEvery, 1) == 0 || it == options.iterations {
                progress(TrainingProgress(
                    iteration: it, iterations: options.iterations, loss: loss, lossValidation: validationLoss,
                    iterationsPerSecond: Double(it) / max(seconds, 1e-12), seconds: seconds))
            }

            // early stopping on the loss of the parameters just evaluated
            if let stop = options.earlyStopping {
                let monitored: Double? = stop.monitor == .trainingLoss ? loss.total : validationLoss
                if let monitored {
                    if monitored < bestLoss * (1 - stop.minRelativeImprovement) || bestLoss == .infinity {
                        bestLoss = monitored
                        bestIteration = it
                        if stop.restoreBest { copy(p, into: &best) }
                    } else if it - bestIteration >= stop.patience {
                        stopReason = .earlyStopped(iteration: it)
                        if stop.restoreBest { copy(best, into: &p) }
                        it -= 1    // this iteration's update is not applied
                        break
                    }
                }
            }

            adam.update(&p, gradient: grad, gradientNorm: norm)
            if let checkpoint, options.checkpointEvery > 0, it % options.checkpointEvery == 0 {
                try checkpoint(it, try RNNParameters(layout: spec.layout, values: p))
            }
        }

        // noise-free loss of the returned parameters
        ws.clearNoise()
        var finalLoss = p.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective) }
        if !finalLoss.total.isFinite && error == nil {
            error = CircuitFitError("training diverged after iteration \(it): the final loss is \(finalLoss.total); kept the parameters of iteration \(it), the last with a finite loss and gradient")
            stopReason = .diverged(iteration: it + 1)
            p = lastGood
            finalLoss = p.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective) }
        }
        return TrainingResult(
            parameters: try RNNParameters(layout: spec.layout, values: p), history: history,
            finalLoss: finalLoss, updates: adam.step, stopReason: stopReason, error: error, seconds: elapsed())
    }
}
