import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting

/// The two arms of docs/method.md#the-two-arms: the paper's plain setting, and biological priors.
public enum ExperimentArm: String, Codable, CaseIterable, Sendable {
    /// No regularisers, no sign constraints.
    case plain
    /// Rate L2 β_r = 1e-2, weight L2 1e-4 on J, B, C, Dale's law with the circuit's E/I split.
    case priors

    /// `base` with this arm's settings applied.
    public func apply(to base: FitConfig) -> FitConfig {
        var c = base
        if self == .priors {
            c.betaRate = 1e-2
            c.betaJ = 1e-4; c.betaIn = 1e-4; c.betaOut = 1e-4
            c.dale = true
        }
        return c
    }
}

/// Everything an experiment is set by: which circuits, seeds, M, λ and arms, and the fit and
/// circuit configurations every fit starts from. Saved as `experiment.json` in the folder so a
/// resumed run (or a Slurm array task) does exactly the same work.
public struct ExperimentConfig: Codable, Equatable, Sendable {
    /// Seeds: seed s generates circuit s (unless `dataset` is set) and seeds neuron sampling and
    /// model initialisation of its fits.
    public var seeds: [UInt64] = Array(1...10)
    public var recordCounts: [Int] = [0, 2, 5, 10, 20, 50, 100, 200]
    public var lambdas: [Double] = [0, 1]
    public var arms: [ExperimentArm] = [.plain, .priors]
    /// Every fit's configuration before the arm, M, λ and seed are applied.
    public var fit: FitConfig = FitConfig()
    /// The circuit generated for each seed (its `seed` is replaced by the experiment seed).
    public var circuit: CircuitConfig = CircuitConfig()
    /// A dataset file used for every seed instead of generating circuits ("" = generate).
    public var dataset: String = ""
    /// Generate one circuit (circuit.seed) shared by all seeds instead of one per seed.
    public var sharedCircuit: Bool = false
    /// Run the mechanism audit of every fit against its ground-truth circuit (when the dataset
    /// has one) and put its headline numbers in the result rows (docs/method.md § Mechanism
    /// audit). An `experiment.json` written before this key existed reads as `true`.
    public var audit: Bool = true
    /// The numbers P of training perturbation sets each fit with λ > 0 and M > 0 is trained
    /// with (docs/method.md#perturbation-sets-in-the-experiment); nil (absent from JSON) = [0],
    /// the plan without perturbation trials, so every earlier `experiment.json` reads unchanged.
    public var perturbationSets: [Int]? = nil

    public init() {}

    /// The plan's values of P: `perturbationSets`, or [0] when it has none.
    public var perturbationSetCounts: [Int] { perturbationSets ?? [0] }
    /// The largest P (0 when the plan has no perturbation trials).
    public var largestPerturbationSets: Int { perturbationSetCounts.max() ?? 0 }

    enum CodingKeys: String, CodingKey {
        case seeds, recordCounts, lambdas, arms, fit, circuit, dataset, sharedCircuit, audit, perturbationSets
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seeds = try c.decode([UInt64].self, forKey: .seeds)
        recordCounts = try c.decode([Int].self, forKey: .recordCounts)
        lambdas = try c.decode([Double].self, forKey: .lambdas)
        arms = try c.decode([ExperimentArm].self, forKey: .arms)
        fit = try c.decode(FitConfig.self, forKey: .fit)
        circuit = try c.decode(CircuitConfig.self, forKey: .circuit)
        dataset = try c.decode(String.self, forKey: .dataset)
        sharedCircuit = try c.decode(Bool.self, forKey: .sharedCircuit)
        audit = try c.decodeIfPresent(Bool.self, forKey: .audit) ?? true
        perturbationSets = try c.decodeIfPresent([Int].self, forKey: .perturbationSets)
    }

    public func validate() throws {
        guard !seeds.isEmpty else { throw CircuitFitError("experiment: no seeds") }
        guard Set(seeds).count == seeds.count else { throw CircuitFitError("experiment: repeated seeds \(seeds)") }
        guard !recordCounts.isEmpty, recordCounts.allSatisfy({ $0 >= 0 }) else {
            throw CircuitFitError("experiment: record counts must be ≥ 0, got \(recordCounts)")
        }
        guard !lambdas.isEmpty, lambdas.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw CircuitFitError("experiment: λ values must be ≥ 0, got \(lambdas)")
        }
        guard !arms.isEmpty else { throw CircuitFitError("experiment: no arms") }
        try fit.validate()
        if dataset.isEmpty { try circuit.validate() }
        try validatePerturbationSets()
    }

    /// The checks of the P dimension that need no file: values ≥ 0 and distinct; P > 0 needs
    /// fits that tie recorded neurons to model units (identity mapping, some M > 0 and λ > 0),
    /// and generated circuits with at least max P training sets. The per-fit setting
    /// `fit.perturbationSets` is the plan's to set, never given in the plan's `fit`.
    func validatePerturbationSets() throws {
        guard let sets = perturbationSets else { return }
        guard !sets.isEmpty, sets.allSatisfy({ $0 >= 0 }) else {
            throw CircuitFitError("experiment: perturbation set counts P must be ≥ 0, got \(sets)")
        }
        guard Set(sets).count == sets.count else { throw CircuitFitError("experiment: repeated perturbation set counts \(sets)") }
        guard fit.perturbationSets == nil else {
            throw CircuitFitError("experiment: the fit settings' perturbationSets (\(fit.perturbationSets!)) is set per fit by the plan: give the plan's --perturbation-sets list instead")
        }
        let largest = largestPerturbationSets
        guard largest > 0 else { return }
        guard fit.mapping == .identity else {
            throw CircuitFitError("experiment: perturbation sets P = \(largest) need the identity mapping (the set's neurons tied to model units), but the fits use the \(fit.mapping.rawValue) mapping")
        }
        guard recordCounts.contains(where: { $0 > 0 }), lambdas.contains(where: { $0 > 0 }) else {
            throw CircuitFitError("experiment: perturbation sets P > 0 need fits with recorded neurons: some M > 0 and some λ > 0 (got M = \(recordCounts), λ = \(lambdas))")
        }
        if dataset.isEmpty {
            guard let trials = circuit.perturbationTrials else {
                throw CircuitFitError("experiment: perturbation sets P = \(largest) need circuits generated with perturbation trials (circuit.perturbationTrials)")
            }
            let training = trials.sets - trials.heldOutSets
            guard training >= largest else {
                throw CircuitFitError("experiment: P = \(largest) needs \(largest) training perturbation sets, but the circuits have \(training) (\(trials.sets) sets, \(trials.heldOutSets) held out)")
            }
            // the sets' neurons are recorded first; they must fit in every M (at most the pool)
            let population = trials.population == .E ? circuit.excitatoryCount : trials.population == .I ? circuit.neurons - circuit.excitatoryCount : circuit.neurons
            let perturbable = min(trials.pool > 0 ? trials.pool : population, trials.sets * trials.size)
            try requireRecorded(perturbable, what: "the perturbation sets draw from \(perturbable) neurons (\(trials.pool > 0 ? "the pool" : "sets × size"))")
        }
    }

    /// Every M > 0 must hold the perturbed neurons (they are recorded first, docs/method.md#perturbation-trials).
    private func requireRecorded(_ neurons: Int, what: String) throws {
        if let m = recordCounts.filter({ $0 > 0 }).min(), m < neurons {
            throw CircuitFitError("experiment: P > 0 needs every perturbed neuron recorded, but \(what) and the plan has M = \(m): give M ≥ \(neurons) or a smaller pool (--perturbation-pool)")
        }
    }

    /// Throws a one-line error when `dataset` (read from `path`) cannot give the plan's P values:
    /// no perturbation table, or fewer training sets than the largest P.
    public func requirePerturbationSets(in dataset: ReachDataset, path: String) throws {
        let largest = largestPerturbationSets
        guard largest > 0 else { return }
        guard let table = dataset.perturbations else {
            throw CircuitFitError("\(path): no perturbation table, but the plan asks for P = \(largest) training perturbation sets (generate the dataset with --perturbation-sets)")
        }
        let training = table.sets.filter(\.isTraining).count
        guard training >= largest else {
            throw CircuitFitError("\(path): \(training) training perturbation set\(training == 1 ? "" : "s"), but the plan asks for P = \(largest)")
        }
        let perturbed = Set(table.sets.flatMap(\.neurons)).count
        try requireRecorded(perturbed, what: "\(path)'s perturbation sets hold \(perturbed) distinct neurons")
    }

    /// The perturbation trials a plan with training sets up to `largest` generates when the
    /// circuit settings give none (docs/method.md#perturbation-sets-in-the-experiment): `largest`
    /// training sets plus `heldOut` held-out sets of `size` excitatory neurons, silenced over the
    /// whole movement epoch, all drawn from one seeded pool of `pool` E neurons (capped at the
    /// circuit's E neurons).
    public static func perturbationTrials(trainingSets largest: Int, circuit: CircuitConfig, size: Int = 5, pool: Int = 20, heldOut: Int = 4) -> PerturbationTrialConfig {
        var t = PerturbationTrialConfig()
        t.sets = largest + heldOut
        t.heldOutSets = heldOut
        t.size = size
        t.population = .E
        t.kind = .silence
        t.pool = min(pool, circuit.excitatoryCount)
        t.windowMs = [0, circuit.movementMs]
        return t
    }

    /// Which dataset a seed's fits read, relative to the experiment folder.
    public func datasetPath(seed: UInt64) -> String {
        if !dataset.isEmpty { return dataset }
        return sharedCircuit ? "circuits/shared/dataset.npz" : "circuits/seed-\(seed)/dataset.npz"
    }

    /// The folder (relative to the experiment) of the circuit a seed's fits read; for a given
    /// `dataset`, the folder that holds it.
    public func circuitFolder(seed: UInt64) -> String {
        (datasetPath(seed: seed) as NSString).deletingLastPathComponent
    }

    /// The circuit folders to generate: (folder relative to the experiment, circuit seed).
    public var circuitsToGenerate: [(folder: String, seed: UInt64)] {
        if !dataset.isEmpty { return [] }
        if sharedCircuit { return [("circuits/shared", circuit.seed)] }
        return seeds.map { ("circuits/seed-\($0)", $0) }
    }

    /// The fits to run, in a fixed order. A task-only fit (λ = 0 or M = 0) does not depend on M
    /// (its loss has no neural term), so one such fit per seed and arm is scored against the
    /// recorded sets of every M: the λ = 0 rows of all M share one trained network.
    public var units: [FitUnit] {
        var out: [FitUnit] = []
        for seed in seeds {
            for arm in arms {
                let taskOnlyCounts = lambdas.contains(0) ? recordCounts : recordCounts.filter { $0 == 0 }
                if !taskOnlyCounts.isEmpty {
                    out.append(FitUnit(seed: seed, arm: arm, lambda: 0, recordCounts: Array(Set(taskOnlyCounts)).sorted()))
                }
                for lambda in lambdas where lambda > 0 {
                    for m in recordCounts where m > 0 {
                        for p in perturbationSetCounts {
                            out.append(FitUnit(seed: seed, arm: arm, lambda: lambda, recordCounts: [m], perturbationSets: p > 0 ? p : nil))
                        }
                    }
                }
            }
        }
        return out
    }
}

/// One training run of an experiment, and the rows (M values) it is scored for.
public struct FitUnit: Codable, Equatable, Hashable, Sendable {
    public var seed: UInt64
    public var arm: ExperimentArm
    public var lambda: Double
    /// For λ > 0 exactly one M (the recorded neurons it trains on); for λ = 0 every M whose
    /// recorded set its network is scored against.
    public var recordCounts: [Int]
    /// P, the training perturbation sets this fit trains with; nil (absent from JSON) = none.
    public var perturbationSets: Int? = nil

    public init(seed: UInt64, arm: ExperimentArm, lambda: Double, recordCounts: [Int], perturbationSets: Int? = nil) {
        self.seed = seed; self.arm = arm; self.lambda = lambda; self.recordCounts = recordCounts
        self.perturbationSets = perturbationSets.flatMap { $0 > 0 ? $0 : nil }
    }

    /// P (0 without perturbation trials).
    public var perturbationSetCount: Int { perturbationSets ?? 0 }

    /// A stable name for files and Slurm logs, e.g. `s3-plain-l1-m20`, `s3-plain-l0`, or with
    /// P > 0 training perturbation sets `s3-plain-l1-m20-p4`.
    public var id: String {
        let l = lambda == lambda.rounded() ? String(Int(lambda)) : String(lambda).replacingOccurrences(of: ".", with: "p")
        let p = perturbationSetCount > 0 ? "-p\(perturbationSetCount)" : ""
        return lambda > 0 ? "s\(seed)-\(arm.rawValue)-l\(l)-m\(recordCounts[0])\(p)" : "s\(seed)-\(arm.rawValue)-l0"
    }

    /// The configuration this unit trains with.
    public func fitConfig(_ experiment: ExperimentConfig) -> FitConfig {
        var c = arm.apply(to: experiment.fit)
        c.seed = seed
        c.lambda = lambda
        c.recordNeurons = []
        c.record = lambda > 0 ? recordCounts[0] : 0
        c.perturbationSets = lambda > 0 ? perturbationSets : nil
        return c
    }
}

/// How a plan given on the command line relates to the one stored in an experiment folder.
public enum PlanChange: Equatable, Sendable {
    /// The same plan.
    case same
    /// Only more seeds, M values, λ values or arms, or the audit turned on, everything else
    /// equal: every fit already done stays valid and only the new ones run (a saved network that
    /// lacks its audit is audited, not retrained). `added` says what is new, in words.
    case extends(added: String)
    /// Anything else: the folder holds a different experiment; the reason says what differs.
    case conflicts(String)
}

extension ExperimentConfig {
    /// Compares this plan with `stored` (the folder's `experiment.json`).
    public func change(from stored: ExperimentConfig) -> PlanChange {
        if self == stored { return .same }
        var differs: [String] = []
        if fit != stored.fit { differs.append("the fit settings (\(Self.differingKeys(fit, stored.fit)))") }
        if dataset != stored.dataset { differs.append("the dataset ('\(dataset)' here, '\(stored.dataset)' there)") }
        if sharedCircuit != stored.sharedCircuit { differs.append("--shared-circuit") }
        // turning the audit on audits the saved networks (none retrained); turning it off would drop numbers
        if !audit && stored.audit { differs.append("the mechanism audit (off here, on stored)") }
        if dataset.isEmpty && circuit != stored.circuit {
            var others = circuit
            others.perturbationTrials = stored.circuit.perturbationTrials
            let storedTraining = stored.circuit.perturbationTrials.map { $0.sets - $0.heldOutSets } ?? 0
            if others == stored.circuit && largestPerturbationSets > storedTraining {
                differs.append("the circuits' perturbation trials: P = \(largestPerturbationSets) needs \(largestPerturbationSets) training sets, the stored circuits have \(storedTraining) (a larger P needs new circuits: use another folder)")
            } else {
                differs.append("the circuit settings (\(Self.differingKeys(circuit, stored.circuit)))")
            }
        }
        func dropped<T: Equatable>(_ name: String, _ new: [T], _ old: [T]) -> String? {
            let gone = old.filter { !new.contains($0) }
            return gone.isEmpty ? nil : "\(name) \(gone.map { "\($0)" }.joined(separator: ", "))"
        }
        let drops = [dropped("seeds", seeds, stored.seeds), dropped("M =", recordCounts, stored.recordCounts),
                     dropped("λ =", lambdas, stored.lambdas), dropped("arms", arms.map(\.rawValue), stored.arms.map(\.rawValue)),
                     dropped("P =", perturbationSetCounts, stored.perturbationSetCounts)].compactMap { $0 }
        if !differs.isEmpty {
            return .conflicts("it differs in " + differs.joined(separator: "; "))
        }
        if !drops.isEmpty {
            return .conflicts("it leaves out " + drops.joined(separator: "; ") + " of the stored plan (an experiment can only be extended: give the same values or more)")
        }
        func added<T: Equatable>(_ name: String, _ new: [T], _ old: [T]) -> String? {
            let extra = new.filter { !old.contains($0) }
            return extra.isEmpty ? nil : "\(name) \(extra.map { "\($0)" }.joined(separator: ", "))"
        }
        let extras = [added("seeds", seeds, stored.seeds), added("M =", recordCounts, stored.recordCounts),
                      added("λ =", lambdas, stored.lambdas), added("arms", arms.map(\.rawValue), stored.arms.map(\.rawValue)),
                      added("P =", perturbationSetCounts, stored.perturbationSetCounts),
                      audit && !stored.audit ? "the mechanism audit of every saved network (none is retrained)" : nil].compactMap { $0 }
        // same values in another order: the stored order is kept
        return extras.isEmpty ? .same : .extends(added: extras.joined(separator: "; "))
    }

    /// "iterations: 300 here, 150 stored; hidden: …": the top-level JSON keys whose values differ.
    static func differingKeys<T: Encodable>(_ a: T, _ b: T) -> String {
        func object(_ v: T) -> [String: Any] {
            guard let data = try? OutputFolder.json(v), let any = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return any
        }
        let x = object(a), y = object(b)
        let keys = Set(x.keys).union(y.keys).sorted().filter { k in
            !(x[k].map { "\($0)" } == y[k].map { "\($0)" })
        }
        return keys.prefix(6).map { k in "\(k): \(x[k].map { "\($0)" } ?? "–") here, \(y[k].map { "\($0)" } ?? "–") stored" }.joined(separator: ", ")
            + (keys.count > 6 ? ", …" : "")
    }
}
