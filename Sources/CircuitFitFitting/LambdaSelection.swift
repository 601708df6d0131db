import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// One λ tried by `selectLambda`, with its cross-validated scores.
public struct LambdaCandidate: Codable, Equatable, Sendable {
    public var lambda: Double
    /// The mean over neuron folds of the left-out neurons' cross-validated R² (higher is better):
    /// a ridge map from the model's rates to the fold's neurons (never in the loss), fitted on all
    /// fit conditions but one and scored on that one, pooled over conditions.
    public var validationNeuronR2: Double
    /// Its standard error over the folds.
    public var standardError: Double
    /// The score of each fold.
    public var foldR2: [Double]
    /// Mean and standard error over folds of (this λ's fold score − λ = 0's), paired by fold.
    public var differenceFromZero: Double
    public var differenceStandardError: Double
    /// The fits' training output NMSE, mean over folds.
    public var outputNMSETrain: Double
    /// Not used since λ is chosen over neuron folds (no conditions are held out): always null.
    public var validationOutputNMSE: Double?

    enum CodingKeys: String, CodingKey {
        case lambda
        case validationNeuronR2 = "validation_neuron_r2"
        case standardError = "standard_error"
        case foldR2 = "fold_r2"
        case differenceFromZero = "difference_from_zero"
        case differenceStandardError = "difference_standard_error"
        case outputNMSETrain = "output_nmse_train"
        case validationOutputNMSE = "validation_output_nmse"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lambda, forKey: .lambda)
        try c.encode(validationNeuronR2, forKey: .validationNeuronR2)
        try c.encode(standardError, forKey: .standardError)
        try c.encode(foldR2, forKey: .foldR2)
        try c.encode(differenceFromZero, forKey: .differenceFromZero)
        try c.encode(differenceStandardError, forKey: .differenceStandardError)
        try c.encode(outputNMSETrain, forKey: .outputNMSETrain)
        try c.encode(validationOutputNMSE, forKey: .validationOutputNMSE)
    }
}

/// How `train --lambda auto` chose λ, recorded in the fit's config.json (docs/method.md#choosing-lambda-automatically).
public struct LambdaSelection: Codable, Equatable, Sendable {
    public var candidates: [LambdaCandidate]
    public var chosen: Double
    /// The decision in words, with the numbers behind it.
    public var reason: String
    /// True when the scores decided λ; false when they could not and the default was used.
    public var decided: Bool
    /// Every recorded neuron (each is left out of the loss in exactly one fold).
    public var validationNeurons: [Int]
    /// The fit conditions the ridge map is validated across (leave one condition out).
    public var validationConditions: [Int]
    /// The neuron folds.
    public var folds: [[Int]]

    enum CodingKeys: String, CodingKey {
        case candidates
        case chosen
        case reason
        case decided
        case validationNeurons = "validation_neurons"
        case validationConditions = "validation_conditions"
        case folds
    }
}

/// What `selectLambda` reports while its fits run (from worker threads).
public struct LambdaSelectionProgress: Sendable {
    /// Fits finished, and all fits to run.
    public var finished: Int
    public var total: Int
    public var seconds: Double
    /// Estimated seconds to go, from the fits finished so far (nil before the first).
    public var etaSeconds: Double?
    /// The fit that just finished, e.g. "λ = 1, fold 2".
    public var last: String
}

/// The default λ used when cross-validation cannot decide (docs/method.md#choosing-lambda-automatically).
public let defaultLambda = FitConfig().lambda

/// Chooses λ by cross-validation over the recorded NEURONS (docs/method.md#choosing-lambda-automatically): the
/// recorded neurons are split (by `config.seed`) into `folds` folds; for each candidate λ and fold
/// the model is fitted with that fold left out of the neural term, and scored by how well its
/// rates predict the fold's neurons: a ridge map validated across conditions (fitted on all fit
/// conditions but one, scored on that one, for each one), so every condition contributes. λ = 0
/// ignores the neurons, so it is fitted once. Each λ gets the mean and standard error of its fold
/// scores; the rule:
///   1. every mean R² ≤ 0 (no candidate predicts the left-out neurons better than their mean) →
///      undecided, use the default λ;
///   2. no λ > 0 beats λ = 0 by more than the standard error of the paired difference →
///      undecided, use the default λ;
///   3. otherwise the smallest λ > 0 that beats λ = 0 so and is within one standard error of the
///      best mean (the one-standard-error rule).
/// The dataset's held-out conditions are never used. Folds are drawn by `foldSeed` (default:
/// `config.seed`). Fits run `workers` at a time.
public func selectLambda(
    dataset: ReachDataset, config: FitConfig, candidates: [Double] = [0, 0.1, 0.3, 1, 3, 10],
    folds requestedFolds: Int = 4, foldSeed: UInt64? = nil, workers: Int = 1,
    progress: (@Sendable (LambdaSelectionProgress) -> Void)? = nil
) throws -> LambdaSelection {
    guard let population = dataset.neuralData else { throw CircuitFitError("--lambda auto: the dataset has no neural data") }
    guard !candidates.isEmpty, candidates.allSatisfy({ $0 >= 0 && $0.isFinite }), Set(candidates).count == candidates.count else {
        throw CircuitFitError("--lambda auto: candidates must be distinct and ≥ 0, got \(candidates)")
    }
    let lambdas = ([0] + candidates.filter { $0 > 0 }).sorted()
    let base = try prepareFit(dataset: dataset, config: config)
    let recorded = base.neural?.neurons ?? []
    guard recorded.count >= 2 else {
        throw CircuitFitError("--lambda auto needs at least 2 recorded neurons (the folds leave some out of the loss to score the others), got M = \(recorded.count)")
    }
    let conditions = base.split.fit
    guard conditions.count >= 2 else {
        throw CircuitFitError("--lambda auto needs at least 2 fit conditions (the ridge map is validated across them), got \(conditions.count)")
    }
    for n in recorded {
        for c in conditions { for t in 0..<population.d1 where population[c, t, n].isNaN {
            throw CircuitFitError("--lambda auto: recorded neuron \(n) has missing (NaN) samples on fit condition \(c); choose λ explicitly")
        } }
    }
    let k = min(requestedFolds, recorded.count)
    var random = SeededRandom(seed: foldSeed ?? config.seed).derived(FitStream.lambdaFolds.rawValue)
    let shuffled = random.sample(recorded, count: recorded.count)
    let foldNeurons = (0..<k).map { f in stride(from: f, to: shuffled.count, by: k).map { shuffled[$0] }.sorted() }

    // the fits: λ = 0 once (no neural term), every λ > 0 once per fold
    struct Job: Sendable { var lambda: Double; var fold: Int? }
    let jobs = [Job(lambda: 0, fold: nil)] + lambdas.filter { $0 > 0 }.flatMap { lambda in (0..<k).map { Job(lambda: lambda, fold: $0) } }
    let counter = SelectionCounter(total: jobs.count)
    let results = parallelMap(jobs.count, workers: max(1, workers)) { i -> Result<(rates: Array3<Double>, nmse: Double), CircuitFitError> in
        let job = jobs[i]
        var c = config
        c.lambda = job.lambda
        c.validationConditions = 0
        if let f = job.fold {
            c.recordNeurons = recorded.filter { !foldNeurons[f].contains($0) }
        } else {
            c.recordNeurons = []
            c.record = 0
        }
        do {
            let model = try fitModel(dataset: dataset, config: c)
            if let error = model.training?.error { throw CircuitFitError("the fit with λ = \(job.lambda) diverged: \(error.message)") }
            let sim = try simulate(spec: model.spec, parameters: model.parameters, inputs: dataset.inputs)
            let nmse = try normalizedMSE(predicted: sim.outputs.asDouble, target: dataset.targets, conditions: model.split.fit)
            progress?(counter.finished("λ = \(fmt(job.lambda))\(job.fold.map { ", fold \($0 + 1)" } ?? "")"))
            return .success((sim.rates.asDouble, nmse))
        } catch {
            return .failure((error as? CircuitFitError) ?? CircuitFitError("\(error)"))
        }
    }
    var fitted: [(rates: Array3<Double>, nmse: Double)] = []
    for r in results {
        switch r {
        case .success(let v): fitted.append(v)
        case .failure(let e): throw CircuitFitError("--lambda auto: \(e.message)")
        }
    }

    // scores: fold f's neurons predicted from the rates of each λ's fold-f fit (λ = 0: the one fit)
    func score(_ rates: Array3<Double>, fold f: Int) throws -> Double {
        try crossValidatedR2(modelRates: rates, population: population, neurons: foldNeurons[f], conditions: conditions)
    }
    let zeroScores = try (0..<k).map { try score(fitted[0].rates, fold: $0) }
    var out: [LambdaCandidate] = []
    for lambda in lambdas {
        let indices = lambda == 0 ? [Int](repeating: 0, count: k) : (0..<k).map { f in jobs.firstIndex { $0.lambda == lambda && $0.fold == f }! }
        let scores = lambda == 0 ? zeroScores : try (0..<k).map { try score(fitted[indices[$0]].rates, fold: $0) }
        let (m, se) = meanAndStandardError(scores)
        let (dm, dse) = meanAndStandardError(zip(scores, zeroScores).map { $0 - $1 })
        out.append(LambdaCandidate(
            lambda: lambda, validationNeuronR2: m, standardError: se, foldR2: scores,
            differenceFromZero: dm, differenceStandardError: dse,
            outputNMSETrain: indices.map { fitted[$0].nmse }.reduce(0, +) / Double(k), validationOutputNMSE: nil))
    }
    let (chosen, decided, reason) = decideLambda(out, folds: k, recorded: recorded.count, conditions: conditions.count)
    return LambdaSelection(
        candidates: out, chosen: chosen, reason: reason, decided: decided, validationNeurons: recorded.sorted(),
        validationConditions: conditions, folds: foldNeurons)
}

/// The stated rule of `selectLambda` on scored candidates (λ = 0 among them).
func decideLambda(_ candidates: [LambdaCandidate], folds: Int, recorded: Int, conditions: Int) -> (Double, Bool, String) {
    let setting = "\(folds) folds of \(recorded) recorded neurons, ridge map validated across \(conditions) conditions"
    func text(_ c: LambdaCandidate) -> String { "λ = \(fmt(c.lambda)): R² \(f4(c.validationNeuronR2)) ± \(f4(c.standardError))" }
    if candidates.allSatisfy({ $0.validationNeuronR2 <= 0 }) {
        return (defaultLambda, false, "undecided: no candidate predicts the left-out neurons better than their mean (every cross-validated R² ≤ 0; best \(text(candidates.max { $0.validationNeuronR2 < $1.validationNeuronR2 }!))), so the default λ = \(fmt(defaultLambda)) is used (\(setting))")
    }
    let beating = candidates.filter { $0.lambda > 0 && $0.differenceFromZero > $0.differenceStandardError }
    guard !beating.isEmpty else {
        let best = candidates.filter { $0.lambda > 0 }.max { $0.differenceFromZero < $1.differenceFromZero }
        let detail = best.map { "; the closest, λ = \(fmt($0.lambda)), differs from λ = 0 by \(f4($0.differenceFromZero)) ± \(f4($0.differenceStandardError))" } ?? ""
        return (defaultLambda, false, "undecided: no λ > 0 beats λ = 0 by more than one standard error\(detail), so the default λ = \(fmt(defaultLambda)) is used (\(setting))")
    }
    let best = candidates.max { $0.validationNeuronR2 < $1.validationNeuronR2 }!
    let choice = beating.filter { $0.validationNeuronR2 >= best.validationNeuronR2 - best.standardError }.min { $0.lambda < $1.lambda }
        ?? beating.max { $0.validationNeuronR2 < $1.validationNeuronR2 }!
    let oneSE = choice.lambda == best.lambda ? "the best score" : "the smallest λ within one standard error of the best (\(text(best)))"
    return (choice.lambda, true, "\(text(choice)), \(oneSE); beats λ = 0 by \(f4(choice.differenceFromZero)) ± \(f4(choice.differenceStandardError)) (\(setting))")
}

/// 1 − ΣSSE/ΣSST of `neurons` of `population` predicted from `modelRates` ([C, T, ·]) by ridge
/// maps fitted on all `conditions` but one and scored on that one, over every one of them; SST
/// around each neuron's mean over all the conditions' samples.
func crossValidatedR2(modelRates: Array3<Double>, population: Array3<Double>, neurons: [Int], conditions: [Int]) throws -> Double {
    let y = try stackConditions(population, conditions: conditions, channels: neurons)
    let means = (0..<y.cols).map { j in (0..<y.rows).map { y[$0, j] }.reduce(0, +) / Double(y.rows) }
    var sse = 0.0, sst = 0.0
    for left in conditions {
        let rest = conditions.filter { $0 != left }
        let readout = try HeldOutNeuronR2().fit(
            rates: stackConditions(modelRates, conditions: rest), neurons: stackConditions(population, conditions: rest, channels: neurons))
        let predicted = try readout.predict(stackConditions(modelRates, conditions: [left]))
        let actual = try stackConditions(population, conditions: [left], channels: neurons)
        for i in 0..<actual.rows {
            for j in 0..<actual.cols {
                let e = actual[i, j] - predicted[i, j], d = actual[i, j] - means[j]
                sse += e * e; sst += d * d
            }
        }
    }
    guard sst > 0 else { throw CircuitFitError("--lambda auto: the left-out neurons \(neurons) are constant over the fit conditions; R² is undefined") }
    return 1 - sse / sst
}

/// Mean and standard error (sample sd / √n; 0 for one value).
func meanAndStandardError(_ x: [Double]) -> (Double, Double) {
    let n = Double(x.count)
    let m = x.reduce(0, +) / n
    guard x.count > 1 else { return (m, 0) }
    let v = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / (n - 1)
    return (m, (v / n).squareRoot())
}

private func fmt(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(x) }
private func f4(_ x: Double) -> String { String(format: "%.4f", x) }

/// Counts finished fits across threads and estimates the time left.
private final class SelectionCounter: @unchecked Sendable {
    let lock = NSLock()
    let total: Int
    var done = 0
    let start = Date()
    init(total: Int) { self.total = total }
    func finished(_ what: String) -> LambdaSelectionProgress {
        lock.lock(); defer { lock.unlock() }
        done += 1
        let s = Date().timeIntervalSince(start)
        return LambdaSelectionProgress(finished: done, total: total, seconds: s, etaSeconds: s / Double(done) * Double(total - done), last: what)
    }
}
