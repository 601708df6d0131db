import CircuitFitCore

/// Which conditions are held out of training: the `heldOutConditions` option when given (labels
/// matched like `conditions`), else round(trainFraction · C) training conditions (at least one,
/// and at least one held out when trainFraction < 1 and C ≥ 2) with the held-out ones drawn by a
/// seeded shuffle (`SeededRandom(seed)`), so the same seed gives the same split.
struct HeldOutConditionChoice {
    /// true = training, per condition in dataset order.
    var isTraining: [Bool]
    /// How the split was chosen, in words.
    var rule: String

    init(grouping: ConditionGrouping, options: ImportOptions, file: String) throws {
        let c = grouping.labels.count
        if !options.heldOutConditions.isEmpty {
            let held = try options.heldOutConditions.map {
                try ConditionGrouping.match($0, among: grouping.labels, numeric: grouping.isNumeric, column: options.conditionColumn, file: file)
            }
            isTraining = grouping.labels.map { !held.contains($0) }
            guard isTraining.contains(true) else {
                throw CircuitFitError("import options: heldOutConditions leaves no training condition (conditions: \(grouping.labels.joined(separator: ", ")))")
            }
            rule = "held-out conditions given in the options"
            return
        }
        var training = Int((options.trainFraction * Double(c)).rounded())
        training = max(1, min(training, options.trainFraction < 1 && c >= 2 ? c - 1 : c))
        var random = SeededRandom(seed: options.seed)
        var order = Array(0..<c)
        for i in stride(from: c - 1, to: 0, by: -1) {
            order.swapAt(i, random.integer(below: i + 1))
        }
        let heldOut = Set(order.prefix(c - training))
        isTraining = (0..<c).map { !heldOut.contains($0) }
        rule = "\(training) of \(c) conditions for training (trainFraction \(options.trainFraction)); held-out ones drawn by a Fisher–Yates shuffle with seed \(options.seed)"
    }
}
