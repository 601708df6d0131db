import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitAudit
import CircuitFitFitting

/// Turns an experiment's rows, claims and saved models into the `ExperimentReport` the HTML
/// renderer draws: curves over M (every seed's value, and the task-only fits as one reference),
/// claims, the outputs of every held-out condition, the models' trajectories aligned to the
/// circuit's, and spectra.
public struct ExperimentReportBuilder {
    public var folder: ExperimentFolder
    public var rows: [ResultRow]
    public var claims: [Claim]
    public var wallTimeSeconds: Double?
    public var commandLine: String

    public init(folder: ExperimentFolder, rows: [ResultRow], claims: [Claim], wallTimeSeconds: Double?, commandLine: String) {
        self.folder = folder; self.rows = rows; self.claims = claims
        self.wallTimeSeconds = wallTimeSeconds; self.commandLine = commandLine
    }

    /// The metrics plotted against M: (title with unit, value, untrained value, direction, scale).
    static var plotted: [(String, (ResultRow) -> Double?, (ResultRow) -> Double?, MetricInfo.Direction, MetricInfo.Scale)] { [
        ("CCA mean (top 10)", { $0.metrics.ccaMean }, { $0.metrics.untrained?.ccaMean }, .higherIsBetter, .linear),
        ("Procrustes angular distance (rad)", { $0.metrics.procrustesAngularDistance }, { $0.metrics.untrained?.procrustesAngularDistance }, .lowerIsBetter, .linear),
        ("held-out-neuron R²", { $0.metrics.heldoutNeuronR2 }, { $0.metrics.untrained?.heldoutNeuronR2 }, .higherIsBetter, .linear),
        // Linear: the finding (a small change in a small error) lives in a narrow range.
        ("output NMSE, held-out conditions", { $0.metrics.outputNMSEHeldout }, { $0.metrics.untrained?.outputNMSEHeldout }, .lowerIsBetter, .linear),
    ] }

    /// The mechanism audit's numbers plotted against M (their titles start with "audit: ", which
    /// puts them in the report's own section).
    static var auditPlotted: [(String, (ResultRow) -> Double?, (ResultRow) -> Double?, MetricInfo.Direction, MetricInfo.Scale)] { [
        ("audit: perturbation muscle R²", { $0.audit?.perturbationMuscleR2 }, { _ in nil }, .higherIsBetter, .linear),
        ("audit: perturbation R², other recorded neurons", { $0.audit?.perturbationOtherNeuronsR2 }, { _ in nil }, .higherIsBetter, .linear),
        ("audit: DSA angular distance (rad)", { $0.audit?.dsaAngularDistance }, { _ in nil }, .lowerIsBetter, .linear),
        ("audit: spectrum distance, top PCs (1/s)", { $0.audit?.spectrumDistancePerS }, { _ in nil }, .lowerIsBetter, .linear),
        ("audit: spurious attractors", { $0.audit.map { Double($0.spuriousAttractors) } }, { _ in nil }, .lowerIsBetter, .linear),
    ] }

    public func build(created: String) -> ExperimentReport {
        let cfg = folder.config
        let arms = cfg.arms
        // the curves over M, the examples and the audit figures show the fits without perturbation trials
        let rows = self.rows.filter { $0.perturbationSetCount == 0 }
        var curves: [SimilarityCurve] = []
        var metrics: [MetricInfo] = []
        let audited = rows.contains { $0.audit != nil }
        for (title, value, floor, direction, scale) in Self.plotted + (audited ? Self.auditPlotted : []) {
            var armFloors: [ArmFloor] = []
            var taskOnly: [TaskOnlyReference] = []
            for arm in arms {
                let armRows = rows.filter { $0.arm == arm }
                let f = median(armRows.compactMap(floor))
                if f.isFinite { armFloors.append(ArmFloor(arm: arm.rawValue, value: f)) }
                // Task-only fits (λ = 0) do not depend on M: one reference over all of them.
                let taskRows = armRows.filter { $0.lambda == 0 }
                let taskValues = taskRows.compactMap(value).filter(\.isFinite)
                if let s = try? SampleSummary(taskValues) {
                    taskOnly.append(TaskOnlyReference(arm: arm.rawValue, median: s.median, lowerQuartile: s.lowerQuartile, upperQuartile: s.upperQuartile,
                                                      fits: Set(taskRows.map(\.seed)).count, values: s.count))
                }
                for lambda in cfg.lambdas where lambda != 0 {
                    let points: [CurvePoint] = cfg.recordCounts.sorted().compactMap { m in
                        let cell = armRows.filter { $0.lambda == lambda && $0.record == m }.sorted { $0.seed < $1.seed }
                        let v = cell.compactMap(value).filter(\.isFinite)
                        guard let s = try? SampleSummary(v) else { return nil }
                        return CurvePoint(recorded: m, median: s.median, lowerQuartile: s.lowerQuartile, upperQuartile: s.upperQuartile, seeds: s.count, values: v)
                    }
                    if !points.isEmpty { curves.append(SimilarityCurve(arm: arm.rawValue, lambda: lambda, metric: title, points: points)) }
                }
            }
            metrics.append(MetricInfo(metric: title, untrainedFloor: armFloors.first?.value, armFloors: armFloors, direction: direction, scale: scale, taskOnly: taskOnly))
        }
        let claimRows = claims.map { c in
            ClaimResult(
                id: "\(c.id) (\(c.arm))", statement: c.statement, numbers: c.numbers,
                medianIQR: c.difference.map { "Δ = \(fmt($0.median)) [\(fmt($0.lowerQuartile)), \(fmt($0.upperQuartile))], n = \($0.count)" } ?? "—",
                testStatistic: c.wilcoxon.map { "W+ = \(fmt($0.wPlus)), n = \($0.n), one-sided (\($0.method))" } ?? "—",
                pValue: c.wilcoxon?.pValue, holds: c.holds, verdict: c.state.words,
                conditions: c.conditions.map(\.summary) + (c.fitsNotConverged > 0 ? ["\(c.fitsNotConverged) fit(s) not converged, left out"] : []),
                reason: c.holds ? "" : c.reason)
        }
        var notes: [String] = []
        for c in claims where !c.holds {
            notes.append("Claim \(c.id) (\(c.arm)) \(c.state.words) in these numbers: \(c.reason).")
        }
        let notConverged = rows.filter { !$0.converged }.count
        if notConverged > 0 {
            notes.append("\(notConverged) of \(rows.count) result rows come from fits that did not meet the convergence criterion; the claims leave them out (see Convergence of the fits).")
        }
        let examples = (try? exampleFigures()) ?? ExampleFigures(traces: [], overlays: [], spectra: [], note: "example figures unavailable")
        if let note = examples.note { notes.append(note) }
        var report = ExperimentReport(
            title: "CircuitFit experiment: RNNs trained on outputs and sparse recordings",
            created: created, wallTimeSeconds: wallTimeSeconds, configuration: configurationEntries(),
            commandLine: commandLine, curves: curves, metrics: metrics, claims: claimRows,
            traces: examples.traces, overlays: examples.overlays, spectra: examples.spectra, notes: notes,
            convergence: convergenceShares())
        report.perturbations = audited ? perturbationScatters() : []
        if cfg.largestPerturbationSets > 0 {
            report.perturbationGain = perturbationGainCurves()
            report.heldOutPerturbations = heldOutPerturbationScatters()
        }
        return report
    }

    /// Held-out perturbation output R² against P, per arm and M > 0, at the smallest λ > 0
    /// (every fit, as the curves over M; the claims take the converged ones).
    func perturbationGainCurves() -> [PerturbationGainCurve] {
        let cfg = folder.config
        guard let lambda = cfg.lambdas.filter({ $0 > 0 }).min() else { return [] }
        var out: [PerturbationGainCurve] = []
        for arm in cfg.arms {
            for m in cfg.recordCounts.sorted() where m > 0 {
                let points: [PerturbationGainPoint] = cfg.perturbationSetCounts.sorted().compactMap { p in
                    let cell = rows.filter { $0.arm == arm && $0.lambda == lambda && $0.record == m && $0.perturbationSetCount == p }
                        .sorted { $0.seed < $1.seed }
                    let values = cell.compactMap { $0.perturbation?.outputR2 }.filter(\.isFinite)
                    guard let s = try? SampleSummary(values) else { return nil }
                    return PerturbationGainPoint(sets: p, median: s.median, lowerQuartile: s.lowerQuartile, upperQuartile: s.upperQuartile, seeds: s.count, values: values)
                }
                if !points.isEmpty { out.append(PerturbationGainCurve(arm: arm.rawValue, lambda: lambda, recorded: m, points: points)) }
            }
        }
        return out
    }

    /// The held-out sets predicted by the first seed's fits of the first arm at the smallest
    /// λ > 0 and the M closest to 20, one panel per P (recomputed from each saved model).
    func heldOutPerturbationScatters() -> [PerturbationScatter] {
        let cfg = folder.config
        guard let seed = cfg.seeds.first, let arm = cfg.arms.first, let lambda = cfg.lambdas.filter({ $0 > 0 }).min(),
              let m = cfg.recordCounts.filter({ $0 > 0 }).min(by: { abs($0 - 20) < abs($1 - 20) }),
              let dataset = try? ReachDataset.read(from: folder.datasetURL(seed: seed)), dataset.perturbations != nil else { return [] }
        return cfg.perturbationSetCounts.sorted().compactMap { p in
            let unit = FitUnit(seed: seed, arm: arm, lambda: lambda, recordCounts: [m], perturbationSets: p)
            guard let saved = try? SavedModel.read(from: folder.fitFolder(unit).appendingPathComponent("model.npz")),
                  let predictions = try? predictPerturbations(
                    spec: saved.spec, parameters: saved.parameters,
                    recording: RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale),
                    dataset: dataset, conditions: saved.split?.fit ?? dataset.trainingConditions) else { return nil }
            let held = predictions.filter(\.heldOut)
            guard !held.isEmpty else { return nil }
            return PerturbationScatter(
                label: "\(arm.rawValue), λ = \(fmt(lambda)), M = \(m), P = \(p), seed \(seed)",
                points: held.map { PerturbationPoint(group: "held-out \($0.kind.rawValue)", trueEffect: $0.outputEffectNorm, predictedEffect: $0.outputPredictedNorm) },
                muscleR2: HeldOutPerturbationScore(held)?.outputR2)
        }
    }

    /// The perturbation test of one fit per arm (first seed, λ > 0 at the M closest to 20), from
    /// its `audit.json`.
    func perturbationScatters() -> [PerturbationScatter] {
        let cfg = folder.config
        guard let seed = cfg.seeds.first else { return [] }
        return cfg.arms.compactMap { arm in
            let units = cfg.units.filter { $0.seed == seed && $0.arm == arm && $0.lambda > 0 && $0.perturbationSetCount == 0 }
            guard let unit = units.min(by: { abs($0.recordCounts[0] - 20) < abs($1.recordCounts[0] - 20) }),
                  let data = try? Data(contentsOf: folder.fitFolder(unit).appendingPathComponent("audit.json")),
                  let audit = try? JSONDecoder().decode(MechanismAudit.self, from: data) else { return nil }
            let perturbed = audit.perturbation.units == .tied ? "tied units" : "random units"
            return PerturbationScatter(
                label: "\(arm.rawValue), λ = \(fmt(unit.lambda)), M = \(unit.recordCounts[0]), seed \(seed) (\(perturbed))",
                points: audit.perturbation.sets.map {
                    PerturbationPoint(group: "\($0.kind.rawValue) \($0.type.rawValue)", trueEffect: $0.muscleEffectTrueNorm, predictedEffect: $0.muscleEffectPredictedNorm)
                },
                muscleR2: audit.perturbation.muscleR2Mean)
        }
    }

    /// Converged fits per (arm, λ, M), in plan order.
    func convergenceShares() -> [ConvergenceShare] {
        let cfg = folder.config
        var out: [ConvergenceShare] = []
        for arm in cfg.arms {
            for lambda in cfg.lambdas {
                for m in cfg.recordCounts.sorted() {
                    for p in cfg.perturbationSetCounts.sorted() {
                        let cell = rows.filter { $0.arm == arm && $0.lambda == lambda && $0.record == m && $0.perturbationSetCount == p }
                        if !cell.isEmpty {
                            out.append(ConvergenceShare(arm: arm.rawValue, lambda: lambda, recorded: m, converged: cell.filter(\.converged).count, fits: cell.count,
                                                        perturbationSets: cfg.perturbationSets == nil ? nil : p))
                        }
                    }
                }
            }
        }
        return out
    }

    func configurationEntries() -> [ConfigurationEntry] {
        let cfg = folder.config
        var out: [ConfigurationEntry] = [
            ConfigurationEntry("seeds", cfg.seeds.map(String.init).joined(separator: ", ")),
            ConfigurationEntry("recorded neurons M", cfg.recordCounts.map(String.init).joined(separator: ", ")),
            ConfigurationEntry("λ", cfg.lambdas.map { fmt($0) }.joined(separator: ", ")),
            ConfigurationEntry("arms", cfg.arms.map(\.rawValue).joined(separator: ", ")),
        ] + (cfg.perturbationSets == nil ? [] : [ConfigurationEntry("training perturbation sets P", cfg.perturbationSetCounts.map(String.init).joined(separator: ", "))]) + [
            ConfigurationEntry("dataset", cfg.dataset.isEmpty ? (cfg.sharedCircuit ? "one generated circuit (seed \(cfg.circuit.seed))" : "one generated circuit per seed") : cfg.dataset),
            ConfigurationEntry("fits", "\(cfg.units.count) trained networks, \(rows.count) result rows"),
        ]
        if let data = try? JSONEncoder().encode(cfg.fit), let dict = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in dict.keys.sorted() { out.append(ConfigurationEntry("fit.\(key)", jsonText(dict[key]!))) }
        }
        if cfg.dataset.isEmpty, let data = try? JSONEncoder().encode(cfg.circuit), let dict = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in dict.keys.sorted() where key != "seed" { out.append(ConfigurationEntry("circuit.\(key)", jsonText(dict[key]!))) }
        }
        out.append(ConfigurationEntry("CircuitFit version", CircuitFitVersion.string))
        return out
    }

    struct ExampleFigures { var traces: [OutputTraces]; var overlays: [TrajectoryOverlay]; var spectra: [EigenvalueSpectrum]; var note: String? }

    /// Traces, trajectories and spectra of the first seed's networks: the task-only fit and the
    /// λ > 0 fit at the M closest to 20, in the first arm.
    func exampleFigures() throws -> ExampleFigures {
        let cfg = folder.config
        guard let seed = cfg.seeds.first, let arm = cfg.arms.first else { return ExampleFigures(traces: [], overlays: [], spectra: [], note: nil) }
        let dataset = try ReachDataset.read(from: folder.datasetURL(seed: seed))
        let units = cfg.units.filter { $0.seed == seed && $0.arm == arm && $0.perturbationSetCount == 0 }
        let taskOnly = units.first { $0.lambda == 0 }
        let neural = units.filter { $0.lambda > 0 }.min { abs($0.recordCounts[0] - 20) < abs($1.recordCounts[0] - 20) }
        var models: [(String, SavedModel)] = []
        for (label, unit) in [("λ = 0", taskOnly), ("λ = \(neural.map { fmt($0.lambda) } ?? ""), M = \(neural?.recordCounts[0] ?? 0)", neural)] {
            guard let unit else { continue }
            let url = folder.fitFolder(unit).appendingPathComponent("model.npz")
            if let m = try? SavedModel.read(from: url) { models.append((label, m)) }
        }
        guard !models.isEmpty else { return ExampleFigures(traces: [], overlays: [], spectra: [], note: "no saved models for the example figures yet") }
        let sims = try models.map { ($0.0, try simulate(spec: $0.1.spec, parameters: $0.1.parameters, inputs: dataset.inputs)) }

        // Output traces on every held-out condition (or the first condition), both models.
        let times = (0..<dataset.steps).map { (Double($0) + 0.5 - Double(dataset.goIndex)) * dataset.dtMs }
        let shownConditions = dataset.heldOutConditions.isEmpty ? [0] : dataset.heldOutConditions
        let traces = shownConditions.map { c -> OutputTraces in
            let muscles = (0..<dataset.outputCount).map { k in
                MuscleTrace(
                    name: "muscle \(k + 1)", target: (0..<dataset.steps).map { dataset.targets[c, $0, k] },
                    outputs: sims.map { sim in LabelledSeries(label: sim.0, values: (0..<dataset.steps).map { t in Double(sim.1.outputs[c, t, k]) }) })
            }
            let angle = dataset.angles[c].isFinite ? "θ = " + String(format: "%.1f", dataset.angles[c] * 180 / .pi) + "°" : "condition \(c)"
            return OutputTraces(condition: angle, timesMs: times, goTimeMs: 0, valueLabel: "muscle output (a.u.)", muscles: muscles)
        }

        // Each model's trajectories aligned to the circuit's (fitted on the training conditions).
        var overlays: [TrajectoryOverlay] = []
        if let population = dataset.neuralData {
            let label = dataset.rates != nil ? "circuit (\(population.d2) neurons)" : "recorded neurons (\(population.d2))"
            for (name, sim) in sims {
                guard let aligned = try? TrajectoryAlignment().align(model: sim.rates.asDouble, reference: population, fit: dataset.trainingConditions, heldOut: dataset.heldOutConditions) else { continue }
                overlays.append(TrajectoryOverlay(
                    label: name, reference: label, unit: "Hz",
                    alignment: "the model's top \(aligned.components) PC scores scaled to the circuit's total variance and rotated onto its top \(aligned.components) PC scores (orthogonal Procrustes), fitted on the training conditions; models of seed \(seed), \(arm.rawValue) arm",
                    alignedR2Train: aligned.r2Fit, alignedR2HeldOut: aligned.r2HeldOut, varianceExplained: aligned.varianceExplained,
                    conditions: (0..<dataset.conditions).map { c in
                        OverlayCondition(
                            angle: dataset.angles[c].isFinite ? dataset.angles[c] : 2 * .pi * Double(c) / Double(dataset.conditions),
                            heldOut: !dataset.isTraining[c],
                            reference: (0..<dataset.steps).map { PCPoint(aligned.reference[c, $0, 0], aligned.reference[c, $0, 1], aligned.reference[c, $0, 2]) },
                            model: (0..<dataset.steps).map { PCPoint(aligned.model[c, $0, 0], aligned.model[c, $0, 1], aligned.model[c, $0, 2]) })
                    }))
            }
        }

        // Spectra of the linearisations at baseline, in 1/s: circuit (W − I)/τ_circuit, model
        // (J − I)/τ_model, so that the shared axes compare like with like.
        var spectra: [EigenvalueSpectrum] = []
        let circuitURL = folder.datasetURL(seed: seed).deletingLastPathComponent().appendingPathComponent("circuit.npz")
        if let circuit = try? NPZArchive.read(from: circuitURL), let w = try? circuit.matrix("W") {
            let tau = (try? circuit.scalar("tau_ms")) ?? 200
            spectra.append(try spectrum(w, label: "circuit: (W − I)/τ, τ = \(fmt(tau)) ms", tauMs: tau))
        }
        for (label, model) in models {
            let h = model.spec.hidden
            spectra.append(try spectrum(Matrix(rows: h, cols: h, data: model.parameters[.J].map(Double.init)), label: "model \(label): (J − I)/τ, τ = \(fmt(model.spec.tauMs)) ms", tauMs: model.spec.tauMs))
        }
        return ExampleFigures(traces: traces, overlays: overlays, spectra: spectra, note: nil)
    }

    /// The eigenvalues of (w − I)/τ in 1/s.
    func spectrum(_ w: Matrix<Double>, label: String, tauMs: Double) throws -> EigenvalueSpectrum {
        var a = w
        for i in 0..<a.rows { a[i, i] -= 1 }
        let e = try Eigendecomposition(a, vectors: false)
        let perSecond = 1000 / tauMs
        return EigenvalueSpectrum(label: label, unit: "1/s", eigenvalues: zip(e.real, e.imaginary).map { ComplexValue($0 * perSecond, $1 * perSecond) })
    }
}

/// A JSON value as JSON text (true/false stay booleans, not 1/0).
func jsonText(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else { return "\(value)" }
    return String(decoding: data, as: UTF8.self)
}
