import Foundation
import CircuitFitCore

/// The trials the importer uses, grouped by condition, from the trials table and the options.
///
/// Conditions are the distinct values of the condition column (numbers ascending, or strings in
/// code-point order), or the `conditions` option's list in its order. A trial is left out (and
/// listed in the provenance) when its event time or its condition is NaN, or its condition was
/// not selected. Errors: a missing column (listing those that exist), a selected condition
/// without usable trials, and — unless allowed — a window reaching outside a trial.
struct ConditionGrouping {
    /// Labels as text, in dataset order.
    var labels: [String] = []
    /// The dataset's `conditions`: numeric labels, or indices into `sortedColumnLabels`.
    var values: [Double] = []
    var isNumeric = false
    /// Distinct labels of a string column, sorted; empty for a numeric column.
    var sortedColumnLabels: [String] = []
    /// Trials-table rows of each condition, ascending.
    var trials: [[Int]] = []
    /// Each trial's event time (s).
    var eventsS: [Double] = []
    var excluded: [ImportProvenance.ExcludedTrial] = []

    init(table: TrialTable, options: ImportOptions, file: String) throws {
        eventsS = try table.numbers(options.alignTo, in: file, purpose: "event times to align on, s")
        let keys: [String?]
        let column = options.conditionColumn
        var sortedKeys: [String]
        var numericValue: [String: Double] = [:]
        switch try table.column(column, in: file) {
        case .numbers(let numbers):
            isNumeric = true
            keys = numbers.map { $0.isNaN ? nil : Self.label(of: $0) }
            let distinct = Set(numbers.filter { !$0.isNaN }).sorted()
            sortedKeys = distinct.map(Self.label(of:))
            for value in distinct { numericValue[Self.label(of: value)] = value }
        case .strings(let strings):
            keys = strings
            sortedKeys = Set(strings).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            sortedColumnLabels = sortedKeys
        case .unsupported(let reason):
            throw CircuitFitError("\(file): trials column '\(column)' cannot be used: \(reason)")
        }

        labels = sortedKeys
        if !options.conditions.isEmpty {
            labels = try options.conditions.map { try Self.match($0, among: sortedKeys, numeric: isNumeric, column: column, file: file) }
            if let repeated = labels.first(where: { label in labels.filter { $0 == label }.count > 1 }) {
                throw CircuitFitError("import options: condition '\(repeated)' is listed twice in conditions")
            }
        }
        let position = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        trials = Array(repeating: [], count: labels.count)
        for (trial, key) in keys.enumerated() {
            guard let key else {
                excluded.append(.init(trial: trial, reason: "\(column) is NaN"))
                continue
            }
            guard let condition = position[key] else {
                excluded.append(.init(trial: trial, reason: "condition '\(key)' not selected"))
                continue
            }
            guard eventsS[trial].isFinite else {
                excluded.append(.init(trial: trial, reason: "\(options.alignTo) is \(eventsS[trial])"))
                continue
            }
            trials[condition].append(trial)
        }
        if let empty = trials.firstIndex(where: \.isEmpty) {
            throw CircuitFitError("\(file): condition '\(labels[empty])' (column '\(column)') has no trials with a finite \(options.alignTo); conditions: \(labels.joined(separator: ", "))")
        }
        guard !labels.isEmpty else {
            throw CircuitFitError("\(file): the trials table (\(table.location)) has no trials with a condition in column '\(column)'")
        }
        values = labels.map { isNumeric ? numericValue[$0]! : Double(sortedColumnLabels.firstIndex(of: $0)!) }
        if options.requireWindowInsideTrials {
            try checkWindows(table: table, options: options, file: file)
        }
    }

    /// Every used trial's window must lie within its start_time…stop_time (1 ns slack).
    private func checkWindows(table: TrialTable, options: ImportOptions, file: String) throws {
        let starts = try table.numbers("start_time", in: file, purpose: "trial start, s")
        let stops = try table.numbers("stop_time", in: file, purpose: "trial stop, s")
        for trial in trials.joined().sorted() {
            let event = eventsS[trial]
            let from = event + options.windowStartMs / 1000, to = event + options.windowEndMs / 1000
            guard starts[trial].isFinite, stops[trial].isFinite else {
                throw CircuitFitError("\(file): trial \(trial) has start_time \(starts[trial]) s and stop_time \(stops[trial]) s, expected finite times")
            }
            if from < starts[trial] - 1e-9 || to > stops[trial] + 1e-9 {
                throw CircuitFitError("\(file): trial \(trial) runs \(starts[trial])…\(stops[trial]) s, but the window \(options.windowStartMs)…\(options.windowEndMs) ms around \(options.alignTo) = \(event) s covers \(from)…\(to) s, outside the trial (shrink the window, or allow windows outside trials)")
            }
        }
    }

    /// A numeric label as text: whole numbers without a decimal point ("2"), others in full.
    static func label(of value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// The label `text` names among `labels`: equal text, or (numeric column) an equal number.
    static func match(_ text: String, among labels: [String], numeric: Bool, column: String, file: String) throws -> String {
        if labels.contains(text) { return text }
        if numeric, let number = Double(text.trimmingCharacters(in: .whitespaces)), labels.contains(label(of: number)) {
            return label(of: number)
        }
        throw CircuitFitError("\(file): condition '\(text)' has no trials; column '\(column)' has: \(labels.joined(separator: ", "))")
    }
}
