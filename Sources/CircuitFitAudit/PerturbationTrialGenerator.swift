import CircuitFitCore
import CircuitFitCircuit

extension GroundTruthCircuit {
    /// The circuit `generate` just built, in the form the audit simulates.
    public init(_ generated: GeneratedCircuit) {
        let c = generated.config
        self.init(weights: generated.weights, excitatory: generated.excitatory, preparatoryStates: generated.preparatoryStates,
                  readout: generated.readout.weights, readoutBias: generated.readout.bias, tauMs: c.tauMs,
                  f: RateNonlinearity(r0Hz: c.r0Hz, rmaxHz: c.rmaxHz), integrationStepMs: c.integrationStepMs)
        dtMs = c.dtMs
    }

    /// The perturbation trials of `sets` in every condition of a dataset with `preparatoryBins` +
    /// `movementBins` steps of `binMs`, under the audit's protocol (docs/method.md § Perturbation
    /// protocol): silence clamps each neuron's rate deviation x at 0 Hz (its baseline) during the
    /// window, stimulate adds `amplitudeHz` to its τ dx/dt. Returns the table with the perturbed
    /// rates [P·C, T, N] and muscle outputs [P·C, T, K].
    public func perturbationTrials(
        sets: [PerturbationSet], conditions: Int, preparatoryBins: Int, movementBins: Int, binMs: Double
    ) throws -> PerturbationTrials {
        let perturbations = sets.map { s in
            s.kind == .silence
                ? CircuitPerturbation(clampedNeurons: s.neurons, clampStates: [Double](repeating: 0, count: s.neurons.count),
                                      startBin: s.window.lowerBound, endBin: s.window.upperBound)
                : CircuitPerturbation(stimulatedNeurons: s.neurons, inputsHz: [Double](repeating: s.amplitudeHz, count: s.neurons.count),
                                      startBin: s.window.lowerBound, endBin: s.window.upperBound)
        }
        let runs = try simulate(conditions: Array(0..<conditions), perturbations: perturbations,
                                preparatoryBins: preparatoryBins, movementBins: movementBins, binMs: binMs)
        let T = preparatoryBins + movementBins, N = neurons
        var rates = Array3<Double>(sets.count * conditions, T, N, repeating: 0)
        var targets = Array3<Double>(sets.count * conditions, T, readout.rows, repeating: 0)
        for (p, run) in runs.enumerated() {
            let z = outputs(run.rates)
            let rBlock = conditions * T * N, zBlock = conditions * T * readout.rows
            rates.data.replaceSubrange((p * rBlock)..<((p + 1) * rBlock), with: run.rates.data)
            targets.data.replaceSubrange((p * zBlock)..<((p + 1) * zBlock), with: z.data)
        }
        return PerturbationTrials(sets: sets, rates: rates, targets: targets)
    }
}

/// The dataset of `generated` with the perturbation trials its configuration asks for
/// (`CircuitConfig.perturbationTrials`; unchanged when there are none): the sets drawn from the
/// circuit seed's stream 3, every set simulated in every condition.
public func addingPerturbationTrials(to generated: GeneratedCircuit) throws -> ReachDataset {
    let c = generated.config
    var dataset = generated.dataset
    guard let trials = c.perturbationTrials, trials.sets > 0 else { return dataset }
    try trials.validate(neurons: c.neurons, excitatory: c.excitatoryCount, dtMs: c.dtMs, movementMs: c.movementMs)
    var random = SeededRandom(seed: c.seed).derived(3)
    let sets = trials.drawSets(excitatory: generated.excitatory, goIndex: dataset.goIndex, dtMs: c.dtMs, random: &random)
    dataset.perturbations = try GroundTruthCircuit(generated).perturbationTrials(
        sets: sets, conditions: dataset.conditions, preparatoryBins: c.preparatorySteps, movementBins: c.movementSteps, binMs: c.dtMs)
    return dataset
}
