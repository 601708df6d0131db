import CircuitFitCore

/// Stacks the time steps of chosen conditions of a `[C, T, X]` array into one `(samples, X)`
/// matrix: the rows are condition `conditions[0]` at t = 0…T−1, then `conditions[1]`, and so on,
/// so row `i * T + t` is time step t of the i-th listed condition.
///
/// `channels` picks and orders columns (for example the circuit neurons that were not recorded);
/// `nil` keeps all X. Throws on an empty, out-of-range or repeated condition or channel index.
public func stackConditions(
    _ array: Array3<Double>, conditions: [Int], channels: [Int]? = nil
) throws -> Matrix<Double> {
    let shape = "[\(array.d0),\(array.d1),\(array.d2)]"
    guard !conditions.isEmpty else { throw CircuitFitError("stackConditions: no conditions given for an array of shape \(shape)") }
    if let bad = conditions.first(where: { $0 < 0 || $0 >= array.d0 }) {
        throw CircuitFitError("stackConditions: condition \(bad) is out of range for an array of shape \(shape) (\(array.d0) conditions)")
    }
    if Set(conditions).count != conditions.count {
        throw CircuitFitError("stackConditions: condition list \(conditions) repeats a condition")
    }
    let picked = channels ?? Array(0..<array.d2)
    if let bad = picked.first(where: { $0 < 0 || $0 >= array.d2 }) {
        throw CircuitFitError("stackConditions: channel \(bad) is out of range for an array of shape \(shape) (\(array.d2) channels)")
    }
    if Set(picked).count != picked.count {
        throw CircuitFitError("stackConditions: channel list repeats a channel")
    }
    let steps = array.d1
    var out = Matrix<Double>(rows: conditions.count * steps, cols: picked.count)
    for (i, c) in conditions.enumerated() {
        for t in 0..<steps {
            let row = i * steps + t
            for (k, j) in picked.enumerated() { out[row, k] = array[c, t, j] }
        }
    }
    return out
}
