import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

/// The readable table `train` and `evaluate` print.
enum MetricsTable {
    static func render(_ m: FitMetrics, title: String) -> String {
        func f(_ x: Double?) -> String { x.map { format($0, 4) } ?? "—" }
        var rows: [(String, String, String)] = [
            ("output NMSE, training conditions", f(m.outputNMSETrain), ""),
            ("output NMSE, held-out conditions", f(m.outputNMSEHeldout), f(m.untrained?.outputNMSEHeldout)),
        ]
        if m.outputNMSEExcluded != nil { rows.append(("output NMSE, excluded training angles", f(m.outputNMSEExcluded), "")) }
        rows += [
            ("CCA mean (top 10), training conditions", f(m.ccaMean), f(m.untrained?.ccaMean)),
            ("CCA mean (top 10), held-out conditions", f(m.ccaMeanHeldout), ""),
            ("Procrustes angular distance (rad)", f(m.procrustesAngularDistance), f(m.untrained?.procrustesAngularDistance)),
            ("Procrustes shape distance", f(m.procrustesDistance), ""),
            ("held-out-neuron R² (\(m.heldoutNeurons) neurons)", f(m.heldoutNeuronR2), f(m.untrained?.heldoutNeuronR2)),
            ("recorded units NMSE, training (\(m.recordedNeurons) neurons)", f(m.recordedNMSETrain), ""),
            ("CCA mean relative to untrained", f(m.ccaMeanRelative), ""),
        ]
        let w0 = rows.map(\.0.count).max()!
        var out = title + "\n"
        out += "  " + "metric".padding(toLength: w0, withPad: " ", startingAt: 0) + "   model     untrained\n"
        for (a, b, c) in rows {
            out += "  " + a.padding(toLength: w0, withPad: " ", startingAt: 0) + "   " + b.padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + c + "\n"
        }
        out += "  canonical correlations: " + m.canonicalCorrelations.map { format($0, 3) }.joined(separator: " ")
        if let c = m.convergence { out += "\n  " + ConvergenceText.line(c) }
        if let n = m.noiseCeiling {
            out += "\n  noise ceilings (split-half reliability of the recorded PSTHs; normalised = R² / ceiling):"
            out += "\n    " + "scored on".padding(toLength: w0 - 2, withPad: " ", startingAt: 0) + "   R²        ceiling   normalised"
            func row(_ name: String, _ r2: Double?, _ ceiling: Double?, _ normalized: Double?) -> String {
                "\n    " + name.padding(toLength: w0 - 2, withPad: " ", startingAt: 0) + "   "
                    + f(r2).padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + f(ceiling).padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + f(normalized)
            }
            out += row("recorded units, training conditions", n.recordedR2Train, n.recordedR2CeilingTrain, n.recordedR2NormalizedTrain)
            out += row("held-out neurons, held-out conditions", n.heldoutNeuronR2, n.heldoutNeuronR2Ceiling, n.heldoutNeuronR2Normalized)
            let flagged = n.neurons.filter(\.unreliable)
            if !flagged.isEmpty {
                let names = flagged.map { "\($0.id.map { "unit \($0)" } ?? "neuron \($0.neuron)") (\($0.role.rawValue), ceiling \(f($0.ceiling)))" }
                out += "\n    unreliable (ceiling below \(format(n.unreliableBelow, 1))): " + names.joined(separator: ", ")
            }
        }
        return out
    }
}

/// One line on whether a fit converged, for `train` and `evaluate`.
enum ConvergenceText {
    static func line(_ c: ConvergenceReport) -> String {
        let change = c.change.map { String(format: "%.2e", $0) } ?? "n/a"
        let best = c.bestLoss.map { String(format: "%.3e", $0) } ?? "n/a"
        let rule = "best loss \(best) fell by \(change) over the last \(c.window) updates; criterion < \(String(format: "%.0e", c.tolerance))·loss + \(String(format: "%.0e", c.absoluteTolerance))"
        if c.converged { return "converged at update \(c.iteration.map(String.init) ?? "?"): \(rule)" }
        return "NOT converged: \(rule)"
    }
}
