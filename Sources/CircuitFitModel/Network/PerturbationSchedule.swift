import CircuitFitCore

/// The perturbations of one batch (one `UnitPerturbation` per condition), precomputed for the
/// time loop as a sparse mask: flat offsets c·H + u into a step's [C, H] block, the value at each
/// and its window. The forward pass overwrites clamped states and adds currents; the backward
/// pass and the tangent (Gauss-Newton) pass zero the clamped entries of dh and ḣ (a clamped state
/// is a constant: no gradient flows into it or through it; its rate still feeds J r).
/// Per step the work is one pass over the entries, nothing is allocated; an empty schedule
/// costs one branch per step.
struct PerturbationSchedule<Scalar: RNNScalar> {
    /// Clamps: offset c·H + u, state h held there, window [from, to).
    let clampOffset: [Int]
    let clampState: [Scalar]
    let clampFrom: [Int]
    let clampTo: [Int]
    /// Currents: offset c·H + u, α·s added to the update producing h[t], window [from, to).
    let currentOffset: [Int]
    let currentStep: [Scalar]
    let currentFrom: [Int]
    let currentTo: [Int]

    var isEmpty: Bool { clampOffset.isEmpty && currentOffset.isEmpty }
    var hasClamps: Bool { !clampOffset.isEmpty }

    /// From one perturbation per condition ([] = none), for H units and step factor α.
    init(_ perturbations: [UnitPerturbation], hidden H: Int, alpha: Scalar) {
        var co: [Int] = [], cs: [Scalar] = [], cf: [Int] = [], ct: [Int] = []
        var so: [Int] = [], ss: [Scalar] = [], sf: [Int] = [], st: [Int] = []
        for (c, p) in perturbations.enumerated() where !p.isNone {
            for (u, v) in zip(p.clampedUnits, p.clampStates) {
                co.append(c * H + u); cs.append(Scalar(v)); cf.append(p.fromStep); ct.append(p.toStep)
            }
            for (u, v) in zip(p.stimulatedUnits, p.currents) {
                so.append(c * H + u); ss.append(alpha * Scalar(v)); sf.append(p.fromStep); st.append(p.toStep)
            }
        }
        clampOffset = co; clampState = cs; clampFrom = cf; clampTo = ct
        currentOffset = so; currentStep = ss; currentFrom = sf; currentTo = st
    }

    /// h[t] (the block of step t) += α s for the currents acting on step t.
    @inline(__always) func addCurrents(_ block: UnsafeMutablePointer<Scalar>, step t: Int) {
        for n in 0..<currentOffset.count where t >= currentFrom[n] && t < currentTo[n] {
            block[currentOffset[n]] += currentStep[n]
        }
    }

    /// h[t] = the clamp state, for the clamps acting on step t.
    @inline(__always) func clamp(_ block: UnsafeMutablePointer<Scalar>, step t: Int) {
        for n in 0..<clampOffset.count where t >= clampFrom[n] && t < clampTo[n] {
            block[clampOffset[n]] = clampState[n]
        }
    }

    /// Sets to 0 the entries of a step-t block (dh[t] or ḣ[t]) that are clamped at step t.
    @inline(__always) func zeroClamped(_ block: UnsafeMutablePointer<Scalar>, step t: Int) {
        for n in 0..<clampOffset.count where t >= clampFrom[n] && t < clampTo[n] {
            block[clampOffset[n]] = 0
        }
    }
}
