import CircuitFitCore

/// Checks a list of recorded neurons (indices into a population of `neuronCount`): every index
/// in range, no duplicates. Throws a one-line `CircuitFitError` otherwise.
public func validateRecordedNeurons(_ neurons: [Int], neuronCount: Int) throws {
    if let bad = neurons.first(where: { $0 < 0 || $0 >= neuronCount }) {
        throw CircuitFitError("recorded neurons: index \(bad) out of range 0..<\(neuronCount)")
    }
    var seen = Set<Int>()
    for n in neurons where !seen.insert(n).inserted {
        throw CircuitFitError("recorded neurons: neuron \(n) listed twice")
    }
}

/// Draws `count` distinct recorded neurons from 0..<`neuronCount` (or only from `among`, e.g. the
/// excitatory neurons), seeded. The result is in draw order, so for one seed the draw for a
/// smaller M is a prefix of the draw for a larger M (nested samples across M).
public func chooseRecordedNeurons(count: Int, neuronCount: Int, among: [Int]? = nil, seed: UInt64) throws -> [Int] {
    let pool = among ?? Array(0..<neuronCount)
    try validateRecordedNeurons(pool, neuronCount: neuronCount)
    guard count >= 0 else { throw CircuitFitError("recorded neurons: count must be ≥ 0, got \(count)") }
    guard count <= pool.count else {
        throw CircuitFitError("recorded neurons: cannot record M = \(count) neurons from \(pool.count) available")
    }
    var rng = SeededRandom(seed: seed)
    return rng.sample(pool, count: count)
}

/// The default model units for the identity mapping: units 0..<M in order; under Dale's law
/// (`modelExcitatory` given) each neuron gets the lowest free model unit of its own type
/// (`neuronExcitatory[n]` for circuit neuron n). Throws if the model lacks units of a type.
public func defaultRecordedUnits(
    neurons: [Int], hidden: Int, neuronExcitatory: [Bool]? = nil, modelExcitatory: [Bool]? = nil
) throws -> [Int] {
    guard neurons.count <= hidden else {
        throw CircuitFitError("recorded units: M = \(neurons.count) recorded neurons need M ≤ H = \(hidden) model units")
    }
    guard let modelExcitatory else { return Array(0..<neurons.count) }
    guard modelExcitatory.count == hidden else {
        throw CircuitFitError("recorded units: model E/I split has \(modelExcitatory.count) entries for \(hidden) units")
    }
    guard let neuronExcitatory else {
        throw CircuitFitError("recorded units: Dale's law in the model needs the recorded neurons' E/I types")
    }
    var free: [Bool: [Int]] = [true: [], false: []]
    for (unit, e) in modelExcitatory.enumerated().reversed() { free[e]!.append(unit) }  // lowest last
    return try neurons.map { n in
        guard n >= 0, n < neuronExcitatory.count else {
            throw CircuitFitError("recorded units: neuron \(n) has no E/I type (\(neuronExcitatory.count) types given)")
        }
        let type = neuronExcitatory[n]
        guard let unit = free[type]!.popLast() else {
            throw CircuitFitError("recorded units: more recorded \(type ? "excitatory" : "inhibitory") neurons than \(type ? "excitatory" : "inhibitory") model units")
        }
        return unit
    }
}
