import CircuitFitCore

/// A population to score a model against instead of the dataset it was fitted to: typically the
/// full ground-truth circuit (`rates` of a dataset from `generate`) behind a recording that was
/// made from it and imported (`evaluate MODEL DATASET --reference CIRCUIT_DATASET`).
///
/// The reference must be on the dataset's grid (same conditions in the same order, same time
/// steps). The model's recorded neurons, indices into the dataset's neural data, are mapped to
/// reference neurons:
/// - an imported dataset (`recorded` + `neuron_ids`): recorded neuron m is reference neuron
///   `neuron_ids[m]`, so the recording's unit ids must be the reference's neuron indices (as
///   `scripts/circuit_to_nwb.py` writes them);
/// - a generated dataset (`rates`): the same index (the reference must have as many neurons).
public struct ReferencePopulation: Sendable {
    /// Rates [C, T, N] on the dataset's conditions and time steps.
    public var rates: Array3<Double>
    /// The reference neuron of each of the model's recorded neurons (same order).
    public var recordedNeurons: [Int]

    public init(rates: Array3<Double>, recordedNeurons: [Int]) {
        self.rates = rates; self.recordedNeurons = recordedNeurons
    }

    /// The reference made of `reference`'s `rates` for a model fitted to `dataset` with the recorded
    /// neurons `recordedNeurons` (indices into `dataset`'s neural data). Errors name `names`
    /// (dataset, reference), e.g. the two file paths.
    public init(
        reference: ReachDataset, dataset: ReachDataset, recordedNeurons: [Int],
        names: (dataset: String, reference: String) = ("the dataset", "the reference")
    ) throws {
        guard let rates = reference.rates else {
            throw CircuitFitError("reference \(names.reference) has no `rates` (every circuit neuron's ground truth): the reference must be a dataset made by `generate`")
        }
        let population = ReferencePopulation(rates: rates, recordedNeurons: [])
        try population.requireGrid(of: dataset, names: names)
        let n = rates.d2
        var mapped: [Int]
        if let own = dataset.rates {
            guard own.d2 == n else {
                throw CircuitFitError("\(names.dataset) has `rates` of \(own.d2) neurons but reference \(names.reference) has \(n): a generated dataset's neurons map to the reference by index, so the counts must match")
            }
            mapped = recordedNeurons
        } else {
            guard let ids = dataset.neuronIDs else {
                throw CircuitFitError("\(names.dataset) has no `neuron_ids`: cannot tell which reference neurons its recordings are")
            }
            mapped = try recordedNeurons.map { m in
                guard m >= 0 && m < ids.count else {
                    throw CircuitFitError("model's recorded neuron \(m) is outside \(names.dataset)'s \(ids.count) neurons: was it fitted to another dataset?")
                }
                return ids[m]
            }
        }
        if let bad = mapped.first(where: { $0 < 0 || $0 >= n }) {
            throw CircuitFitError("\(names.dataset): neuron id \(bad) is not a neuron of reference \(names.reference) (\(n) neurons, ids 0…\(n - 1)); the recording's unit ids must be the reference's neuron indices")
        }
        if Set(mapped).count != mapped.count {
            throw CircuitFitError("\(names.dataset): the model's recorded neurons map to repeated reference neurons (\(mapped.map(String.init).joined(separator: ", "))): neuron ids must be unique")
        }
        // Same conditions in the same order: where both know a condition's angle, they must agree.
        for c in 0..<min(dataset.angles.count, reference.angles.count) {
            let a = dataset.angles[c], b = reference.angles[c]
            if a.isFinite && b.isFinite && abs(a - b) > 1e-6 {
                throw CircuitFitError("condition \(c) has reach angle \(a) rad in \(names.dataset) but \(b) rad in reference \(names.reference): the conditions must be the same, in the same order")
            }
        }
        self.init(rates: rates, recordedNeurons: mapped)
    }

    /// Throws unless the reference has `dataset`'s condition count and time steps, naming both shapes.
    package func requireGrid(of dataset: ReachDataset, names: (dataset: String, reference: String) = ("the dataset", "the reference")) throws {
        guard rates.d0 == dataset.conditions && rates.d1 == dataset.steps else {
            let data = dataset.neuralData.map { "[\($0.d0), \($0.d1), \($0.d2)]" } ?? "[\(dataset.conditions), \(dataset.steps), ·]"
            throw CircuitFitError("reference \(names.reference) has rates of shape [\(rates.d0), \(rates.d1), \(rates.d2)] (conditions, time steps, neurons) but \(names.dataset) is \(data): the reference must have the same conditions and time steps")
        }
    }
}
