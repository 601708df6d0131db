import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitAudit
import CircuitFitFitting

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit a fitted model's mechanism against the ground-truth circuit: fixed points, spectra, DSA, perturbations.",
        discussion: """
            Compares MODEL_DIR/model.npz with the circuit in CIRCUIT_DIR (a folder from `generate`, \
            or an experiment's circuits/seed-S folder, holding circuit.npz and dataset.npz): fixed \
            and slow points with the preparatory input on and off (spurious attractors flagged), \
            the linearised spectra at baseline in 1/s (restricted to each system's top PCs), \
            Gramian energies and peak ‖e^{At}‖, DSA, jPCA rotations, and how well the model \
            predicts the circuit's response to silencing and stimulating recorded neurons \
            (docs/method.md § Mechanism audit; keys in docs/files.md § audit).

            Prints a table, or with --json one JSON object. Takes about a tenth of a default fit's \
            training time.

            Examples:
              circuitfit audit fit circuit
              circuitfit audit exp/fits/s1-plain-l1-m20 exp/circuits/seed-1 --json
            """)

    @Argument(help: "Folder holding model.npz (from `train`).")
    var modelDir: String
    @Argument(help: "Folder holding circuit.npz and dataset.npz (from `generate`).")
    var circuitDir: String
    @Option(parsing: .unconditional, help: "Seed of the perturbed neuron sets (default 1).")
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Step input of a stimulated neuron, Hz (default 10).")
    var stimulusHz: Double = 10
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            guard stimulusHz.isFinite && stimulusHz > 0 else { throw CircuitFitError("--stimulus-hz must be > 0, got \(stimulusHz)") }
            var settings = AuditSettings()
            settings.perturbation.seed = seed
            settings.perturbation.stimulusHz = stimulusHz
            let audit = try runFitAudit(modelDir: modelDir, circuitDir: circuitDir, settings: settings)
            if json {
                print(String(decoding: try OutputFolder.json(audit), as: UTF8.self), terminator: "")
            } else {
                print(AuditTable.render(audit, title: "audit of \(modelDir) against \(circuitDir)"))
            }
        }
    }
}

/// Loads a fit folder and a circuit folder and audits one against the other (shared by `audit`
/// and `evaluate`; λ from the fit's config.json when it has one).
func runFitAudit(modelDir: String, circuitDir: String, settings: AuditSettings = AuditSettings()) throws -> MechanismAudit {
    let dir = URL(fileURLWithPath: modelDir)
    let record = try? JSONDecoder().decode(FitRecord.self, from: Data(contentsOf: dir.appendingPathComponent("config.json")))
    return try auditSavedFit(
        modelURL: dir.appendingPathComponent("model.npz"), lambda: record?.config.lambda,
        circuitFolder: URL(fileURLWithPath: circuitDir), settings: settings, names: (modelDir + "/model.npz", circuitDir))
}

/// The audit as a plain-text table.
enum AuditTable {
    static func render(_ a: MechanismAudit, title: String) -> String {
        func f(_ v: Double?) -> String {
            guard let v, v.isFinite else { return v == nil ? "—" : (v!.isInfinite ? "∞" : "nan") }
            return abs(v) >= 1e4 || (abs(v) < 1e-3 && v != 0) ? String(format: "%.3e", v) : String(format: "%.4g", v)
        }
        func list(_ v: [Double]?) -> String { v.map { $0.map { f($0) }.joined(separator: ", ") } ?? "—" }
        var lines = [title, ""]
        lines.append("                                     model          circuit")
        func row(_ name: String, _ m: String, _ c: String) {
            lines.append(name.padding(toLength: 37, withPad: " ", startingAt: 0) + m.padding(toLength: 15, withPad: " ", startingAt: 0) + c)
        }
        for (label, e) in [("input off", \SystemAudit.movement), ("input on", \SystemAudit.preparatory)] {
            let m = a.model[keyPath: e], c = a.circuit[keyPath: e]
            row("stable fixed points, \(label)", "\(m.stable)", "\(c.stable)")
            row("  saddles/unstable/slow, \(label)", "\(m.saddles)/\(m.unstable)/\(m.slowPoints)", "\(c.saddles)/\(c.unstable)/\(c.slowPoints)")
        }
        row("baseline spectral abscissa (1/s)", f(a.model.baseline?.spectralAbscissaPerS), f(a.circuit.baseline?.spectralAbscissaPerS))
        row("slowest time constant (s)", f(a.model.baseline?.slowestTimeConstantsS.first), f(a.circuit.baseline?.slowestTimeConstantsS.first))
        row("dominant rotation (Hz)", f(a.model.baseline?.dominantRotationHz), f(a.circuit.baseline?.dominantRotationHz))
        row("top Gramian energy / leaky unit", f(a.model.baseline?.gramianTopEnergiesRelative?.first), f(a.circuit.baseline?.gramianTopEnergiesRelative?.first))
        row("peak ‖e^{At}‖", f(a.model.baseline?.peakPropagatorNorm), f(a.circuit.baseline?.peakPropagatorNorm))
        row("movement peak norm / initial", f(a.model.peakNormRatio), f(a.circuit.peakNormRatio))
        row("jPCA skew R² / full R²", f(a.model.rotation.skewR2Ratio), f(a.circuit.rotation.skewR2Ratio))
        row("jPCA rotation (Hz)", f(a.model.rotation.rotationHz), f(a.circuit.rotation.rotationHz))
        lines.append("")
        lines.append("spurious attractors (model beyond circuit): \(a.spuriousAttractors)\(a.spuriousAttractors > 0 ? "  ← flagged" : "")")
        lines.append("spectrum distance on top PCs: \(f(a.spectrumDistancePerS)) 1/s (relative \(f(a.spectrumDistanceRelative))); slowest \(a.settings.slowestModes) modes: \(f(a.slowestModesDistancePerS)) 1/s")
        lines.append("DSA angular distance: \(f(a.dsaAngularDistance)) rad (\(a.settings.dsa.components) PCs, \(a.settings.dsa.delays) delays, rank \(a.settings.dsa.rank))")
        lines.append("")
        let p = a.perturbation
        lines.append("perturbations (\(p.units == .tied ? "tied units" : "random units of the same type and count: control"), \(f(p.settings.stimulusHz)) Hz stimulus, from step \(p.fromStep)):")
        lines.append("  kind       type         sets  n   muscle R²   size ratio  network R²  direct share (true/model)  other neurons R²")
        for g in p.groups {
            lines.append("  " + g.kind.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + g.type.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                + "\(g.sets)".padding(toLength: 6, withPad: " ", startingAt: 0) + "\(g.neuronsPerSet)".padding(toLength: 4, withPad: " ", startingAt: 0)
                + f(g.muscleR2).padding(toLength: 12, withPad: " ", startingAt: 0) + f(g.muscleSizeRatio).padding(toLength: 12, withPad: " ", startingAt: 0)
                + f(g.muscleNetworkR2).padding(toLength: 12, withPad: " ", startingAt: 0)
                + "\(f(g.directFractionTrue))/\(f(g.directFractionPredicted))".padding(toLength: 27, withPad: " ", startingAt: 0) + f(g.otherNeuronsR2))
        }
        if let sets = a.datasetPerturbations {
            lines.append("")
            lines.append(PerturbationLines.render(sets))
        }
        lines.append("")
        lines.append("audit took \(String(format: "%.2f", a.seconds)) s")
        return lines.joined(separator: "\n")
    }
}

/// The dataset's perturbation sets as a model predicts them, one line each (shared by `audit` and `evaluate`).
enum PerturbationLines {
    static func render(_ predictions: [PerturbationPrediction]) -> String {
        var lines = ["the dataset's perturbation sets (effect from the window's start, fit conditions; R² of the predicted against the true change):"]
        if predictions.isEmpty { lines.append("  none scorable: no set has all its neurons recorded (identity mapping)") }
        for p in predictions {
            let neurons = p.neuronR2.map { "  other recorded neurons R² \(format($0, 3)), size ratio \(format(p.neuronSizeRatio ?? .nan, 3))" } ?? ""
            lines.append("  set \(p.set) (\(p.heldOut ? "held out" : "training"), \(p.kind.rawValue) \(p.neurons)): outputs R² \(format(p.outputR2, 3)), size ratio \(format(p.outputSizeRatio, 3))\(neurons)")
        }
        if let held = HeldOutPerturbationScore(predictions) {
            lines.append("  held-out sets (\(held.sets)), mean: outputs R² \(format(held.outputR2, 3)), size ratio \(format(held.outputSizeRatio, 3))\(held.neuronR2.map { ", other recorded neurons R² \(format($0, 3))" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
