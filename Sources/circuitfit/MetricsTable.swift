import CircuitFit

/// The readable table `train` and `evaluate` print.
enum MetricsTable {
    static func render(_ m: FitMetrics, title: String) -> String {
        func f(_ x: Double?) -> String { x.map { format($0, 4) } ?? "—" }
        var rows: [(String, String, String)] = [
            ("output NMSE, training conditions", f(m.output_nmse_train), ""),
            ("output NMSE, held-out conditions", f(m.output_nmse_heldout), f(m.untrained?.output_nmse_heldout)),
        ]
        if m.output_nmse_excluded != nil { rows.append(("output NMSE, excluded training angles", f(m.output_nmse_excluded), "")) }
        rows += [
            ("CCA mean (top 10), training conditions", f(m.cca_mean), f(m.untrained?.cca_mean)),
            ("CCA mean (top 10), held-out conditions", f(m.cca_mean_heldout), ""),
            ("Procrustes angular distance (rad)", f(m.procrustes_angular_distance), f(m.untrained?.procrustes_angular_distance)),
            ("Procrustes shape distance", f(m.procrustes_distance), ""),
            ("held-out-neuron R² (\(m.heldout_neurons) neurons)", f(m.heldout_neuron_r2), f(m.untrained?.heldout_neuron_r2)),
            ("recorded units NMSE, training (\(m.recorded_neurons) neurons)", f(m.recorded_nmse_train), ""),
            ("CCA mean relative to untrained", f(m.cca_mean_relative), ""),
        ]
        let w0 = rows.map(\.0.count).max()!
        var out = title + "\n"
        out += "  " + "metric".padding(toLength: w0, withPad: " ", startingAt: 0) + "   model     untrained\n"
        for (a, b, c) in rows {
            out += "  " + a.padding(toLength: w0, withPad: " ", startingAt: 0) + "   " + b.padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + c + "\n"
        }
        out += "  canonical correlations: " + m.canonical_correlations.map { format($0, 3) }.joined(separator: " ")
        return out
    }
}
