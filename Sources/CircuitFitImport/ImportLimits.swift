import CircuitFitCore

/// The size checks `RecordingImporter` makes from the shapes it is about to fill, before it
/// allocates them: the memory of the dataset's arrays (bins × units × rows, plus targets and
/// inputs) against the `MemoryBudget`, and the work of the Gaussian smoothing (every unit of every
/// averaged row and split half convolved with the kernel, each candidate kernel of `--smooth-ms
/// auto` on the halves) against a bound that keeps an import to minutes, not days.
enum ImportLimits {
    /// Multiply-adds of smoothing allowed (about two minutes on one core).
    static let maximumSmoothingOperations = 100_000_000_000

    static func check(
        rows: Int, bins: Int, units: Int, targets: Int, inputs: Int, conditions: Int,
        perturbedRows: Int = 0, options: ImportOptions, file: String
    ) throws {
        // recorded, targets and inputs, each held about 5 times at once: the arrays, their NPZ
        // form (values and encoded bytes), and the check that reads that form back
        // (+ the perturbation sets' PSTHs and behaviour, [P·C, T, M + K])
        let values = MemorySize.sum(MemorySize.product(rows, bins, MemorySize.sum(units, targets, inputs)), MemorySize.product(perturbedRows, bins, MemorySize.sum(units, targets)))
        let bytes = MemorySize.sum(MemorySize.product(values, 8, 5), MemorySize.product(bins, units, 8, 2))
        try MemoryBudget.current.require(
            bytes, for: "\(file): importing \(rows) \(options.singleTrials ? "trials" : "conditions")\(perturbedRows > 0 ? " (+ \(perturbedRows) perturbed)" : "") × \(bins) bins of \(options.binMs) ms × \(units) units (+ \(targets) target and \(inputs) input channels)")
        // the final smoothing: every row and both split halves of every condition
        let kernels: [(series: Int, halfWidth: Int)]
        switch options.smoothMs {
        case .ms(let sd):
            kernels = [(rows + perturbedRows + 2 * conditions, GaussianSmoother(sdMs: sd, binMs: options.binMs).halfWidth)]
        case .auto:   // each candidate on both halves, then the chosen one (at most the widest) on all
            let widths = SmoothingSelection.candidates(bins: bins).map { GaussianSmoother(sdMs: $0 * options.binMs, binMs: options.binMs).halfWidth }
            kernels = widths.map { (2 * conditions, $0) } + [(rows + perturbedRows + 2 * conditions, widths.max() ?? 0)]
        }
        var operations = 0
        for (series, halfWidth) in kernels where halfWidth > 0 {
            operations = MemorySize.sum(operations, MemorySize.product(series, units, bins, 2 * min(halfWidth, max(bins - 1, 0)) + 1))
        }
        guard operations <= maximumSmoothingOperations else {
            throw CircuitFitError("\(file): smoothing \(units) units × \(bins) bins of \(rows) row(s) and \(2 * conditions) split halves with a kernel of SD \(options.smoothMs) ms takes about \(operations) operations, more than the \(maximumSmoothingOperations) allowed; use a wider --bin-ms or a smaller --smooth-ms")
        }
    }
}
