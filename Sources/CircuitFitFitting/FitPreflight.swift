import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// Everything a fit needs, checked before it starts (and before any output folder exists), so
/// that a fit never trains for minutes and then fails in its evaluation:
/// 1. the configuration (`FitConfig.validate`) and the fit's set-up (`prepareFit`: M, indices, E/I);
/// 2. the memory the fit and its evaluation hold (`fitMemoryEstimate`) against the `MemoryBudget`;
/// 3. the data the evaluation scores (`requireScorableData`): inputs that tell the conditions
///    apart, targets and neurons that vary, complete neurons (no NaN) and enough time steps for
///    CCA and Procrustes;
/// 4. a dry run of the whole evaluation with the untrained network (which every fit is also
///    scored against), which catches whatever the checks above do not name.
/// Returns the prepared fit (as `prepareFit`). `file` names the dataset in messages.
public func preflightFit(dataset: ReachDataset, config: FitConfig, file: String, components: Int = 10) throws -> FittedModel {
    try config.validate()
    func requireMemory() throws {
        try MemoryBudget.current.require(
            fitMemoryEstimate(dataset: dataset, config: config),
            for: "a fit of H = \(config.hidden) units to \(dataset.conditions) condition(s) × \(dataset.steps) steps (\(config.iterations) iterations of history)")
    }
    // prepareFit allocates the initial parameters (H² values): check the memory first, unless
    // M does not fit the data or the model, which prepareFit's own error names
    let m = config.recordedCount
    let shapesFit = m <= (dataset.neuralData?.d2 ?? 0) && (config.mapping == .linear || m <= config.hidden)
    if shapesFit { try requireMemory() }
    let model = try prepareFit(dataset: dataset, config: config)
    if !shapesFit { try requireMemory() }
    try requireScorableData(dataset, split: model.split, hidden: config.hidden, file: file, components: components)
    do {
        _ = try evaluateModel(
            spec: model.spec, parameters: model.initialParameters, untrained: nil, dataset: dataset,
            recording: RecordingInfo(neurons: model.neural?.neurons ?? [], offset: model.neural?.offset ?? [], scale: model.neural?.scale ?? []),
            split: model.split, components: components)
    } catch let error as CircuitFitError {
        throw CircuitFitError("\(file): the untrained network, which every fit is scored against, cannot be scored on this dataset (\(error.message)); fix the data before training")
    }
    return model
}

/// Bytes a fit of `config` to `dataset` holds at once, about: the trainer's parameter vectors
/// (parameters, gradient, Adam's moments, best and last good copies, checkpoints), the BPTT
/// workspace ([T, C, H] states and their gradients), the history (one row per iteration), and
/// the evaluation afterwards (`evaluationMemoryEstimate`). Saturates at `Int.max`.
public func fitMemoryEstimate(dataset: ReachDataset, config: FitConfig) -> Int {
    let h = config.hidden, i = dataset.inputCount, k = dataset.outputCount
    let m = config.recordedCount, t = dataset.steps, c = dataset.conditions
    let linear = config.mapping == .linear ? MemorySize.sum(MemorySize.product(m, h), m) : 0
    let parameters = MemorySize.sum(MemorySize.product(h, h), MemorySize.product(h, i), MemorySize.product(k, h), k, 2 * max(h, 0), linear)
    let trainer = MemorySize.product(parameters, 4, 14)              // ~14 float copies of the parameter vector
    let square = MemorySize.product(h, h, 4, 4)                       // J, Jᵀ, dJ, mask
    let states = MemorySize.product(t, c, MemorySize.sum(MemorySize.product(h, 6), MemorySize.product(MemorySize.sum(i, k, m), 4)), 4)
    let history = MemorySize.product(max(config.iterations, 0), 200) // HistoryEntry and its CSV row
    return MemorySize.sum(trainer, square, states, history, evaluationMemoryEstimate(hidden: h, dataset: dataset))
}

/// Bytes scoring an H-unit model on `dataset` holds at once, about: the simulated rates in
/// Float32 and Float64, and the stacked (samples × H) and (samples × N) matrices of the PCA, CCA,
/// Procrustes and ridge fits with their SVDs.
public func evaluationMemoryEstimate(hidden h: Int, dataset: ReachDataset) -> Int {
    let samples = MemorySize.product(dataset.conditions, dataset.steps)
    let n = dataset.neuralData?.d2 ?? 0
    let simulated = MemorySize.product(samples, MemorySize.sum(h, dataset.outputCount), 4 + 8 + 8)
    let stacked = MemorySize.product(samples, MemorySize.sum(h, n), 8, 6)
    let square = MemorySize.product(MemorySize.sum(h, n), MemorySize.sum(h, n), 8, 2)
    return MemorySize.sum(simulated, stacked, square)
}

/// Throws a one-line error, naming `file` and the array, when the data cannot be scored the way
/// every fit is (science.md §4, docs/method.md § Evaluation): inputs that are absent, zero, or the
/// same in every condition (the model could not tell the conditions apart); targets constant on
/// the conditions their NMSE is computed on; no neuron of the population that is complete (no
/// NaN, `MissingSamples`) and varies on the training conditions; or too few time steps for CCA and
/// Procrustes on `components` principal components.
public func requireScorableData(_ dataset: ReachDataset, split: ConditionSplit, hidden: Int, file: String, components: Int = 10) throws {
    let inputs = dataset.inputs, steps = dataset.steps
    let shape = "[\(dataset.conditions), \(steps), \(dataset.inputCount)]"
    guard dataset.inputCount > 0 else {
        throw CircuitFitError("\(file): array 'inputs' has no channels (\(shape)): the model would get no input and could not tell the conditions apart")
    }
    guard inputs.data.contains(where: { $0 != 0 }) else {
        throw CircuitFitError("\(file): array 'inputs' is 0 everywhere (\(shape)): the model would get no input and could not tell the conditions apart")
    }
    let used = split.fit + split.excluded + split.heldOut + split.validation
    let block = steps * dataset.inputCount
    func inputBlock(_ c: Int) -> ArraySlice<Double> { inputs.data[(c * block)..<((c + 1) * block)] }
    if used.count >= 2, used.dropFirst().allSatisfy({ inputBlock($0) == inputBlock(used[0]) }) {
        throw CircuitFitError("\(file): array 'inputs' is the same in every condition: the model could not tell the conditions apart")
    }

    // targets: the output NMSE of each set of conditions is normalised by their variance
    for (name, conditions) in [("training", split.fit), ("held-out", split.heldOut), ("excluded", split.excluded)] where !conditions.isEmpty {
        let varying = (0..<dataset.outputCount).contains { varies(dataset.targets, channel: $0, conditions: conditions) }
        guard varying else {
            throw CircuitFitError("\(file): array 'targets' is constant on the \(name) conditions \(conditions): the output error (NMSE) is normalised by the targets' variance, which is 0")
        }
    }

    // the population CCA and Procrustes compare against
    guard let population = dataset.neuralData else { return }
    let array = dataset.rates != nil ? "rates" : "recorded"
    for (name, conditions) in [("training", split.fit), ("held-out", split.heldOut)] where !conditions.isEmpty {
        let complete = MissingSamples.completeChannels(population, conditions: conditions)
        guard !complete.isEmpty else {
            throw CircuitFitError("\(file): array '\(array)': each of the \(population.d2) neurons has a missing (NaN) sample on the \(name) conditions; CCA and Procrustes use only neurons with a value at every time step (docs/method.md § Missing samples)")
        }
        guard complete.contains(where: { varies(population, channel: $0, conditions: conditions) }) else {
            throw CircuitFitError("\(file): array '\(array)': every neuron's rate is constant on the \(name) conditions: the population has no dynamics to compare against")
        }
        let samples = conditions.count * steps
        let needed = max(components, min(components, hidden) + min(components, complete.count))
        guard samples > needed else {
            throw CircuitFitError("\(file): the \(name) conditions have \(samples) time steps in all (\(conditions.count) condition(s) × \(steps) steps); CCA and Procrustes on \(components) principal components need more than \(needed)")
        }
    }
}
