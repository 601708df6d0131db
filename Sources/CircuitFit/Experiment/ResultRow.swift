/// One row of `results.csv`: the settings of one (seed, arm, M, λ) and all its metrics.
public struct ResultRow: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var arm: String
    public var record: Int
    public var lambda: Double
    public var fit_id: String
    public var mapping: String
    public var hidden: Int
    public var iterations_run: Int
    public var stop: String
    public var train_seconds: Double
    public var metrics: FitMetrics

    /// The CSV header and the row's cells, in a fixed column order.
    public static let columns: [String] = [
        "seed", "arm", "record", "lambda", "fit_id", "mapping", "hidden", "iterations_run", "stop", "train_seconds",
        "output_nmse_train", "output_nmse_heldout", "output_nmse_excluded",
        "cca_mean", "cca_mean_heldout", "procrustes_distance", "procrustes_angular_distance",
        "heldout_neuron_r2", "heldout_neuron_r2_per_neuron_mean", "recorded_nmse_train", "recorded_nmse_heldout",
        "heldout_neurons", "population_neurons",
        "untrained_output_nmse_heldout", "untrained_cca_mean", "untrained_procrustes_angular_distance", "untrained_heldout_neuron_r2",
        "cca_mean_relative", "procrustes_angular_relative", "heldout_neuron_r2_relative",
    ] + (1...10).map { "cc\($0)" }

    public var cells: [String] {
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        let m = metrics, u = metrics.untrained
        var out = [
            "\(seed)", arm, "\(record)", "\(lambda)", fit_id, mapping, "\(hidden)", "\(iterations_run)", stop, f(train_seconds),
            f(m.output_nmse_train), f(m.output_nmse_heldout), f(m.output_nmse_excluded),
            f(m.cca_mean), f(m.cca_mean_heldout), f(m.procrustes_distance), f(m.procrustes_angular_distance),
            f(m.heldout_neuron_r2), f(m.heldout_neuron_r2_per_neuron_mean), f(m.recorded_nmse_train), f(m.recorded_nmse_heldout),
            "\(m.heldout_neurons)", "\(m.population_neurons)",
            f(u?.output_nmse_heldout), f(u?.cca_mean), f(u?.procrustes_angular_distance), f(u?.heldout_neuron_r2),
            f(m.cca_mean_relative), f(m.procrustes_angular_relative), f(m.heldout_neuron_r2_relative),
        ]
        out += (0..<10).map { $0 < m.canonical_correlations.count ? f(m.canonical_correlations[$0]) : "" }
        return out
    }

    /// The whole table as CSV (comma-separated, no quoting needed: no cell holds a comma).
    public static func csv(_ rows: [ResultRow]) -> String {
        var s = columns.joined(separator: ",") + "\n"
        for r in rows { s += r.cells.joined(separator: ",") + "\n" }
        return s
    }
}

/// What one finished fit unit wrote: its rows, or the error that stopped it.
public struct UnitResult: Codable, Equatable, Sendable {
    public var unit: FitUnit
    public var rows: [ResultRow]
    public var circuitfit_version = CircuitFitVersion.string
}
