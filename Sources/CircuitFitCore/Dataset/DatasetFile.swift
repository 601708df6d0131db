import Foundation

/// Reading and writing `dataset.npz` (docs/files.md#datasetnpz): the arrays `train` reads, validated with
/// errors that name the file, the array and the expected versus actual shape.
extension ReachDataset {
    /// The time steps a dataset may have, ms: from 1 µs (finer bins leave a model's state almost
    /// still, α = dt/τ ≈ 0) to 1000 s.
    public static let timeStepRangeMs: ClosedRange<Double> = 0.001...1_000_000

    /// The dataset as NPZ arrays.
    public func archive(fileName: String = "dataset.npz") -> NPZArchive {
        var a = NPZArchive(fileName: fileName)
        a.set("inputs", NPYArray(inputs))
        a.set("targets", NPYArray(targets))
        if let rates { a.set("rates", NPYArray(rates)) }
        if let recorded { a.set("recorded", NPYArray(recorded)) }
        if let neuronIDs { a.set("neuron_ids", NPYArray(neuronIDs)) }
        if let reliability { a.set("reliability", NPYArray(reliability)) }
        if let recordedHalfA { a.set("recorded_half_a", NPYArray(recordedHalfA)) }
        if let recordedHalfB { a.set("recorded_half_b", NPYArray(recordedHalfB)) }
        if let excitatory { a.set("excitatory", NPYArray(excitatory.map { $0 ? 1 : 0 })) }
        if let conditionLabels { a.set("conditions", NPYArray(conditionLabels)) }
        a.set("angles", NPYArray(angles))
        a.set("train", NPYArray(isTraining.map { $0 ? 1 : 0 }))
        a.set("dt_ms", NPYArray(scalar: dtMs))
        a.set("go_index", NPYArray(scalar: goIndex))
        perturbations?.write(into: &a, conditions: conditions)
        return a
    }

    /// Reads and validates a dataset file.
    public static func read(from url: URL) throws -> ReachDataset {
        try ReachDataset(archive: NPZArchive.read(from: url))
    }

    /// Validates and converts NPZ arrays to a dataset.
    public init(archive a: NPZArchive) throws {
        let file = a.fileName
        let inputs = try a.array3("inputs", nil, nil, nil, dims: "[C,T,I]")
        let c = inputs.d0, t = inputs.d1
        let targets = try a.array3("targets", c, t, nil, dims: "[C,T,K]")
        let rates = a["rates"] == nil ? nil : try a.array3("rates", c, t, nil, dims: "[C,T,N]")
        let recorded = a["recorded"] == nil ? nil : try a.array3("recorded", c, t, nil, dims: "[C,T,M]")
        guard rates != nil || recorded != nil else {
            throw CircuitFitError("\(file): needs neural data: an array 'rates' [C,T,N] (ground truth) or 'recorded' [C,T,M] (recordings); has: \(a.names.joined(separator: ", "))")
        }
        let neuronIDs = a["neuron_ids"] == nil ? nil : try a.intVector("neuron_ids", count: recorded?.d2, dims: "[M]")
        let neuronCount = (rates ?? recorded)!.d2
        let reliability = a["reliability"] == nil || recorded == nil ? nil : try a.vector("reliability", count: recorded!.d2, dims: "[M]")
        let halfA = a["recorded_half_a"] == nil || recorded == nil ? nil : try a.array3("recorded_half_a", c, t, recorded!.d2, dims: "[C,T,M]")
        let halfB = a["recorded_half_b"] == nil || recorded == nil ? nil : try a.array3("recorded_half_b", c, t, recorded!.d2, dims: "[C,T,M]")
        guard (halfA == nil) == (halfB == nil) else {
            throw CircuitFitError("\(file): has only one of 'recorded_half_a' and 'recorded_half_b' (the split-half PSTHs come in pairs)")
        }
        let excitatory = a["excitatory"] == nil ? nil : try a.intVector("excitatory", count: neuronCount, dims: "[N]").map { $0 != 0 }
        let labels = a["conditions"] == nil ? nil : try a.vector("conditions", count: c, dims: "[C]")
        let angles = a["angles"] == nil ? [Double](repeating: .nan, count: c) : try a.vector("angles", count: c, dims: "[C]")
        let train = try a.intVector("train", count: c, dims: "[C]")
        guard train.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw CircuitFitError("\(file): array 'train' must hold only 1 (training) and 0 (held out), got \(Set(train).sorted())")
        }
        guard train.contains(1) else { throw CircuitFitError("\(file): array 'train' marks no training condition") }
        let dt = try a.scalar("dt_ms")
        guard dt >= ReachDataset.timeStepRangeMs.lowerBound && dt <= ReachDataset.timeStepRangeMs.upperBound else {
            throw CircuitFitError("\(file): dt_ms must be between \(ReachDataset.timeStepRangeMs.lowerBound) and \(ReachDataset.timeStepRangeMs.upperBound) ms, got \(dt)")
        }
        let go = try a.intScalar("go_index")
        guard go >= 0 && go <= t else { throw CircuitFitError("\(file): go_index must be in 0…\(t), got \(go)") }
        for (name, arr) in [("inputs", inputs), ("targets", targets)] + (rates.map { [("rates", $0)] } ?? []) {
            if let bad = arr.data.firstIndex(where: { !$0.isFinite }) {
                let (ci, rest) = bad.quotientAndRemainder(dividingBy: arr.d1 * arr.d2)
                throw CircuitFitError("\(file): array '\(name)' has a non-finite value (\(arr.data[bad])) at [\(ci), \(rest / arr.d2), \(rest % arr.d2)]; only 'recorded' may contain NaN (missing samples)")
            }
        }
        if let recorded, recorded.data.contains(where: { $0.isInfinite }) {
            throw CircuitFitError("\(file): array 'recorded' contains ±Inf (NaN marks missing samples; Inf is never valid)")
        }
        let perturbations = try PerturbationTrials.read(
            from: a, conditions: c, steps: t, outputs: targets.d2, neurons: neuronCount, hasRates: rates != nil)
        self.init(
            inputs: inputs, targets: targets, rates: rates, recorded: recorded, neuronIDs: neuronIDs,
            excitatory: excitatory, conditionLabels: labels, angles: angles, isTraining: train.map { $0 == 1 }, dtMs: dt, goIndex: go,
            reliability: reliability, recordedHalfA: halfA, recordedHalfB: halfB, perturbations: perturbations)
    }
}
