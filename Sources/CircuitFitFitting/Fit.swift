import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// Which conditions of a dataset one fit uses for what.
public struct ConditionSplit: Codable, Equatable, Sendable {
    /// Conditions the loss is minimised on.
    public var fit: [Int]
    /// Training conditions set aside to monitor early stopping.
    public var validation: [Int]
    /// Training conditions removed from everything (generalisation protocol (b)).
    public var excluded: [Int]
    /// The dataset's held-out conditions (protocol (a)).
    public var heldOut: [Int]

    public init(fit: [Int], validation: [Int], excluded: [Int], heldOut: [Int]) {
        self.fit = fit; self.validation = validation; self.excluded = excluded; self.heldOut = heldOut
    }
}

/// The independent random streams of one fit, all derived from its seed (`SeededRandom.derived`).
/// The numbers are fixed: they are what makes a seed reproduce the same fit.
public enum FitStream: UInt64, Sendable {
    /// Which neurons are recorded.
    case recordedNeurons = 1
    /// The model's initial parameters.
    case initialParameters = 2
    /// The recurrent noise (the trainer derives its own stream from this seed).
    case noise = 4
    /// Training conditions excluded from everything (protocol b).
    case excludedConditions = 5
    /// Training conditions set aside as a validation split.
    case validationConditions = 6
    /// The neuron folds of `--lambda auto`.
    case lambdaFolds = 7
}

/// A fitted model with everything needed to save, evaluate and reproduce it.
public struct FittedModel: Sendable {
    public var spec: RNNSpec
    /// The parameters in the dataset's units (the readout C, d maps to the targets' units).
    public var parameters: RNNParameters
    /// The parameters before training, in the dataset's units (the untrained baseline).
    public var initialParameters: RNNParameters
    /// The recorded neurons and how their rates were normalised (nil when M = 0).
    public var neural: NeuralTargets?
    /// How the task targets were standardised for training.
    public var outputs: OutputStandardization
    public var split: ConditionSplit
    /// How training went; its `parameters` are in the standardised units the trainer saw.
    public var training: TrainingResult?
    /// The initial parameters in those standardised units (what the trainer starts from).
    var standardizedInitial: RNNParameters
}

/// Prepares and runs one fit of a model RNN to `dataset` (docs/method.md): draws the recorded
/// neurons, normalises their rates, standardises the targets, builds and initialises the model,
/// and trains it.
///
/// `checkpoint` receives the model every `config.checkpointEvery` iterations. A diverging fit
/// returns normally with `training.error` set and the last good parameters, so the caller can
/// keep them before reporting.
public func fitModel(
    dataset: ReachDataset, config: FitConfig,
    progress: ((TrainingProgress) -> Void)? = nil,
    checkpoint: ((Int, FittedModel) throws -> Void)? = nil
) throws -> FittedModel {
    let problem = try FitProblem(dataset: dataset, config: config)
    var model = problem.model
    let snapshot = model
    let result = try problem.trainer.train(
        from: model.standardizedInitial, data: problem.data, validation: problem.validation, progress: progress,
        checkpoint: checkpoint.map { save in
            { (iteration: Int, parameters: RNNParameters) throws -> Void in
                var m = snapshot
                m.parameters = snapshot.outputs.toDataUnits(parameters)
                try save(iteration, m)
            }
        })
    model.parameters = model.outputs.toDataUnits(result.parameters)
    model.training = result
    return model
}

/// One fit as the trainer sees it: the prepared model, the trainer (spec, objective, options) and
/// the standardised training (and validation) arrays. `fitModel` runs it; the benchmark hands the
/// same problem to the PyTorch peer.
public struct FitProblem: Sendable {
    /// The model before training (`standardizedInitial` is where the trainer starts).
    public var model: FittedModel
    public var trainer: Trainer
    public var data: TrainingData
    public var validation: TrainingData?
    /// The initial parameters in the standardised units the trainer works in.
    public var initial: RNNParameters { model.standardizedInitial }

    public init(dataset: ReachDataset, config: FitConfig) throws {
        model = try prepareFit(dataset: dataset, config: config)
        let sets = config.perturbationSets ?? 0
        data = sets > 0
            ? try trainingDataWithPerturbations(dataset: dataset, model: model, conditions: model.split.fit, setCount: sets)
            : try trainingData(dataset: dataset, model: model, conditions: model.split.fit)
        validation = model.split.validation.isEmpty ? nil : try trainingData(dataset: dataset, model: model, conditions: model.split.validation)
        trainer = Trainer(
            spec: model.spec, objective: objective(config, recorded: model.spec.recorded),
            options: trainingOptions(config, validation: validation != nil))
    }
}

/// The objective a configuration asks for (λ only applies with recorded neurons).
func objective(_ config: FitConfig, recorded: Int) -> Objective {
    Objective(
        lambda: recorded == 0 ? 0 : config.lambda, betaJ: config.betaJ, betaIn: config.betaIn,
        betaOut: config.betaOut, betaRate: config.betaRate, trainable: trainableBlocks(config))
}

/// The trainer's options a configuration asks for.
func trainingOptions(_ config: FitConfig, validation: Bool) -> TrainingOptions {
    var stopping: EarlyStopping? = nil
    if config.earlyStopping {
        stopping = EarlyStopping(
            patience: config.earlyStoppingPatience, minRelativeImprovement: config.earlyStoppingMinImprovement,
            monitor: validation ? .validationLoss : .trainingLoss)
    }
    let criterion = ConvergenceCriterion(
        window: config.convergenceWindow, tolerance: config.convergenceTolerance,
        absoluteTolerance: config.convergenceAbsoluteTolerance)
    return TrainingOptions(
        iterations: config.iterations, optimizer: config.optimizer,
        adam: AdamConfig(
            learningRate: config.learningRate, clipNorm: config.clipNorm > 0 ? config.clipNorm : nil,
            decay: config.adamDecay, warmup: config.learningRateWarmup),
        lbfgs: LBFGSConfig(history: config.lbfgsHistory),
        convergence: criterion, stopAtConvergence: config.stopAtConvergence, earlyStopping: stopping,
        seed: SeededRandom(seed: config.seed).derivedSeed(FitStream.noise.rawValue),
        checkpointEvery: config.checkpointEvery)
}

/// Everything of a fit but the training: recorded neurons, normalised targets, model, split.
public func prepareFit(dataset: ReachDataset, config: FitConfig) throws -> FittedModel {
    try config.validate()
    guard let neuralData = dataset.neuralData else {
        throw CircuitFitError("dataset has neither 'rates' nor 'recorded': nothing to fit neurons to")
    }
    let n = neuralData.d2
    let root = SeededRandom(seed: config.seed)

    // Condition split.
    var training = dataset.trainingConditions
    let excluded = try setAside(config.excludeTrainingConditions, of: &training, random: root.derived(FitStream.excludedConditions.rawValue), what: "exclude")
    let validation = try setAside(config.validationConditions, of: &training, random: root.derived(FitStream.validationConditions.rawValue), what: "set aside as validation conditions")
    let split = ConditionSplit(fit: training, validation: validation, excluded: excluded, heldOut: dataset.heldOutConditions)

    // Recorded neurons.
    let m = config.recordedCount
    guard m <= n else {
        throw CircuitFitError("cannot record M = \(m) neurons: the dataset has \(n) (\(dataset.rates != nil ? "circuit neurons in 'rates'" : "neurons in 'recorded'"))")
    }
    guard m <= config.hidden || config.mapping == .linear else {
        throw CircuitFitError("identity mapping ties each recorded neuron to its own unit: M = \(m) needs hidden ≥ \(m), got \(config.hidden)")
    }
    if (config.dale || config.recordExcitatoryOnly) && dataset.excitatory == nil {
        throw CircuitFitError("\(config.dale ? "dale" : "recordExcitatoryOnly") needs the neurons' E/I types: the dataset has no 'excitatory' array")
    }
    var neurons: [Int]
    if !config.recordNeurons.isEmpty {
        neurons = config.recordNeurons
        try validateRecordedNeurons(neurons, neuronCount: n)
    } else {
        let pool = config.recordExcitatoryOnly ? (0..<n).filter { dataset.excitatory![$0] } : nil
        // the dataset's perturbed neurons are recorded first when they fit in M (identity mapping)
        let perturbed = config.mapping == .identity ? perturbedNeurons(dataset) : []
        if !perturbed.isEmpty && perturbed.count <= m && perturbed.allSatisfy({ pool?.contains($0) ?? true }) {
            let rest = (pool ?? Array(0..<n)).filter { !perturbed.contains($0) }
            neurons = try perturbed + chooseRecordedNeurons(
                count: m - perturbed.count, neuronCount: n, among: rest, seed: root.derivedSeed(FitStream.recordedNeurons.rawValue))
        } else {
            neurons = try chooseRecordedNeurons(count: m, neuronCount: n, among: pool, seed: root.derivedSeed(FitStream.recordedNeurons.rawValue))
        }
    }

    // Model structure.
    let h = config.hidden
    let modelExcitatory: [Bool]? = config.dale ? (0..<h).map { $0 < Int((Double(h) * config.excitatoryFraction).rounded()) } : nil
    var units: [Int]? = nil
    if config.mapping == .identity && m > 0 {
        units = try defaultRecordedUnits(
            neurons: neurons, hidden: h, neuronExcitatory: config.dale ? dataset.excitatory : nil,
            modelExcitatory: modelExcitatory)
    }
    let spec = RNNSpec(
        hidden: h, inputs: dataset.inputCount, outputs: dataset.outputCount, recorded: m,
        mapping: config.mapping, recordedUnits: units, dtMs: dataset.dtMs, tauMs: config.tauMs,
        noiseSD: config.noiseSD, excitatory: modelExcitatory,
        connectivityMask: config.noAutapses ? RNNSpec.noAutapses(h) : nil)
    try spec.validate()

    let neural = m == 0 ? nil : try prepareNeuralTargets(
        rates: neuralData, neurons: neurons, trainingConditions: training, normalization: config.normalization)
    let outputs = try OutputStandardization(targets: dataset.targets, conditions: training)
    let initial = initialParameters(spec: spec, gain: config.gain, seed: root.derivedSeed(FitStream.initialParameters.rawValue))
    return FittedModel(
        spec: spec, parameters: outputs.toDataUnits(initial), initialParameters: outputs.toDataUnits(initial),
        neural: neural, outputs: outputs, split: split, training: nil, standardizedInitial: initial)
}

/// Removes `count` conditions drawn by `random` from `conditions` (keeping at least one) and
/// returns them in increasing order; `what` names the purpose in the error.
func setAside(_ count: Int, of conditions: inout [Int], random: SeededRandom, what: String) throws -> [Int] {
    guard count > 0 else { return [] }
    guard count < conditions.count else {
        throw CircuitFitError("fit config: cannot \(what) \(count) of \(conditions.count) training conditions (at least one must remain to fit)")
    }
    var r = random
    let chosen = r.sample(conditions, count: count).sorted()
    conditions.removeAll { chosen.contains($0) }
    return chosen
}

/// The blocks the optimiser may change.
func trainableBlocks(_ config: FitConfig) -> Set<ParameterBlock> {
    var blocks = Objective.defaultTrainable
    if config.learnInitialState { blocks.insert(.h0) }
    for name in config.freeze { if let b = ParameterBlock(rawValue: name) { blocks.remove(b) } }
    return blocks
}

/// The arrays the trainer sees for `conditions`: inputs, standardised targets and normalised
/// recordings. The variances the objective divides by are always the fit conditions' (targets:
/// 1 after standardisation; neurons: `NeuralTargets.variance`), so a validation set is scored
/// on the same scale as the training set.
func trainingData(dataset: ReachDataset, model: FittedModel, conditions: [Int]) throws -> TrainingData {
    let neural: Array3<Double>? = model.neural.map { n in Array3(n.values.d0, n.values.d1, n.values.d2, data: n.values.data.map(Double.init)) }
    return try TrainingData(
        inputs: dataset.inputs, targets: model.outputs.standardized(dataset.targets), neural: neural,
        conditions: conditions,
        outputVariance: [Double](repeating: 1, count: dataset.outputCount),   // standardised over the fit conditions
        neuralVariance: model.neural?.variance)
}
