/// How a perturbation set acts on its neurons (docs/method.md § Perturbation trials).
public enum PerturbationKind: String, Codable, Sendable, CaseIterable {
    /// Clamped at baseline: the neuron's rate deviation held at 0 Hz during the window.
    case silence
    /// A step input of `amplitudeHz` added to the neuron's τ dx/dt during the window.
    case stimulate
}

/// One perturbation set of a dataset: which neurons, how, when, and whether training may see it.
public struct PerturbationSet: Sendable, Equatable, Codable {
    /// Columns of the dataset's neural array (`rates` [·, ·, N] or `recorded` [·, ·, M]), [k].
    public var neurons: [Int]
    public var kind: PerturbationKind
    /// Time steps [start, end) it acts on (the dataset's bins).
    public var window: Range<Int>
    /// Stimulus size, Hz (stimulate); 0 for silence.
    public var amplitudeHz: Double
    /// true = a training set (a fit may use its trials), false = held out for testing only.
    public var isTraining: Bool

    public init(neurons: [Int], kind: PerturbationKind, window: Range<Int>, amplitudeHz: Double, isTraining: Bool) {
        self.neurons = neurons; self.kind = kind; self.window = window
        self.amplitudeHz = amplitudeHz; self.isTraining = isTraining
    }
}

/// The perturbation trials of a dataset: the table of sets and, for every set and every
/// condition, the perturbed run (docs/files.md#datasetnpz, the perturbation arrays). Arrays are
/// [P·C, T, ·], row p·C + c = set p in condition c (written to dataset.npz as [P, C, T, ·]).
public struct PerturbationTrials: Sendable, Equatable {
    public var sets: [PerturbationSet]
    /// Perturbed ground-truth rates, Hz relative to baseline [P·C, T, N] (generated data).
    public var rates: Array3<Double>?
    /// Perturbed recorded PSTHs, Hz [P·C, T, M] (imported data; NaN = missing).
    public var recorded: Array3<Double>?
    /// Perturbed muscle outputs [P·C, T, K].
    public var targets: Array3<Double>

    public init(sets: [PerturbationSet], rates: Array3<Double>? = nil, recorded: Array3<Double>? = nil, targets: Array3<Double>) {
        self.sets = sets; self.rates = rates; self.recorded = recorded; self.targets = targets
    }

    public var trainingSets: [Int] { sets.indices.filter { sets[$0].isTraining } }
    public var heldOutSets: [Int] { sets.indices.filter { !sets[$0].isTraining } }

    /// The perturbed neural data: ground-truth rates if present, else the recordings.
    public var neuralData: Array3<Double>? { rates ?? recorded }

    /// Rows [C, T, X] of set p out of a [P·C, T, X] array.
    public static func rows(_ a: Array3<Double>, set p: Int, conditions C: Int) -> Array3<Double> {
        let block = C * a.d1 * a.d2
        return Array3(C, a.d1, a.d2, data: Array(a.data[(p * block)..<((p + 1) * block)]))
    }

    /// NPZ arrays: perturbation_neurons [P, k_max] (−1 pads a smaller set), perturbation_kind
    /// [P] ("silence"/"stimulate"), perturbation_window [P, 2] (start, end steps),
    /// perturbation_amplitude_hz [P], perturbation_train [P] (1/0), perturbed_rates /
    /// perturbed_recorded [P, C, T, ·], perturbed_targets [P, C, T, K].
    func write(into a: inout NPZArchive, conditions C: Int) {
        let P = sets.count, width = sets.map(\.neurons.count).max() ?? 0
        var neurons = [Int](repeating: -1, count: P * width)
        for (p, s) in sets.enumerated() { for (j, n) in s.neurons.enumerated() { neurons[p * width + j] = n } }
        a.set("perturbation_neurons", NPYArray(neurons, shape: [P, width]))
        a.set("perturbation_kind", NPYArray(strings: sets.map(\.kind.rawValue)))
        a.set("perturbation_window", NPYArray(sets.flatMap { [$0.window.lowerBound, $0.window.upperBound] }, shape: [P, 2]))
        a.set("perturbation_amplitude_hz", NPYArray(sets.map(\.amplitudeHz)))
        a.set("perturbation_train", NPYArray(sets.map { $0.isTraining ? 1 : 0 }))
        func four(_ x: Array3<Double>) -> NPYArray { NPYArray(x.data, shape: [P, C, x.d1, x.d2]) }
        if let rates { a.set("perturbed_rates", four(rates)) }
        if let recorded { a.set("perturbed_recorded", four(recorded)) }
        a.set("perturbed_targets", four(targets))
    }

    /// Reads and validates the perturbation arrays of a dataset file with C conditions, T steps,
    /// K outputs and `neurons` neural columns; nil when the file has none (an older dataset).
    static func read(from a: NPZArchive, conditions C: Int, steps T: Int, outputs K: Int, neurons N: Int,
                     hasRates: Bool) throws -> PerturbationTrials? {
        let file = a.fileName
        guard let table = a["perturbation_neurons"] else {
            if let stray = a.names.first(where: { $0.hasPrefix("perturb") }) {
                throw CircuitFitError("\(file): has '\(stray)' but no 'perturbation_neurons' [P,k] (the perturbation table comes whole)")
            }
            return nil
        }
        guard table.shape.count == 2 else {
            throw CircuitFitError("\(file): array 'perturbation_neurons' has shape \(table.shape), expected [P,k]")
        }
        let P = table.shape[0], width = table.shape[1]
        let ids = table.ints
        let kinds = try a.strings("perturbation_kind")
        guard kinds.count == P else { throw CircuitFitError("\(file): array 'perturbation_kind' has \(kinds.count) entries, expected [P] = \(P)") }
        let windowArray = try a.require("perturbation_window")
        guard windowArray.shape == [P, 2] else {
            throw CircuitFitError("\(file): array 'perturbation_window' has shape \(windowArray.shape), expected [P,2] = [\(P), 2]")
        }
        let windows = windowArray.ints
        let amplitudes = try a.vector("perturbation_amplitude_hz", count: P, dims: "[P]")
        let train = try a.intVector("perturbation_train", count: P, dims: "[P]")
        var sets: [PerturbationSet] = []
        for p in 0..<P {
            let row = ids[(p * width)..<((p + 1) * width)]
            let neurons = row.filter { $0 >= 0 }
            guard !neurons.isEmpty, neurons.allSatisfy({ $0 < N }), Set(neurons).count == neurons.count,
                  row.drop(while: { $0 >= 0 }).allSatisfy({ $0 == -1 }) else {
                throw CircuitFitError("\(file): perturbation set \(p) lists neurons \(Array(row)): need distinct columns in 0..<\(N), −1 only as trailing padding")
            }
            guard let kind = PerturbationKind(rawValue: kinds[p]) else {
                throw CircuitFitError("\(file): perturbation set \(p) has kind '\(kinds[p])', expected silence or stimulate")
            }
            let start = windows[2 * p], end = windows[2 * p + 1]
            guard start >= 0, start < end, end <= T else {
                throw CircuitFitError("\(file): perturbation set \(p) has window [\(start), \(end)), need 0 ≤ start < end ≤ \(T) steps")
            }
            guard amplitudes[p].isFinite, kind == .stimulate || amplitudes[p] == 0 else {
                throw CircuitFitError("\(file): perturbation set \(p) (\(kind.rawValue)) has amplitude \(amplitudes[p]) Hz: must be finite, and 0 for silence")
            }
            guard train[p] == 0 || train[p] == 1 else {
                throw CircuitFitError("\(file): array 'perturbation_train' must hold only 1 (training) and 0 (held out), got \(train[p]) for set \(p)")
            }
            sets.append(PerturbationSet(neurons: neurons, kind: kind, window: start..<end, amplitudeHz: amplitudes[p], isTraining: train[p] == 1))
        }
        func four(_ name: String, _ last: Int?) throws -> Array3<Double>? {
            guard let x = a[name] else { return nil }
            guard x.shape.count == 4, x.shape[0] == P, x.shape[1] == C, x.shape[2] == T, last == nil || x.shape[3] == last else {
                throw CircuitFitError("\(file): array '\(name)' has shape \(x.shape), expected [P,C,T,·] = [\(P), \(C), \(T), \(last.map(String.init) ?? "·")]")
            }
            return Array3(P * C, T, x.shape[3], data: x.doubles)
        }
        guard let targets = try four("perturbed_targets", K) else {
            throw CircuitFitError("\(file): has a perturbation table but no 'perturbed_targets' [P,C,T,K]")
        }
        let rates = try four("perturbed_rates", hasRates ? N : nil)
        let recorded = try four("perturbed_recorded", hasRates ? nil : N)
        guard rates != nil || recorded != nil else {
            throw CircuitFitError("\(file): has a perturbation table but neither 'perturbed_rates' nor 'perturbed_recorded' [P,C,T,·]")
        }
        for (name, x) in [("perturbed_targets", targets)] + (rates.map { [("perturbed_rates", $0)] } ?? []) where x.data.contains(where: { !$0.isFinite }) {
            throw CircuitFitError("\(file): array '\(name)' contains NaN or Inf; only 'perturbed_recorded' may contain NaN (missing samples)")
        }
        return PerturbationTrials(sets: sets, rates: rates, recorded: recorded, targets: targets)
    }
}
