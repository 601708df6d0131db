import Foundation
import CircuitFitCore

/// The task inputs u [T, I] of one trial, as `generate` shapes them: every channel holds its value
/// before the event (bins 0 ..< go_index) and is 0 from the event on, and the last channel is a
/// hold signal (1 before the event, 0 after) whose drop is the go cue.
///
/// - `.conditionOneHot`: one channel per condition, 1 on the trial's own condition. A held-out
///   condition's channel is then never active in training: the network cannot have learned
///   anything about it (`train` and `evaluate` warn);
/// - `.angle`: cos θ and sin θ of the trial's reach angle (radians, from `ReachAngles`): exactly
///   the built-in dataset's inputs (`generate`: u = (cos θ, sin θ, 1) before the go cue, 0 after),
///   so a network can generalise to angles it never saw;
/// - `.columns`: one channel per name in `inputColumns`, holding the trial's value of that
///   numeric trials column (e.g. target x and y).
///
/// Averaging rows over trials averages these too.
struct InputChannels {
    /// Channel names, in order.
    let names: [String]
    let rule: String
    private let mode: ImportOptions.InputMode
    /// For `.columns` and `.angle`: each channel's value per trials-table row.
    private let columnValues: [[Double]]

    init(options: ImportOptions, grouping: ConditionGrouping, table: TrialTable, angles: ReachAngles, file: String) throws {
        mode = options.inputs
        let hold = "hold (1 before the event, 0 from goIndex: its drop is the go cue)"
        switch options.inputs {
        case .conditionOneHot:
            columnValues = []
            names = grouping.labels.map { "condition \($0)" } + [hold]
            rule = "one-hot of the condition, held before the event, plus a hold channel (as generate's inputs); a held-out condition's channel is never seen in training"
        case .angle:
            columnValues = [angles.perTrial.map { cos($0) }, angles.perTrial.map { sin($0) }]
            names = ["cos θ (\(options.angleColumn))", "sin θ (\(options.angleColumn))", hold]
            rule = "cos θ and sin θ of the reach angle (\(angles.rule)), held before the event, plus a hold channel: generate's inputs (cos θ, sin θ, 1)"
        case .columns:
            columnValues = try options.inputColumns.map {
                try table.numbers($0, in: file, purpose: "an input channel")
            }
            for (name, values) in zip(options.inputColumns, columnValues) {
                if let bad = grouping.trials.joined().sorted().first(where: { !values[$0].isFinite }) {
                    throw CircuitFitError("\(file): input column '\(name)' is \(values[bad]) for trial \(table.ids[bad]), expected a finite number")
                }
            }
            names = options.inputColumns + [hold]
            rule = "trials columns \(options.inputColumns.joined(separator: ", ")) held before the event, plus a hold channel (as generate's inputs)"
        }
    }

    /// The inputs of trial `trial` (of condition `condition`), [T, I] row-major.
    func values(trial: Int, condition: Int, grid: BinGrid) -> [Double] {
        let channels = names.count
        var perChannel = [Double](repeating: 0, count: channels)
        switch mode {
        case .conditionOneHot: perChannel[condition] = 1
        case .columns, .angle: for (c, values) in columnValues.enumerated() { perChannel[c] = values[trial] }
        }
        perChannel[channels - 1] = 1
        var out = [Double](repeating: 0, count: grid.count * channels)
        for bin in 0..<min(grid.eventIndex, grid.count) {
            for c in 0..<channels { out[bin * channels + c] = perChannel[c] }
        }
        return out
    }
}
