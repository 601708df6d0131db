import CircuitFitCore

/// The size checks `RecordingImporter` makes from the shapes it is about to fill, before it
/// allocates them: the memory of the dataset's arrays (bins × units × rows, plus targets and
/// inputs) against the `MemoryBudget`, and the work of the Gaussian smoothing (every unit of every
/// trial convolved with the kernel) against a bound that keeps an import to minutes, not days.
enum ImportLimits {
    /// Multiply-adds of smoothing allowed (about two minutes on one core).
    static let maximumSmoothingOperations = 100_000_000_000

    static func check(
        rows: Int, bins: Int, units: Int, targets: Int, inputs: Int, trials: Int, kernelHalfWidth: Int,
        options: ImportOptions, file: String
    ) throws {
        // recorded, targets and inputs, each held about 5 times at once: the arrays, their NPZ
        // form (values and encoded bytes), and the check that reads that form back
        let values = MemorySize.product(rows, bins, MemorySize.sum(units, targets, inputs))
        let bytes = MemorySize.sum(MemorySize.product(values, 8, 5), MemorySize.product(bins, units, 8, 2))
        try MemoryBudget.current.require(
            bytes, for: "\(file): importing \(rows) \(options.singleTrials ? "trials" : "conditions") × \(bins) bins of \(options.binMs) ms × \(units) units (+ \(targets) target and \(inputs) input channels)")
        if kernelHalfWidth > 0 {
            let operations = MemorySize.product(trials, units, bins, 2 * min(kernelHalfWidth, max(bins - 1, 0)) + 1)
            guard operations <= maximumSmoothingOperations else {
                throw CircuitFitError("\(file): smoothing \(trials) trials × \(units) units × \(bins) bins with a kernel of SD \(options.smoothMs) ms (\(kernelHalfWidth) bins each side) takes about \(operations) operations, more than the \(maximumSmoothingOperations) allowed; use a wider --bin-ms or a smaller --smooth-ms")
            }
        }
    }
}
