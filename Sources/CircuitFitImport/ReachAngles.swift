import Foundation
import CircuitFitCore

/// Each trial's and condition's reach angle (radians) from the options' angle column, with its
/// unit made explicit: degrees or radians as given; when no unit is given, values within ±2π are
/// read as radians and any value beyond is an error asking for the unit (315 read as radians
/// would be drawn as 18 048°). Values are range-checked (±360° or ±2π), and the trials of one
/// condition must agree. NaN everywhere when no angle column is given.
struct ReachAngles {
    var perTrial: [Double]
    var perCondition: [Double]
    /// Where the angles came from, in words (for the provenance).
    var rule: String

    init(grouping: ConditionGrouping, table: TrialTable, options: ImportOptions, file: String) throws {
        let column = options.angleColumn
        guard !column.isEmpty else {
            perTrial = Array(repeating: .nan, count: table.count)
            perCondition = Array(repeating: .nan, count: grouping.labels.count)
            rule = "none given: NaN"
            return
        }
        let raw = try table.numbers(column, in: file, purpose: "reach angles")
        let used = grouping.trials.joined().sorted()
        if let bad = used.first(where: { !raw[$0].isFinite }) {
            throw CircuitFitError("\(file): angle column '\(column)' is \(raw[bad]) for trial \(table.ids[bad]), expected a finite angle (leave the trial out with --drop-trials \(table.ids[bad]) or --where)")
        }
        let largest = used.map { abs(raw[$0]) }.max() ?? 0
        var unit = options.angleUnit
        var note = ""
        if unit == .unspecified {
            guard largest <= 2 * .pi + 1e-9 else {
                let trial = used.first { abs(raw[$0]) == largest }!
                throw CircuitFitError("\(file): angle column '\(column)' holds \(ConditionGrouping.label(of: raw[trial])) (trial \(table.ids[trial])), beyond 2π: give its unit with --angle-unit deg (or rad)")
            }
            unit = .radians
            note = "; no unit given, every |value| ≤ 2π, read as radians"
        }
        let limit = unit == .degrees ? 360.0 : 2 * .pi
        if largest > limit + 1e-9 {
            let trial = used.first { abs(raw[$0]) == largest }!
            let name = unit == .degrees ? "degrees (at most ±360)" : "radians (at most ±2π)"
            throw CircuitFitError("\(file): angle column '\(column)' holds \(ConditionGrouping.label(of: raw[trial])) for trial \(table.ids[trial]), out of range for \(name): check --angle-unit")
        }
        let scale = unit == .degrees ? Double.pi / 180 : 1
        let perTrial = raw.map { $0 * scale }
        perCondition = try grouping.trials.enumerated().map { c, trials -> Double in
            let first = perTrial[trials[0]]
            if let other = trials.first(where: { !(abs(perTrial[$0] - first) <= 1e-9 * max(1, abs(first))) }) {
                throw CircuitFitError("\(file): angle column '\(column)' differs within condition '\(grouping.labels[c])' (trial \(table.ids[trials[0]]): \(raw[trials[0]]), trial \(table.ids[other]): \(raw[other]))")
            }
            return first
        }
        self.perTrial = perTrial
        rule = "trials column '\(column)' (\(unit.rawValue)\(note)), stored in radians"
    }
}
