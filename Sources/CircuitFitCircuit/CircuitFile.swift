import Foundation
import CircuitFitCore
import CircuitFitAnalysis

extension GeneratedCircuit {
    /// `circuit.npz` (docs/files.md#circuitnpz): W, excitatory, x0, readout, readout_bias and the dynamics'
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
            spectralAbscissaInitial: stability.spectralAbscissaInitial,
            spectralAbscissaFinal: stability.spectralAbscissaFinal,
            optimizationSteps: stability.steps, optimizationStop: stability.stop.rawValue,
            neurons: config.neurons, excitatory: config.excitatoryCount, conditions: dataset.conditions,
            trainingConditions: dataset.trainingConditions.count, muscles: config.muscles,
            timeSteps: dataset.steps, goIndex: dataset.goIndex, dtMs: dataset.dtMs,
            inhibitoryConnectionDensity: inhibitoryDensity,
            readoutR2Training: readoutR2Training, readoutR2Heldout: readoutR2HeldOut,
            rateNormAtGoHz: rateNormInitial, rateNormPeakHz: rateNormPeak,
            rateNormPeakMsAfterGo: rateNormPeakMs, peakAbsRateHz: peakAbsRateHz,
            topPCVarianceFractions: topPCVarianceFractions, gramianTopEnergies: gramianEnergies)
    }

    /// Fraction of possible (off-diagonal) inhibitory connections that exist.
    public var inhibitoryDensity: Double {
        let n = weights.rows, ne = config.excitatoryCount
        var count = 0
        for i in 0..<n { for j in ne..<n where i != j && weights[i, j] != 0 { count += 1 } }
        return Double(count) / Double(n * (n - ne) - (n - ne))
    }
}

/// `summary.json` of `generate` (snake_case keys, listed in docs/files.md#summaryjson).
public struct CircuitSummary: Codable, Sendable {
    public var spectralAbscissaInitial: Double
    public var spectralAbscissaFinal: Double
    public var optimizationSteps: Int
    public var optimizationStop: String
    public var neurons: Int
    public var excitatory: Int
    public var conditions: Int
    public var trainingConditions: Int
    public var muscles: Int
    public var timeSteps: Int
    public var goIndex: Int
    public var dtMs: Double
    public var inhibitoryConnectionDensity: Double
    public var readoutR2Training: Double
    public var readoutR2Heldout: Double
    public var rateNormAtGoHz: Double
    public var rateNormPeakHz: Double
    public var rateNormPeakMsAfterGo: Double
    public var peakAbsRateHz: Double
    public var topPCVarianceFractions: [Double]
    public var gramianTopEnergies: [Double]
    /// Wall time of the generation, s.
    public var seconds: Double = 0

    enum CodingKeys: String, CodingKey {
        case spectralAbscissaInitial = "spectral_abscissa_initial"
        case spectralAbscissaFinal = "spectral_abscissa_final"
        case optimizationSteps = "optimization_steps"
        case optimizationStop = "optimization_stop"
        case neurons
        case excitatory
        case conditions
        case trainingConditions = "training_conditions"
        case muscles
        case timeSteps = "time_steps"
        case goIndex = "go_index"
        case dtMs = "dt_ms"
        case inhibitoryConnectionDensity = "inhibitory_connection_density"
        case readoutR2Training = "readout_r2_training"
        case readoutR2Heldout = "readout_r2_heldout"
        case rateNormAtGoHz = "rate_norm_at_go_hz"
        case rateNormPeakHz = "rate_norm_peak_hz"
        case rateNormPeakMsAfterGo = "rate_norm_peak_ms_after_go"
        case peakAbsRateHz = "peak_abs_rate_hz"
        case topPCVarianceFractions = "top_pc_variance_fractions"
        case gramianTopEnergies = "gramian_top_energies"
        case seconds
    }
}

/// `config.json`: the full configuration of a run (defaults included), its seed and the version.
public struct RunRecord<Config: Codable & Sendable>: Codable, Sendable {
    public var circuitfitVersion: String = CircuitFitVersion.string
    public var command: String
    public var seed: UInt64
    public var config: Config
    public init(command: String, seed: UInt64, config: Config) {
        self.command = command; self.seed = seed; self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case circuitfitVersion = "circuitfit_version"
        case command
        case seed
        case config
    }
}
