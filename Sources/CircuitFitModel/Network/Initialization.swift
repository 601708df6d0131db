import CircuitFitCore

/// Initial parameters (docs/method.md#initialisation): J ~ N(0, g²/H), B ~ N(0, 1), C ~ N(0, 1/H),
/// D ~ N(0, 1/H) (linear mapping; *choice*), b = d = h0 = e = 0, all drawn from `SeededRandom(seed)`.
///
/// Connectivity mask: masked weights start at 0. Dale's law: the stored W is |N(0, g²/H)|, and the
/// inhibitory columns are scaled by N_E/N_I (when both types exist) so that every unit's expected
/// excitatory and inhibitory input balance (as PsychRNN does); with equal E and I counts the
/// scale is 1. `gain` is g (default 1.2).
public func initialParameters(spec: RNNSpec, gain: Double = 1.2, seed: UInt64) -> RNNParameters {
    var rng = SeededRandom(seed: seed)
    let layout = spec.layout
    let H = spec.hidden
    var p = RNNParameters(layout: layout)
    let sdJ = gain / Double(H).squareRoot()
    var w = (0..<(H * H)).map { _ in Float(rng.normal() * sdJ) }
    if let exc = spec.excitatory {
        let nE = exc.filter { $0 }.count, nI = H - nE
        let inhibitoryScale: Float = nE > 0 && nI > 0 ? Float(nE) / Float(nI) : 1
        for i in 0..<H { for j in 0..<H { w[i * H + j] = abs(w[i * H + j]) * (exc[j] ? 1 : inhibitoryScale) } }
    }
    if let mask = spec.connectivityMask { for i in 0..<(H * H) { w[i] *= mask[i] } }
    p[.J] = w[...]
    p[.B] = ArraySlice((0..<(H * spec.inputs)).map { _ in Float(rng.normal()) })
    let sdOut = 1 / Double(H).squareRoot()
    p[.C] = ArraySlice((0..<(spec.outputs * H)).map { _ in Float(rng.normal() * sdOut) })
    if layout.mapping == .linear {
        p[.D] = ArraySlice((0..<(spec.recorded * H)).map { _ in Float(rng.normal() * sdOut) })
    }
    return p
}
