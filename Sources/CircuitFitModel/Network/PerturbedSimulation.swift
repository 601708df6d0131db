import CircuitFitCore

/// A perturbation of chosen model units, acting on every state h[t] with
/// `fromStep` ≤ t < `toStep` (the window; `toStep` = Int.max: to the end of the trial):
///
///   h[t+1] = (1−α) h[t] + α (J r[t] + B u[t] + b + s)     s_u = current of unit u (0 elsewhere)
///   h_u[t] = clamp_u   for every clamped unit u          (so r_u[t] = tanh(clamp_u) is held)
///
/// The stimulus enters the update that produces h[t] for t in the window; the clamp overrides
/// h[t] for t in the window. Currents are dimensionless, like B·u. The same description drives
/// the forward-only `simulatePerturbed` and the training path (`TrainingData.perturbations`):
/// there a clamped state is a constant, so no gradient flows into it (its outgoing weights still
/// act through r_u), and a current is a constant added to the update.
public struct UnitPerturbation: Sendable, Equatable, Codable {
    /// Units held fixed, [P], and the state h each is held at, [P].
    public var clampedUnits: [Int]
    public var clampStates: [Double]
    /// Units receiving a step current, [Q], and the current each receives, [Q].
    public var stimulatedUnits: [Int]
    public var currents: [Double]
    /// First time step the perturbation acts on.
    public var fromStep: Int
    /// First time step it no longer acts on (exclusive end of the window).
    public var toStep: Int

    public init(clampedUnits: [Int] = [], clampStates: [Double] = [], stimulatedUnits: [Int] = [], currents: [Double] = [], fromStep: Int, toStep: Int = Int.max) {
        self.clampedUnits = clampedUnits; self.clampStates = clampStates
        self.stimulatedUnits = stimulatedUnits; self.currents = currents; self.fromStep = fromStep
        self.toStep = toStep
    }

    enum CodingKeys: String, CodingKey {
        case clampedUnits = "clamped_units", clampStates = "clamp_states", stimulatedUnits = "stimulated_units"
        case currents, fromStep = "from_step", toStep = "to_step"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            clampedUnits: try c.decode([Int].self, forKey: .clampedUnits), clampStates: try c.decode([Double].self, forKey: .clampStates),
            stimulatedUnits: try c.decode([Int].self, forKey: .stimulatedUnits), currents: try c.decode([Double].self, forKey: .currents),
            fromStep: try c.decode(Int.self, forKey: .fromStep), toStep: try c.decodeIfPresent(Int.self, forKey: .toStep) ?? Int.max)
    }

    /// No perturbation (the unperturbed run of a batch).
    public static let none = UnitPerturbation(fromStep: Int.max)

    /// True when nothing is clamped or driven, or the window is empty.
    public var isNone: Bool { (clampedUnits.isEmpty && stimulatedUnits.isEmpty) || fromStep >= toStep }

    /// Whether it acts on state h[t].
    @inline(__always) public func acts(onStep t: Int) -> Bool { t >= fromStep && t < toStep }

    /// Throws a one-line error if a unit is outside 0..<hidden, a unit is listed twice in one
    /// list, or the lists' lengths differ.
    public func validate(hidden: Int) throws {
        guard clampedUnits.count == clampStates.count, stimulatedUnits.count == currents.count else {
            throw CircuitFitError("perturbation: \(clampedUnits.count) clamped units with \(clampStates.count) states, \(stimulatedUnits.count) stimulated units with \(currents.count) currents")
        }
        if let bad = (clampedUnits + stimulatedUnits).first(where: { $0 < 0 || $0 >= hidden }) {
            throw CircuitFitError("perturbation: unit \(bad) outside 0..<\(hidden)")
        }
        guard Set(clampedUnits).count == clampedUnits.count, Set(stimulatedUnits).count == stimulatedUnits.count else {
            throw CircuitFitError("perturbation: a unit is listed twice (clamped \(clampedUnits), stimulated \(stimulatedUnits))")
        }
        guard (clampStates + currents).allSatisfy(\.isFinite) else {
            throw CircuitFitError("perturbation: clamp states and currents must be finite")
        }
        guard fromStep >= 0 else { throw CircuitFitError("perturbation: fromStep must be ≥ 0, got \(fromStep)") }
    }
}

/// Runs the model noise-free on inputs [C, T, I] once per perturbation, all perturbations and
/// conditions batched into one [P·C, H] state (one gemm per step), and returns for each
/// perturbation its states h and rates r = tanh(h) [C, T, H] and outputs z [C, T, K] (Float32,
/// as training).
/// With `UnitPerturbation.none` the run equals `simulate` (up to the gemm's rounding).
public func simulatePerturbed<S: BinaryFloatingPoint & Sendable>(
    spec: RNNSpec, parameters: RNNParameters, inputs: Array3<S>, perturbations: [UnitPerturbation]
) throws -> [(states: Array3<Float>, rates: Array3<Float>, outputs: Array3<Float>)] {
    guard parameters.layout == spec.layout else { throw CircuitFitError("simulatePerturbed: parameters do not match the model's layout") }
    guard inputs.d2 == spec.inputs else {
        throw CircuitFitError("simulatePerturbed: inputs have \(inputs.d2) channels, the model has \(spec.inputs)")
    }
    let H = spec.hidden, I = spec.inputs, K = spec.outputs
    for p in perturbations { try p.validate(hidden: H) }
    let nC = inputs.d0, T = inputs.d1, P = perturbations.count
    let R = P * nC
    if R == 0 || T == 0 { return perturbations.map { _ in (Array3<Float>(nC, T, H, repeating: 0), Array3<Float>(nC, T, H, repeating: 0), Array3<Float>(nC, T, K, repeating: 0)) } }
    let J = parameters.effectiveJ(spec: spec)
    var JT = [Float](repeating: 0, count: H * H)                 // Jᵀ, so a step is r·Jᵀ
    for i in 0..<H { for j in 0..<H { JT[j * H + i] = J[i * H + j] } }
    let B = parameters.block(.B), b = parameters.block(.b), Cw = parameters.block(.C)
    let d = parameters.block(.d), h0 = parameters.block(.h0)
    let a = Float(spec.alpha), leak = 1 - a

    // per-row perturbation vectors: stimulus s [R, H] and clamp (mask, state) [R, H]
    var stim = [Float](repeating: 0, count: R * H)
    var clampMask = [Bool](repeating: false, count: R * H)
    var clampValue = [Float](repeating: 0, count: R * H)
    for (pi, p) in perturbations.enumerated() {
        for c in 0..<nC {
            let row = (pi * nC + c) * H
            for (u, s) in zip(p.stimulatedUnits, p.currents) { stim[row + u] += Float(s) }
            for (u, v) in zip(p.clampedUnits, p.clampStates) { clampMask[row + u] = true; clampValue[row + u] = Float(v) }
        }
    }
    var h = [Float](repeating: 0, count: R * H), hn = h, r = h, xin = h
    var rates = [Array3<Float>](repeating: Array3<Float>(nC, T, H, repeating: 0), count: P)
    var outputs = [Array3<Float>](repeating: Array3<Float>(nC, T, K, repeating: 0), count: P)
    var states = rates

    func clamp(_ state: inout [Float], step t: Int) {
        for (pi, p) in perturbations.enumerated() where p.acts(onStep: t) && !p.clampedUnits.isEmpty {
            for c in 0..<nC {
                let row = (pi * nC + c) * H
                for u in p.clampedUnits { state[row + u] = clampValue[row + u] }
            }
        }
    }
    func record(step t: Int) {
        h.withUnsafeBufferPointer { hp in r.withUnsafeMutableBufferPointer { rp in Float.tanh(hp.baseAddress!, rp.baseAddress!, count: R * H) } }
        for pi in 0..<P {
            for c in 0..<nC {
                let row = (pi * nC + c) * H
                for i in 0..<H { rates[pi][c, t, i] = r[row + i]; states[pi][c, t, i] = h[row + i] }
                for k in 0..<K {
                    var s = d[k]
                    for i in 0..<H { s += Cw[k * H + i] * r[row + i] }
                    outputs[pi][c, t, k] = s
                }
            }
        }
    }

    // h[0] = h0 (clamped where the perturbation starts at step 0)
    for row in 0..<R { for i in 0..<H { h[row * H + i] = h0[i] } }
    clamp(&h, step: 0)
    record(step: 0)
    for t in 0..<(T - 1) {
        // input drive xin = B u[t] + b, one row per (perturbation, condition)
        for pi in 0..<P {
            let active = perturbations[pi].acts(onStep: t + 1)
            for c in 0..<nC {
                let row = (pi * nC + c) * H
                for i in 0..<H {
                    var s = b[i]
                    for k in 0..<I { s += B[i * I + k] * Float(inputs[c, t, k]) }
                    if active { s += stim[row + i] }
                    xin[row + i] = s
                }
            }
        }
        // h[t+1] = (1−α) h[t] + α xin + α r[t] Jᵀ
        for k in 0..<(R * H) { hn[k] = leak * h[k] + a * xin[k] }
        r.withUnsafeBufferPointer { rp in
            JT.withUnsafeBufferPointer { jp in
                hn.withUnsafeMutableBufferPointer { np in
                    RecurrentProduct.accumulate(conditions: R, hidden: H, alpha: a, rp.baseAddress!, jp.baseAddress!, np.baseAddress!)
                }
            }
        }
        swap(&h, &hn)
        clamp(&h, step: t + 1)
        record(step: t + 1)
    }
    return (0..<P).map { (states[$0], rates[$0], outputs[$0]) }
}
