import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// One λ tried by `selectLambda`, with its cross-validated scores.
public struct LambdaCandidate: Codable, Equatable, Sendable {
    public var lambda: Double
    /// R² of the validation neurons (never in the loss) on the validation conditions (never in
    /// the loss), through a ridge map fitted on the fit conditions. Higher is better.
    public var validationNeuronR2: Double
    /// Output NMSE on the validation conditions.
    public var validationOutputNMSE: Double

    enum CodingKeys: String, CodingKey {
        case lambda
        case validationNeuronR2 = "validation_neuron_r2"
        case validationOutputNMSE = "validation_output_nmse"
    }
}

/// How `train --lambda auto` chose λ, recorded in the fit's config.json.
public struct LambdaSelection: Codable, Equatable, Sendable {
    public var candidates: [LambdaCandidate]
    public var chosen: Double
    public var reason: String
    /// Recorded neurons held out of the loss during selection, and the training conditions held out.
    public var validationNeurons: [Int]
    public var validationConditions: [Int]

    enum CodingKeys: String, CodingKey {
        case candidates
        case chosen
        case reason
        case validationNeurons = "validation_neurons"
        case validationConditions = "validation_conditions"
    }
}

/// Chooses λ by cross-validation on held-out neurons and held-out conditions
/// (docs/method.md#choosing-lambda-automatically): the
/// recorded neurons are split (by `config.seed`) into fit neurons and validation neurons (a
/// quarter, at least 1), and a quarter of the training conditions (at least 1) is removed from the
/// loss. For each candidate λ a model is fitted on the fit neurons and fit conditions; a ridge
/// map from its rates to the validation neurons is fitted on the fit conditions and scored on the
/// validation conditions. The λ with the highest validation-neuron R² wins; ties (within 0.005)
/// go to the lower output error, then to the smaller λ. The dataset's own held-out conditions
/// are never used, so they stay a clean test set.
public func selectLambda(
    dataset: ReachDataset, config: FitConfig, candidates: [Double] = [0, 0.1, 0.3, 1, 3, 10],
    progress: ((Double, Int, Int) -> Void)? = nil
) throws -> LambdaSelection {
    guard let population = dataset.neuralData else { throw CircuitFitError("--lambda auto: the dataset has no neural data") }
    guard !candidates.isEmpty, candidates.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
        throw CircuitFitError("--lambda auto: candidates must be ≥ 0, got \(candidates)")
    }
    // The neurons the fit would record, then a validation quarter of them.
    let recorded = try prepareFit(dataset: dataset, config: config).neural?.neurons ?? []
    guard recorded.count >= 2 else {
        throw CircuitFitError("--lambda auto needs at least 2 recorded neurons (some to fit, some to validate on), got M = \(recorded.count)")
    }
    let training = dataset.trainingConditions
    guard training.count >= 2 else {
        throw CircuitFitError("--lambda auto needs at least 2 training conditions (some to fit, some to validate on), got \(training.count)")
    }
    var random = SeededRandom(seed: config.seed).derived(7)
    let validationNeurons = random.sample(recorded, count: max(1, recorded.count / 4)).sorted()
    let fitNeurons = recorded.filter { !validationNeurons.contains($0) }
    let hasNaN = validationNeurons.contains { n in training.contains { c in (0..<population.d1).contains { population[c, $0, n].isNaN } } }
    guard !hasNaN else {
        throw CircuitFitError("--lambda auto: validation neurons have missing (NaN) samples on training conditions; choose λ explicitly")
    }

    var results: [LambdaCandidate] = []
    var validationConditions: [Int] = []
    for (i, lambda) in candidates.enumerated() {
        progress?(lambda, i, candidates.count)
        var c = config
        c.lambda = lambda
        c.recordNeurons = fitNeurons
        c.excludeTrainingConditions = max(1, training.count / 4)
        c.validationConditions = 0
        let model = try fitModel(dataset: dataset, config: c)
        if let error = model.training?.error { throw CircuitFitError("--lambda auto: the fit with λ = \(lambda) diverged: \(error.message)") }
        validationConditions = model.split.excluded
        let sim = try simulate(spec: model.spec, parameters: model.parameters, inputs: dataset.inputs)
        let r2 = try HeldOutNeuronR2().score(
            modelRates: sim.rates.asDouble, circuitRates: population, neurons: validationNeurons,
            trainingConditions: model.split.fit, heldOutConditions: model.split.excluded)
        let nmse = try normalizedMSE(predicted: sim.outputs.asDouble, target: dataset.targets, conditions: model.split.excluded)
        results.append(LambdaCandidate(lambda: lambda, validationNeuronR2: r2.pooledR2, validationOutputNMSE: nmse))
    }
    let best = results.map(\.validationNeuronR2).max()!
    let near = results.filter { $0.validationNeuronR2 >= best - 0.005 }
    let chosen = near.min { ($0.validationOutputNMSE, $0.lambda) < ($1.validationOutputNMSE, $1.lambda) }!
    let reason = "highest validation-neuron R² (\(String(format: "%.4f", chosen.validationNeuronR2)); \(validationNeurons.count) of \(recorded.count) recorded neurons held out of the loss, scored on \(validationConditions.count) training conditions held out of the loss)"
        + (near.count > 1 ? "; \(near.count) candidates within 0.005 of the best R², the one with the lowest validation output NMSE (\(String(format: "%.4f", chosen.validationOutputNMSE))) chosen" : "")
    return LambdaSelection(candidates: results, chosen: chosen.lambda, reason: reason, validationNeurons: validationNeurons, validationConditions: validationConditions)
}
