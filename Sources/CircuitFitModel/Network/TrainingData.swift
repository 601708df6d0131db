import CircuitFitCore

/// The arrays one fit is trained (or validated) on: a chosen set of conditions of a dataset,
/// stored time-major ([T, C, ·]) in Float32 for the model's workspace.
///
/// NaN policy: only the neural recordings may contain NaN (a missing sample, masked out of
/// L_neural). Inputs, task targets and the time mask must be finite, or `init` throws.
public struct TrainingData: Sendable {
    /// Indices of the dataset conditions held here, in this order.
    public let conditions: [Int]
    /// T, time steps per condition.
    public let steps: Int
    /// I, K, M: input channels, outputs, recorded neurons.
    public let inputCount: Int
    public let outputCount: Int
    public let recordedCount: Int
    /// u[t, c, i], [T, C, I].
    public let inputs: [Float]
    /// z*[t, c, k], [T, C, K].
    public let targets: [Float]
    /// y*[t, c, m], [T, C, M], normalised recordings (see `prepareNeuralTargets`), NaN = missing.
    public let neural: [Float]
    /// w[t], [T], weight of step t in L_task (1 = counted, 0 = ignored).
    public let timeMask: [Float]
    /// The variance each output channel's squared error is divided by in L_task, [K], in the
    /// targets' units squared (see `SampleVariance`).
    public let outputVariance: [Double]
    /// The variance each recorded neuron's squared error is divided by in L_neural, [M], in the
    /// normalised recordings' units squared (see `SampleVariance`).
    public let neuralVariance: [Double]
    /// The perturbation of each condition held here, in the order of `conditions` (a
    /// perturbation trial: its units clamped or driven, see `UnitPerturbation`); [] = every
    /// condition is a control trial. Units are model units.
    public let perturbations: [UnitPerturbation]

    /// Selects `conditions` (default: all) from dataset arrays in the dataset layout:
    /// `inputs` [C,T,I], `targets` [C,T,K], `neural` [C,T,M] (nil = no recordings, M = 0),
    /// `timeMask` [T] of non-negative weights, usually 0/1 (nil = all ones).
    ///
    /// `outputVariance` [K] and `neuralVariance` [M] are what each channel's and neuron's squared
    /// error is divided by (the objective is then unit-free). nil = the variance over the samples
    /// selected here (`SampleVariance`); a validation set passes its training set's values so both
    /// are scored on one scale.
    ///
    /// `perturbations`: one per selected condition (in the order of `conditions`), `.none` for a
    /// control trial; nil = all control trials. A perturbation trial is an extra condition of the
    /// batch whose targets are the perturbed recordings.
    public init<S: BinaryFloatingPoint & Sendable>(
        inputs: Array3<S>, targets: Array3<S>, neural: Array3<S>? = nil,
        conditions: [Int]? = nil, timeMask: [Double]? = nil,
        outputVariance: [Double]? = nil, neuralVariance: [Double]? = nil,
        perturbations: [UnitPerturbation]? = nil
    ) throws {
        let nC = inputs.d0, T = inputs.d1
        guard targets.d0 == nC, targets.d1 == T else {
            throw CircuitFitError("training data: targets are \(targets.shape), inputs are \(inputs.shape): conditions and steps must match")
        }
        if let neural, neural.d0 != nC || neural.d1 != T {
            throw CircuitFitError("training data: neural targets are \(neural.shape), inputs are \(inputs.shape): conditions and steps must match")
        }
        guard T >= 1 else { throw CircuitFitError("training data: need at least one time step") }
        let chosen = conditions ?? Array(0..<nC)
        guard !chosen.isEmpty else { throw CircuitFitError("training data: no conditions selected") }
        if let bad = chosen.first(where: { $0 < 0 || $0 >= nC }) {
            throw CircuitFitError("training data: condition \(bad) out of range 0..<\(nC)")
        }
        guard Set(chosen).count == chosen.count else {
            throw CircuitFitError("training data: duplicate conditions in \(chosen)")
        }
        if let perturbations, perturbations.count != chosen.count {
            throw CircuitFitError("training data: \(perturbations.count) perturbations for \(chosen.count) conditions (one per condition, .none for a control trial)")
        }
        let mask = timeMask ?? [Double](repeating: 1, count: T)
        guard mask.count == T else {
            throw CircuitFitError("training data: time mask has \(mask.count) entries for \(T) time steps")
        }
        guard mask.allSatisfy({ $0.isFinite && $0 >= 0 }), mask.contains(where: { $0 > 0 }) else {
            throw CircuitFitError("training data: time mask must be finite, ≥ 0 and not all zero")
        }

        func timeMajor(_ a: Array3<S>, _ name: String, allowNaN: Bool) throws -> [Float] {
            let X = a.d2
            var out = [Float](repeating: 0, count: T * chosen.count * X)
            for (ci, c) in chosen.enumerated() {
                for t in 0..<T {
                    for x in 0..<X {
                        let v = a[c, t, x]
                        if !allowNaN && !v.isFinite {
                            throw CircuitFitError("training data: \(name) is \(v) at condition \(c), step \(t), channel \(x) (only neural recordings may contain NaN)")
                        }
                        if allowNaN && v.isInfinite {
                            throw CircuitFitError("training data: neural target is \(v) at condition \(c), step \(t), neuron \(x) (use NaN for a missing sample)")
                        }
                        out[(t * chosen.count + ci) * X + x] = Float(v)
                    }
                }
            }
            return out
        }
        self.conditions = chosen
        self.perturbations = (perturbations ?? []).contains(where: { !$0.isNone }) ? perturbations! : []
        steps = T
        inputCount = inputs.d2
        outputCount = targets.d2
        recordedCount = neural?.d2 ?? 0
        self.inputs = try timeMajor(inputs, "inputs", allowNaN: false)
        self.targets = try timeMajor(targets, "targets", allowNaN: false)
        self.neural = try neural.map { try timeMajor($0, "neural", allowNaN: true) } ?? []
        self.timeMask = mask.map(Float.init)
        let K = outputCount, M = recordedCount
        if let outputVariance {
            guard outputVariance.count == K, outputVariance.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw CircuitFitError("training data: output variances must be \(K) positive finite numbers, got \(outputVariance)")
            }
            self.outputVariance = outputVariance
        } else {
            self.outputVariance = try SampleVariance.outputs(self.targets, steps: T, channels: K, timeMask: mask)
        }
        if let neuralVariance {
            guard neuralVariance.count == M, neuralVariance.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw CircuitFitError("training data: neural variances must be \(M) positive finite numbers, got \(neuralVariance)")
            }
            self.neuralVariance = neuralVariance
        } else {
            self.neuralVariance = SampleVariance.neurons(self.neural, neurons: M)
        }
    }

    /// Throws if these arrays do not fit `spec`.
    func check(against spec: RNNSpec) throws {
        guard inputCount == spec.inputs else {
            throw CircuitFitError("training data: \(inputCount) input channels, the model has \(spec.inputs)")
        }
        guard outputCount == spec.outputs else {
            throw CircuitFitError("training data: \(outputCount) outputs, the model has \(spec.outputs)")
        }
        guard recordedCount == spec.recorded else {
            throw CircuitFitError("training data: \(recordedCount) recorded neurons, the model expects \(spec.recorded)")
        }
        for (i, p) in perturbations.enumerated() {
            do { try p.validate(hidden: spec.hidden) } catch let error as CircuitFitError {
                throw CircuitFitError("training data: condition \(conditions[i]): \(error.message)")
            }
        }
    }
}
