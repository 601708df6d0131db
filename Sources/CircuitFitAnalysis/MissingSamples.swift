import CircuitFitCore

/// How the population metrics treat missing samples (NaN in a recording): a metric computed on a
/// set of conditions uses only the neurons that have a value at every time step of those
/// conditions ("complete neurons"); a neuron with any missing sample there is left out of that
/// metric, whole. CCA and Procrustes (`DynamicsSimilarity`) and the held-out-neuron R²
/// (`HeldOutNeuronR2`, complete on its training and held-out conditions) all follow this rule,
/// so every number is an ordinary, exact statistic of the neurons it names; training instead
/// masks each missing sample (`TrainingData`). Without NaN every neuron is complete and nothing
/// changes.
public enum MissingSamples {
    /// The channels of `array` [C, T, X] (of `among`, in its order; default all) with no NaN at
    /// any time step of `conditions`.
    public static func completeChannels(_ array: Array3<Double>, conditions: [Int], among channels: [Int]? = nil) -> [Int] {
        let candidates = channels ?? Array(0..<array.d2)
        guard array.data.contains(where: \.isNaN) else { return candidates }
        return candidates.filter { j in
            guard j >= 0 && j < array.d2 else { return true }  // out of range: the metric reports it
            return !conditions.contains { c in c >= 0 && c < array.d0 && (0..<array.d1).contains { array[c, $0, j].isNaN } }
        }
    }

    /// Whether `array` has a NaN on any of `channels` (default all) at the steps of `conditions`.
    public static func hasMissing(_ array: Array3<Double>, conditions: [Int], among channels: [Int]? = nil) -> Bool {
        completeChannels(array, conditions: conditions, among: channels).count != (channels?.count ?? array.d2)
    }
}
