import CircuitFitCore

/// One call of `Trainer.train`: the state carried from iteration to iteration and the steps of
/// the loop, each its own method. The loop (`run`):
///
///   evaluate the initial parameters
///   repeat: decide whether to stop (criterion met, early stopping, budget) → record the
///           iteration → one optimiser step → keep it if its loss is finite → callbacks
///
/// so the history holds one row per iteration started, and `updates` counts the steps kept.
final class TrainingRun {
    let trainer: Trainer
    let options: TrainingOptions
    let layout: ParameterLayout
    let loss: LossFunction
    let validationWorkspace: RNNWorkspace<Float>?
    var optimizer: any Optimizer
    let validationEvery: Int

    // the point the next iteration starts from, and the last one with a finite loss and gradient
    var p: [Float]
    var current: Evaluated
    var lastGood: [Float]
    /// Updates applied and kept.
    var updates = 0
    var history: [HistoryEntry] = []
    var monitor: ConvergenceMonitor?
    var convergedAt: Int? = nil
    var stopReason: StopReason? = nil
    var error: CircuitFitError? = nil
    // early stopping: best monitored loss, when, and its parameters
    var bestMonitored = Double.infinity, bestUpdates = 0
    var best: [Float] = []
    var validationLoss: Double? = nil

    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(trainer: Trainer, initial: RNNParameters, data: TrainingData, validation: TrainingData?) throws {
        self.trainer = trainer
        let options = trainer.options
        self.options = options
        let layout = trainer.spec.layout
        self.layout = layout
        let workspace = try RNNWorkspace<Float>(spec: trainer.spec, data: data)
        let noise = SeededRandom(seed: options.seed).derived(Trainer.noiseStream)
        loss = LossFunction(workspace: workspace, objective: trainer.objective, noiseRandom: noise)
        validationWorkspace = try validation.map { try RNNWorkspace<Float>(spec: trainer.spec, data: $0) }
        switch options.optimizer {
        case .adam: optimizer = Adam(config: options.adam, layout: layout, trainable: trainer.objective.trainable)
        case .lbfgs: optimizer = LBFGS(config: options.lbfgs, parameterCount: layout.count)
        case .gaussNewton: optimizer = GaussNewtonCG(config: options.gaussNewton, parameterCount: layout.count)
        }
        validationEvery = options.earlyStopping.map { $0.monitor == .validationLoss ? $0.validationEvery : options.validationEvery } ?? options.validationEvery
        p = initial.values
        lastGood = p
        current = Evaluated(loss: LossParts(total: 0, task: 0, neural: 0, penalty: 0), gradient: [Float](repeating: 0, count: layout.count))
        monitor = options.convergence.map(ConvergenceMonitor.init)
        if options.earlyStopping?.restoreBest == true { best = p }
        history.reserveCapacity(min(options.iterations, 100_000))
        start = clock.now
    }

    var seconds: Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    // MARK: the loop

    func run(progress: ((TrainingProgress) -> Void)?, checkpoint: ((Int, RNNParameters) throws -> Void)?) throws {
        current.loss = loss(p, &current.gradient)
        current.measure()
        guard current.isFinite else { return diverged(at: 1) }
        monitor?.add(current.loss.total)
        while true {
            evaluateValidation()
            if let reason = reasonToStop() { stopReason = reason; break }
            record()
            let outcome = optimizer.step(&p, &current, loss)
            if outcome == .stalled { stopReason = .stalled(iteration: updates + 1); break }
            current.measure()
            guard current.isFinite else { return diverged(at: updates + 2) }
            updates += 1
            copy(p, into: &lastGood)
            monitor?.add(current.loss.total)
            if let checkpoint, options.checkpointEvery > 0, updates % options.checkpointEvery == 0 {
                try checkpoint(updates, try RNNParameters(layout: layout, values: p))
            }
            if let progress, updates % max(options.progressEvery, 1) == 0 { progress(report()) }
        }
        if let progress, updates % max(options.progressEvery, 1) != 0 { progress(report()) }
    }

    /// The validation loss at the current point, when one is due at this iteration.
    func evaluateValidation() {
        validationLoss = nil
        guard let validationWorkspace, (updates + 1) % validationEvery == 0 || updates == 0 else { return }
        validationLoss = p.withUnsafeBufferPointer { validationWorkspace.loss($0.baseAddress!, trainer.objective).total }
    }

    /// Converged, early-stopped or out of budget: the reason not to start another iteration.
    func reasonToStop() -> StopReason? {
        if let monitor {
            // the start of the current stretch over which the criterion holds
            if !monitor.isMet { convergedAt = nil } else if convergedAt == nil { convergedAt = updates }
            if monitor.isMet && options.stopAtConvergence { return .converged(iteration: updates) }
        }
        if let stop = options.earlyStopping {
            let monitored: Double? = stop.monitor == .trainingLoss ? current.loss.total : validationLoss
            if let monitored {
                if monitored < bestMonitored * (1 - stop.minRelativeImprovement) || bestMonitored == .infinity {
                    bestMonitored = monitored
                    bestUpdates = updates
                    if stop.restoreBest { copy(p, into: &best) }
                } else if updates - bestUpdates >= stop.patience {
                    if stop.restoreBest { copy(best, into: &p) }
                    return .earlyStopped(iteration: updates)
                }
            }
        }
        return updates >= options.iterations ? .budget : nil
    }

    /// Appends the row of the iteration about to start.
    func record() {
        history.append(HistoryEntry(
            iteration: updates + 1, lossTotal: current.loss.total, lossTask: current.loss.task,
            lossNeural: current.loss.neural, lossValidation: validationLoss, seconds: seconds,
            evaluations: loss.evaluations, relativeChange: monitor?.relativeChange))
    }

    /// A NaN/Inf loss or gradient at the start of `iteration` (1 = the initial parameters; else
    /// after the update of iteration − 1, which is discarded): keep the last good point.
    func diverged(at iteration: Int) {
        let what = current.loss.total.isFinite ? "gradient norm is \(current.gradientNorm)" : "loss is \(current.loss.total)"
        let kept = iteration == 1 ? "the initial parameters" : "the parameters of iteration \(iteration - 1), the last with a finite loss and gradient"
        error = CircuitFitError("training diverged at iteration \(iteration): \(what); kept \(kept)")
        stopReason = .diverged(iteration: iteration)
        copy(lastGood, into: &p)
    }

    func report() -> TrainingProgress {
        let s = seconds
        return TrainingProgress(
            iteration: updates, iterations: options.iterations, loss: current.loss, lossValidation: validationLoss,
            iterationsPerSecond: Double(updates) / max(s, 1e-12), seconds: s,
            relativeChange: monitor?.relativeChange, tolerance: options.convergence?.tolerance)
    }

    // MARK: the result

    func result() throws -> TrainingResult {
        let finalLoss = loss.quietLoss(p)
        // converged: stopped by the criterion, or (running the whole budget) meeting it at the end
        let met = stopReason == .converged(iteration: updates) || (monitor?.isMet ?? false)
        let convergence = options.convergence.map { c in
            ConvergenceReport(converged: met, iteration: met ? convergedAt : nil, relativeChange: monitor?.relativeChange,
                              change: monitor?.change, bestLoss: monitor?.bestLoss, criterion: c)
        }
        return TrainingResult(
            parameters: try RNNParameters(layout: layout, values: p), history: history, finalLoss: finalLoss,
            updates: updates, evaluations: loss.evaluations, stopReason: stopReason ?? .budget,
            convergence: convergence, error: error, seconds: seconds)
    }

    private func copy(_ source: [Float], into destination: inout [Float]) {
        source.withUnsafeBufferPointer { s in
            destination.withUnsafeMutableBufferPointer { d in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
        }
    }
}
