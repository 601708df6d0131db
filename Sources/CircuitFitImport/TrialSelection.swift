import CircuitFitCore

/// One trial filter, "column OP value": `=` and `!=` for any column (text compared exactly,
/// numbers as numbers), and `<`, `<=`, `>`, `>=` for numeric columns. A trial whose value is
/// NaN (or empty text) fails every filter on that column.
public struct TrialFilter: Equatable, Sendable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        case notEqual = "!=", lessOrEqual = "<=", greaterOrEqual = ">=", equal = "=", less = "<", greater = ">"
    }

    public var column: String
    public var comparison: Comparison
    public var value: String

    /// Parses "outcome=success", "outcome!=abort", "reaction_time<0.6" ("==" is read as "=").
    public init(parsing text: String) throws {
        let scalars = Array(text)
        var found: (index: Int, comparison: Comparison, length: Int)? = nil
        var i = 0
        while i < scalars.count, found == nil {
            let two = i + 1 < scalars.count ? String(scalars[i...i + 1]) : ""
            if two == "==" { found = (i, .equal, 2) }
            else if let c = Comparison(rawValue: two) { found = (i, c, 2) }
            else if let c = Comparison(rawValue: String(scalars[i])) { found = (i, c, 1) }
            i += 1
        }
        guard let found else {
            throw CircuitFitError("trial filter '\(text)': expected COLUMN=VALUE, COLUMN!=VALUE or a numeric comparison (<, <=, >, >=), e.g. outcome=success")
        }
        column = String(scalars[..<found.index]).trimmingCharacters(in: .whitespaces)
        comparison = found.comparison
        value = String(scalars[(found.index + found.length)...]).trimmingCharacters(in: .whitespaces)
        guard !column.isEmpty, !value.isEmpty else {
            throw CircuitFitError("trial filter '\(text)': both a column and a value are needed, e.g. outcome=success")
        }
    }

    public var description: String { "\(column)\(comparison.rawValue)\(value)" }

    /// Whether each trial passes (nil = passes), with the reason it fails.
    func failures(in table: TrialTable, file: String) throws -> [String?] {
        switch try table.column(column, in: file) {
        case .strings(let strings):
            guard comparison == .equal || comparison == .notEqual else {
                throw CircuitFitError("trial filter '\(self)': column '\(column)' holds text, which takes only = and !=")
            }
            return strings.map { text in
                if text.isEmpty { return "\(column) is empty" }
                let passes = (text == value) == (comparison == .equal)
                return passes ? nil : "\(column) = '\(text)' fails \(self)"
            }
        case .numbers(let numbers):
            guard let number = Double(value) else {
                throw CircuitFitError("trial filter '\(self)': column '\(column)' holds numbers and '\(value)' is not one")
            }
            return numbers.map { x in
                if x.isNaN { return "\(column) is NaN" }
                let passes: Bool
                switch comparison {
                case .equal: passes = x == number
                case .notEqual: passes = x != number
                case .less: passes = x < number
                case .lessOrEqual: passes = x <= number
                case .greater: passes = x > number
                case .greaterOrEqual: passes = x >= number
                }
                return passes ? nil : "\(column) = \(ConditionGrouping.label(of: x)) fails \(self)"
            }
        case .lists:
            throw CircuitFitError("\(file): trials column '\(column)' cannot be filtered on: it holds a list per trial (ragged)")
        case .unsupported(let reason):
            throw CircuitFitError("\(file): trials column '\(column)' cannot be filtered on: \(reason)")
        }
    }
}

/// Which trials of a table the options keep: the id lists (`keepTrials`, `dropTrials`) and every
/// filter, with the reason each other trial is left out.
struct TrialSelection {
    /// The reason each trial is left out, nil for kept trials (one per row of the table).
    var reasons: [String?]

    init(table: TrialTable, options: ImportOptions, file: String) throws {
        reasons = Array(repeating: nil, count: table.count)
        let known = Set(table.ids)
        for (list, option) in [(options.keepTrials, "--trials"), (options.dropTrials, "--drop-trials")] {
            if let unknown = list.first(where: { !known.contains($0) }) {
                let range = table.ids.isEmpty ? "none" : "\(table.ids.min()!)…\(table.ids.max()!)"
                throw CircuitFitError("\(file): \(option) names trial id \(unknown), which the trials table (\(table.location)) does not have (\(table.count) trials, ids \(range))")
            }
        }
        let keep = Set(options.keepTrials), drop = Set(options.dropTrials)
        for (row, id) in table.ids.enumerated() {
            if !keep.isEmpty && !keep.contains(id) { reasons[row] = "trial id \(id) not in the --trials list" }
            else if drop.contains(id) { reasons[row] = "trial id \(id) in the --drop-trials list" }
        }
        for text in options.filters {
            let filter = try TrialFilter(parsing: text)
            for (row, failure) in try filter.failures(in: table, file: file).enumerated() where reasons[row] == nil {
                reasons[row] = failure
            }
        }
    }
}
