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

/// A fitted model with everything needed to save, evaluate and reproduce it.
public struct FittedModel: Sendable {
    public var spec: RNNSpec
    public var parameters: RNNParameters
    /// The parameters before training (the untrained baseline of the metrics).
    public var initialParameters: RNNParameters
    /// The recorded neurons and how their rates were normalised (nil when M = 0).
    public var neural: NeuralTargets?
    public var split: ConditionSplit
    public var training: TrainingResult?
}

/// Prepares and runs one fit of a model RNN to `dataset` (docs/method.md#the-model-rnn
/// and #the-objective): draws the recorded
/// neurons, normalises their rates, builds and initialises the model, and trains it.
///
/// `checkpoint` receives the model every `config.checkpointEvery` iterations. A diverging fit
/// returns normally with `training.error` set and the last good parameters, so the caller can
/// keep them before reporting.
public func fitModel(
    dataset: ReachDataset, config: FitConfig,
    progress: ((TrainingProgress) -> Void)? = nil,
    checkpoint: ((Int, FittedModel) throws -> Void)? = nil
) throws -> FittedModel {
    var model = try prepareFit(dataset: dataset, config: config)
    let data = try trainingData(dataset: dataset, model: model, conditions: model.split.fit)
    let validation = model.split.validation.isEmpty ? nil : try trainingData(dataset: dataset, model: model, conditions: model.split.validation)
    let objective = Objective(
        lambda: model.spec.recorded == 0 ? 0 : config.lambda, betaJ: config.betaJ, betaIn: config.betaIn,
        betaOut: config.betaOut, betaRate: config.betaRate, trainable: trainableBlocks(config))
    var stopping: EarlyStopping? = nil
    if config.earlyStopping {
        stopping = EarlyStopping(
            patience: config.earlyStoppingPatience, minRelativeImprovement: config.earlyStoppingMinImprovement,
            monitor: validation == nil ? .trainingLoss : .validationLoss)
    }
    let options = TrainingOptions(
        iterations: config.iterations,
        adam: AdamConfig(
            learningRate: config.learningRate, clipNorm: config.clipNorm > 0 ? config.clipNorm : nil,
            decay: config.learningRateDecay < 1 ? .exponential(factor: config.learningRateDecay) : .none),
        earlyStopping: stopping, seed: SeededRandom(seed: config.seed).derivedSeed(4),
        checkpointEvery: config.checkpointEvery)
    let trainer = Trainer(spec: model.spec, objective: objective, options: options)
    let snapshot = model
    let result = try trainer.train(
        from: model.initialParameters, data: data, validation: validation, progress: progress,
        checkpoint: checkpoint.map { save in
            { (iteration: Int, parameters: RNNParameters) throws -> Void in
                var m = snapshot
                m.parameters = parameters
                try save(iteration, m)
            }
        })
    model.parameters = result.parameters
    model.training = result
    return model
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
    var excluded: [Int] = []
    var validation: [Int] = []
    if config.excludeTrainingConditions > 0 {
        guard config.excludeTrainingConditions < training.count else {
            throw CircuitFitError("fit config: cannot exclude \(config.excludeTrainingConditions) of \(training.count) training conditions")
        }
        var r = root.derived(5)
        excluded = r.sample(training, count: config.excludeTrainingConditions).sorted()
        training.removeAll { excluded.contains($0) }
    }
    if config.validationConditions > 0 {
        guard config.validationConditions < training.count else {
            throw CircuitFitError("fit config: cannot set aside \(config.validationConditions) validation conditions of \(training.count) training conditions")
        }
        var r = root.derived(6)
        validation = r.sample(training, count: config.validationConditions).sorted()
        training.removeAll { validation.contains($0) }
    }
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
        neurons = try chooseRecordedNeurons(count: m, neuronCount: n, among: pool, seed: root.derivedSeed(1))
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
    let initial = initialParameters(spec: spec, gain: config.gain, seed: root.derivedSeed(2))
    return FittedModel(spec: spec, parameters: initial, initialParameters: initial, neural: neural, split: split, training: nil)
}

/// The blocks the optimiser may change.
func trainableBlocks(_ config: FitConfig) -> Set<ParameterBlock> {
    var blocks = Objective.defaultTrainable
    if config.learnInitialState { blocks.insert(.h0) }
    for name in config.freeze { if let b = ParameterBlock(rawValue: name) { blocks.remove(b) } }
    return blocks
}

/// The arrays the trainer sees for `conditions`: inputs, targets and normalised recordings.
func trainingData(dataset: ReachDataset, model: FittedModel, conditions: [Int]) throws -> TrainingData {
    let neural: Array3<Double>? = model.neural.map { n in Array3(n.values.d0, n.values.d1, n.values.d2, data: n.values.data.map(Double.init)) }
    return try TrainingData(inputs: dataset.inputs, targets: dataset.targets, neural: neural, conditions: conditions)
}
