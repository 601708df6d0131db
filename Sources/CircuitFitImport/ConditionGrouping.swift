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
            keys = strings.map { $0.isEmpty ? nil : $0 }
            sortedKeys = Set(strings.filter { !$0.isEmpty }).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            sortedColumnLabels = sortedKeys
        case .lists:
            throw CircuitFitError("\(file): trials column '\(column)' holds a list per trial (ragged), expected one condition label per trial")
        case .unsupported(let reason):
            throw CircuitFitError("\(file): trials column '\(column)' cannot be used: \(reason)")
        }

        let selection = try TrialSelection(table: table, options: options, file: file)
        let ids = table.ids
        func exclude(_ trial: Int, _ reason: String) { excluded.append(.init(trial: trial, id: ids[trial], reason: reason)) }

        // Conditions: those of the trials the selection keeps (a filter may remove whole ones).
        let selectedKeys = Set(keys.indices.compactMap { selection.reasons[$0] == nil ? keys[$0] : nil })
        labels = sortedKeys.filter { selectedKeys.contains($0) }
        if !options.conditions.isEmpty {
            labels = try options.conditions.map { try Self.match($0, among: sortedKeys, numeric: isNumeric, column: column, file: file) }
            if let repeated = labels.first(where: { label in labels.filter { $0 == label }.count > 1 }) {
                throw CircuitFitError("import options: condition '\(repeated)' is listed twice in conditions")
            }
        }
        let position = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        trials = Array(repeating: [], count: labels.count)
        for (trial, key) in keys.enumerated() {
            if let reason = selection.reasons[trial] {
                exclude(trial, reason)
                continue
            }
            guard let key else {
                exclude(trial, isNumeric ? "\(column) is NaN" : "\(column) is empty")
                continue
            }
            guard let condition = position[key] else {
                exclude(trial, "condition '\(key)' not selected")
                continue
            }
            guard eventsS[trial].isFinite else {
                exclude(trial, "\(options.alignTo) is \(eventsS[trial])")
                continue
            }
            trials[condition].append(trial)
        }
        if let empty = trials.firstIndex(where: \.isEmpty) {
            let selected = options.filters.isEmpty && options.keepTrials.isEmpty && options.dropTrials.isEmpty ? "" : " left by the trial selection"
            throw CircuitFitError("\(file): condition '\(labels[empty])' (column '\(column)') has no trials\(selected) with a finite \(options.alignTo); conditions: \(labels.joined(separator: ", ")) (choose conditions with --config's \"conditions\")")
        }
        guard !labels.isEmpty else {
            throw CircuitFitError("\(file): the trials table (\(table.location)) has no trials with a condition in column '\(column)'")
        }
        values = labels.map { isNumeric ? numericValue[$0]! : Double(sortedColumnLabels.firstIndex(of: $0)!) }
        if options.requireWindowInsideTrials {
            try checkWindows(table: table, options: options, file: file)
        }
    }

    /// Every used trial's window must lie within its start_time…stop_time (1 ns slack); the error
    /// names every trial that fails and the ways out.
    private func checkWindows(table: TrialTable, options: ImportOptions, file: String) throws {
        let starts = try table.numbers("start_time", in: file, purpose: "trial start, s")
        let stops = try table.numbers("stop_time", in: file, purpose: "trial stop, s")
        var offenders: [(id: Int, text: String)] = []
        for trial in trials.joined().sorted() {
            let event = eventsS[trial]
            let from = event + options.windowStartMs / 1000, to = event + options.windowEndMs / 1000
            let id = table.ids[trial]
            if !starts[trial].isFinite || !stops[trial].isFinite {
                offenders.append((id, "trial \(id): start_time \(starts[trial]) s, stop_time \(stops[trial]) s"))
            } else if from < starts[trial] - 1e-9 || to > stops[trial] + 1e-9 {
                offenders.append((id, "trial \(id) runs \(Self.seconds(starts[trial]))…\(Self.seconds(stops[trial])) s, window \(Self.seconds(from))…\(Self.seconds(to)) s"))
            }
        }
        guard !offenders.isEmpty else { return }
        let used = trials.joined().count
        let shown = offenders.prefix(12).map(\.text).joined(separator: "; ")
        let more = offenders.count > 12 ? "; and \(offenders.count - 12) more" : ""
        let ids = offenders.prefix(200).map { String($0.id) }.joined(separator: ",") + (offenders.count > 200 ? ",…" : "")
        throw CircuitFitError("\(file): \(offenders.count) of \(used) trials have a window (\(options.windowStartMs)…\(options.windowEndMs) ms around \(options.alignTo)) reaching outside their start_time…stop_time: \(shown)\(more). Shrink --window-ms, leave them out with --drop-trials \(ids), or use them as recorded with --allow-outside-trials")
    }

    private static func seconds(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f", value) : "\(value)"
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
