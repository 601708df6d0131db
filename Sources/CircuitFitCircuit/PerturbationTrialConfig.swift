import CircuitFitCore

/// Which neurons a perturbation set draws from.
public enum PerturbedPopulation: String, Codable, Sendable, CaseIterable {
    /// Excitatory neurons only.
    case E
    /// Inhibitory neurons only.
    case I
    /// Any neuron.
    case mixed
}

/// The perturbation trials `generate` adds to the dataset (docs/method.md § Perturbation
/// trials): `sets` seeded sets of `size` neurons of `population`, each silenced (clamped at
/// baseline) or stimulated (a step input of `stimulusHz`) during `windowMs` (ms after the go
/// cue, [start, end)) in every condition; the last `heldOutSets` are for testing only. The
/// sets are drawn from the circuit seed's stream 3.
public struct PerturbationTrialConfig: Codable, Equatable, Sendable {
    public var sets: Int = 0
    public var size: Int = 5
    public var population: PerturbedPopulation = .E
    public var kind: PerturbationKind = .silence
    /// Step input of a stimulated neuron, Hz (added to τ dx/dt; an isolated neuron settles this
    /// far above baseline). Ignored for silence.
    public var stimulusHz: Double = 10
    /// [start, end) ms after the go cue; default the whole movement epoch of the default circuit.
    public var windowMs: [Double] = [0, 500]
    public var heldOutSets: Int = 0
    /// Draw every set from one seeded pool of this many neurons of `population` (the neurons a
    /// lab can perturb, e.g. opto-tagged ones); 0 = the whole population.
    public var pool: Int = 0

    public init() {}

    /// Throws a one-line error for settings no perturbation trials can be made with, for a
    /// circuit of `neurons` (`excitatory` E) neurons with bins of `dtMs` and a movement epoch of
    /// `movementMs`.
    public func validate(neurons: Int, excitatory: Int, dtMs: Double, movementMs: Double) throws {
        func need(_ ok: Bool, _ what: String) throws { if !ok { throw CircuitFitError("perturbation trials: \(what)") } }
        try need(sets >= 0, "sets must be ≥ 0, got \(sets)")
        guard sets > 0 else { return }
        let pool = population == .E ? excitatory : population == .I ? neurons - excitatory : neurons
        try need(self.pool >= 0 && self.pool <= pool, "pool must be in 0…\(pool) (the \(population.rawValue) neurons), got \(self.pool)")
        let drawn = self.pool > 0 ? self.pool : pool
        try need(size >= 1 && size <= drawn, "size must be in 1…\(drawn) (the \(self.pool > 0 ? "pool" : population.rawValue + " neurons")), got \(size)")
        try need(heldOutSets >= 0 && heldOutSets <= sets, "held-out sets must be in 0…\(sets), got \(heldOutSets)")
        try need(stimulusHz.isFinite, "stimulusHz must be finite, got \(stimulusHz)")
        try need(windowMs.count == 2 && windowMs.allSatisfy(\.isFinite), "window must be two finite numbers START,END (ms after the go cue), got \(windowMs)")
        let (start, end) = (windowMs[0], windowMs[1])
        try need(start >= 0 && end <= movementMs + 1e-9 && end - start >= dtMs - 1e-9,
                 "window [\(start), \(end)) ms must lie in the movement epoch [0, \(movementMs)] ms and span at least one step of \(dtMs) ms")
        for v in [start, end] {
            try need(abs(v / dtMs - (v / dtMs).rounded()) < 1e-9, "window edge \(v) ms is not a whole number of steps of \(dtMs) ms")
        }
    }

    /// The window in dataset steps, [go + start/dt, go + end/dt).
    public func windowSteps(goIndex: Int, dtMs: Double) -> Range<Int> {
        (goIndex + Int((windowMs[0] / dtMs).rounded()))..<(goIndex + Int((windowMs[1] / dtMs).rounded()))
    }

    /// Draws the sets (neurons sorted within a set) from `random`; the last `heldOutSets` are
    /// held out.
    public func drawSets(excitatory: [Bool], goIndex: Int, dtMs: Double, random: inout SeededRandom) -> [PerturbationSet] {
        var pool = excitatory.indices.filter { population == .mixed || excitatory[$0] == (population == .E) }
        if self.pool > 0 { pool = random.sample(pool, count: self.pool).sorted() }
        let window = windowSteps(goIndex: goIndex, dtMs: dtMs)
        return (0..<sets).map { p in
            var candidates = pool
            var chosen: [Int] = []
            for _ in 0..<size {
                let j = random.integer(below: candidates.count)
                chosen.append(candidates.remove(at: j))
            }
            return PerturbationSet(neurons: chosen.sorted(), kind: kind, window: window,
                                   amplitudeHz: kind == .stimulate ? stimulusHz : 0, isTraining: p < sets - heldOutSets)
        }
    }
}
