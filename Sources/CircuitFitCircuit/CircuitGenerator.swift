import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// A ground-truth circuit with its reaching dataset and the diagnostics `generate` reports.
public struct GeneratedCircuit: Sendable {
    public var config: CircuitConfig
    /// W [N, N], row = postsynaptic.
    public var weights: Matrix<Double>
    /// true for excitatory neurons [N].
    public var excitatory: [Bool]
    public var stability: StabilityResult
    /// The observability Gramian's top eigenvalues (evoked energies), descending.
    public var gramianEnergies: [Double]
    /// Preparatory states x0 [C, N] (deviation from baseline, Hz).
    public var preparatoryStates: Matrix<Double>
    public var readout: MuscleReadout
    /// The EMG-like targets the readout was fitted to [C, T, K].
    public var desiredTargets: Array3<Double>
    public var dataset: ReachDataset
    /// R² of the fitted readout against the desired targets, training and held-out conditions.
    public var readoutR2Training: Double
    public var readoutR2HeldOut: Double
    /// Mean over conditions of ‖rates‖ at the go cue and its peak after it (Hz).
    public var rateNormInitial: Double
    public var rateNormPeak: Double
    /// Time of that peak after the go cue, ms.
    public var rateNormPeakMs: Double
    /// Largest |rate| of any neuron in any condition (Hz relative to baseline).
    public var peakAbsRateHz: Double
    /// Fraction of the rates' variance (training conditions) in each of the top principal components.
    public var topPCVarianceFractions: [Double]
}

/// Builds the circuit of docs/method.md#the-ground-truth-circuit from a configuration: random E/I network → stability
/// optimisation → preparatory states → RK4 simulation → fitted muscle readout → dataset.
public func generateCircuit(_ config: CircuitConfig, progress: StabilityProgress? = nil) throws -> GeneratedCircuit {
    try config.validate()
    let root = SeededRandom(seed: config.seed)
    var networkRandom = root.derived(1)
    var muscleRandom = root.derived(2)
    let n = config.neurons, ne = config.excitatoryCount
    let excitatory = (0..<n).map { $0 < ne }

    let w0 = initialNetwork(config, random: &networkRandom)
    let stability = try optimizeStability(w0, config: config, progress: progress)
    let w = stability.weights
    guard stability.spectralAbscissaFinal < 1 else {
        throw CircuitFitError("stability optimisation left the circuit unstable: spectral abscissa \(stability.spectralAbscissaFinal) ≥ 1 after \(stability.steps) steps (raise maxOptimizationSteps or learningRate)")
    }

    // Conditions: training angles, then the held-out angles halfway between them.
    let k = config.trainingAngles
    var angles = (0..<k).map { 2 * Double.pi * Double($0) / Double(k) }
    var isTraining = [Bool](repeating: true, count: k)
    if config.includeHeldOutAngles {
        angles += (0..<k).map { 2 * Double.pi * (Double($0) + 0.5) / Double(k) }
        isTraining += [Bool](repeating: false, count: k)
    }
    let conditions = angles.count

    let prep = try PreparatoryDirections(weights: w)
    let rho = config.preparatoryNormPerSqrtN * Double(n).squareRoot()
    let x0 = prep.states(angles: angles, norm: rho)

    let f = RateNonlinearity(r0Hz: config.r0Hz, rmaxHz: config.rmaxHz)
    let dynamics = RateDynamics(weights: w, f: f, tauMs: config.tauMs, stepMs: config.integrationStepMs)
    let prepBins = config.preparatorySteps, moveBins = config.movementSteps
    let rates = dynamics.simulate(x0: x0, preparatoryBins: prepBins, movementBins: moveBins, binMs: config.dtMs)
    let steps = prepBins + moveBins
    guard rates.data.allSatisfy({ $0.isFinite }) else {
        throw CircuitFitError("circuit simulation produced NaN/Inf rates (spectral abscissa \(stability.spectralAbscissaFinal))")
    }

    // Muscles
    let muscleShape = MuscleTargets(muscles: config.muscles, amplitude: config.muscleAmplitude, movementMs: config.movementMs, random: &muscleRandom)
    var desired = Array3<Double>(conditions, steps, config.muscles, repeating: 0)
    for c in 0..<conditions {
        for t in 0..<steps {
            // bin centre, ms after go
            let ms = (Double(t - prepBins) + 0.5) * config.dtMs
            for m in 0..<config.muscles { desired[c, t, m] = muscleShape.value(muscle: m, angle: angles[c], msAfterGo: ms) }
        }
    }
    let trainIdx = (0..<conditions).filter { isTraining[$0] }
    let heldIdx = (0..<conditions).filter { !isTraining[$0] }
    let readout = try MuscleReadout(rates: rates, desired: desired, conditions: trainIdx, excitatory: excitatory, ridge: config.readoutRidge)
    let targets = readout.apply(rates)

    // Inputs u_t = (cos θ, sin θ, 1) during preparation, 0 after the go cue.
    var inputs = Array3<Double>(conditions, steps, 3, repeating: 0)
    for c in 0..<conditions {
        for t in 0..<prepBins { inputs[c, t, 0] = cos(angles[c]); inputs[c, t, 1] = sin(angles[c]); inputs[c, t, 2] = 1 }
    }

    let dataset = ReachDataset(
        inputs: inputs, targets: targets, rates: rates, excitatory: excitatory, angles: angles, isTraining: isTraining,
        dtMs: config.dtMs, goIndex: prepBins)

    // Diagnostics
    func r2(_ idx: [Int]) -> Double {
        if idx.isEmpty { return .nan }
        var sse = 0.0, sst = 0.0
        for m in 0..<config.muscles {
            var mean = 0.0
            for c in idx { for t in 0..<steps { mean += desired[c, t, m] } }
            mean /= Double(idx.count * steps)
            for c in idx {
                for t in 0..<steps {
                    sse += pow(targets[c, t, m] - desired[c, t, m], 2)
                    sst += pow(desired[c, t, m] - mean, 2)
                }
            }
        }
        return 1 - sse / sst
    }
    var normInitial = 0.0, normPeak = 0.0, peakMs = 0.0
    for c in 0..<conditions {
        func norm(_ t: Int) -> Double { (0..<n).reduce(0.0) { $0 + rates[c, t, $1] * rates[c, t, $1] }.squareRoot() }
        normInitial += norm(prepBins - 1) / Double(conditions)
        var best = 0.0, bestT = prepBins
        for t in prepBins..<steps { let v = norm(t); if v > best { best = v; bestT = t } }
        normPeak += best / Double(conditions)
        peakMs += (Double(bestT - prepBins) + 0.5) * config.dtMs / Double(conditions)
    }
    let peakAbs = rates.data.reduce(0.0) { max($0, abs($1)) }

    return GeneratedCircuit(
        config: config, weights: w, excitatory: excitatory, stability: stability,
        gramianEnergies: Array(prep.energies.prefix(10)), preparatoryStates: x0, readout: readout,
        desiredTargets: desired, dataset: dataset, readoutR2Training: r2(trainIdx), readoutR2HeldOut: r2(heldIdx),
        rateNormInitial: normInitial, rateNormPeak: normPeak, rateNormPeakMs: peakMs, peakAbsRateHz: peakAbs,
        topPCVarianceFractions: try PCA(components: 10).fit(stackConditions(rates, conditions: trainIdx)).explainedVarianceRatio)
}
