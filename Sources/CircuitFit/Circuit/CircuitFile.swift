import Foundation

extension GeneratedCircuit {
    /// `circuit.npz` (interface.md): W, excitatory, x0, readout, readout_bias and the dynamics'
    /// scalars, enough to re-simulate the circuit.
    public func circuitArchive() -> NPZArchive {
        var a = NPZArchive(fileName: "circuit.npz")
        a.set("W", NPYArray(weights))
        a.set("excitatory", NPYArray(excitatory.map { $0 ? 1 : 0 }))
        a.set("x0", NPYArray(preparatoryStates))
        a.set("readout", NPYArray(readout.weights))
        a.set("readout_bias", NPYArray(readout.bias))
        a.set("tau_ms", NPYArray(scalar: config.tauMs))
        a.set("r0_hz", NPYArray(scalar: config.r0Hz))
        a.set("rmax_hz", NPYArray(scalar: config.rmaxHz))
        a.set("desired_targets", NPYArray(desiredTargets))
        return a
    }

    /// The numbers `summary.json` records.
    public var summary: CircuitSummary {
        CircuitSummary(
            spectral_abscissa_initial: stability.spectralAbscissaInitial,
            spectral_abscissa_final: stability.spectralAbscissaFinal,
            optimization_steps: stability.steps, optimization_stop: stability.stop.rawValue,
            neurons: config.neurons, excitatory: config.excitatoryCount, conditions: dataset.conditions,
            training_conditions: dataset.trainingConditions.count, muscles: config.muscles,
            time_steps: dataset.steps, go_index: dataset.goIndex, dt_ms: dataset.dtMs,
            inhibitory_connection_density: inhibitoryDensity,
            readout_r2_training: readoutR2Training, readout_r2_heldout: readoutR2HeldOut,
            rate_norm_at_go_hz: rateNormInitial, rate_norm_peak_hz: rateNormPeak,
            rate_norm_peak_ms_after_go: rateNormPeakMs, peak_abs_rate_hz: peakAbsRateHz,
            top_pc_variance_fractions: topPCVarianceFractions, gramian_top_energies: gramianEnergies)
    }

    /// Fraction of possible (off-diagonal) inhibitory connections that exist.
    public var inhibitoryDensity: Double {
        let n = weights.rows, ne = config.excitatoryCount
        var count = 0
        for i in 0..<n { for j in ne..<n where i != j && weights[i, j] != 0 { count += 1 } }
        return Double(count) / Double(n * (n - ne) - (n - ne))
    }
}

/// `summary.json` of `generate` (snake_case keys as interface.md names them).
public struct CircuitSummary: Codable, Sendable {
    public var spectral_abscissa_initial: Double
    public var spectral_abscissa_final: Double
    public var optimization_steps: Int
    public var optimization_stop: String
    public var neurons: Int
    public var excitatory: Int
    public var conditions: Int
    public var training_conditions: Int
    public var muscles: Int
    public var time_steps: Int
    public var go_index: Int
    public var dt_ms: Double
    public var inhibitory_connection_density: Double
    public var readout_r2_training: Double
    public var readout_r2_heldout: Double
    public var rate_norm_at_go_hz: Double
    public var rate_norm_peak_hz: Double
    public var rate_norm_peak_ms_after_go: Double
    public var peak_abs_rate_hz: Double
    public var top_pc_variance_fractions: [Double]
    public var gramian_top_energies: [Double]
    /// Wall time of the generation, s.
    public var seconds: Double = 0
}

/// `config.json`: the full configuration of a run (defaults included), its seed and the version.
public struct RunRecord<Config: Codable & Sendable>: Codable, Sendable {
    public var circuitfit_version: String = CircuitFitVersion.string
    public var command: String
    public var seed: UInt64
    public var config: Config
    public init(command: String, seed: UInt64, config: Config) {
        self.command = command; self.seed = seed; self.config = config
    }
}
