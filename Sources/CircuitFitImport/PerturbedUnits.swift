import CircuitFitCore

/// The units each trial perturbs, as positions in the recording's units (sorted): from a trials
/// column of unit ids or indices, or (OptogeneticSeries) the units a units-table column marks.
struct UnitsOfTrials {
    private var column: TrialColumn? = nil
    private var marked: [Int] = []
    private let name: String, reference: PerturbationImportOptions.UnitReference
    private let positionOfID: [Int: Int]
    private let recording: Recording
    let source: String

    init(recording: Recording, perturbation p: PerturbationImportOptions) throws {
        self.recording = recording
        let file = recording.source
        name = p.column; reference = p.units
        positionOfID = Dictionary(recording.units.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        if !p.column.isEmpty {
            column = try recording.trials.column(p.column, in: file)
            source = "trials column '\(p.column)' (unit \(p.units == .ids ? "ids" : "indices from 0"))"
        } else {
            guard let flags = recording.perturbedUnitsColumn else {
                throw CircuitFitError("\(file): --perturbed-units-column is read from an NWB units table; this file is \(recording.format.rawValue): name the perturbed units with --perturbation-column")
            }
            marked = flags.indices.filter { flags[$0] != 0 && !flags[$0].isNaN }
            guard !marked.isEmpty else {
                throw CircuitFitError("\(file): units-table column '\(p.perturbedUnitsColumn)' marks no unit (every value is 0 or NaN); it must be nonzero for the units the light acts on")
            }
            source = "units-table column '\(p.perturbedUnitsColumn)' (nonzero: unit ids \(marked.map { String(recording.units[$0].id) }.joined(separator: ", ")))"
        }
    }

    /// With a units-table column, every trial with stimulus perturbs the marked units (and only
    /// those trials: `WindowsOfTrials` tells which).
    var fromStimulus: Bool { column == nil }

    func units(trial: Int, id: Int) throws -> [Int] {
        let file = recording.source
        guard let column else { return marked }
        let what = "\(file): trial id \(id): trials column '\(name)'"
        var tokens: [String] = []
        switch column {
        case .numbers(let values):
            if values[trial].isNaN { return [] }
            tokens = [values[trial].rounded() == values[trial] && abs(values[trial]) < 1e15 ? String(Int64(values[trial])) : "\(values[trial])"]
        case .lists(let values):
            tokens = values[trial].filter { !$0.isNaN }.map { $0.rounded() == $0 && abs($0) < 1e15 ? String(Int64($0)) : "\($0)" }
        case .strings(let values):
            let text = values[trial].trimmingCharacters(in: .whitespaces)
            if ["", "none", "control", "nan", "[]"].contains(text.lowercased()) { return [] }
            tokens = text.filter { !"[]()".contains($0) }
                .split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
        case .unsupported(let reason):
            throw CircuitFitError("\(file): trials column '\(name)' cannot be used: \(reason)")
        }
        var positions: [Int] = []
        for token in tokens {
            guard let number = Int(token) else {
                throw CircuitFitError("\(what) holds '\(token)', expected unit \(reference == .ids ? "ids" : "indices") separated by ';' (e.g. \"3;7;12\"), or empty / none for a control trial")
            }
            let position: Int?
            switch reference {
            case .ids: position = positionOfID[number]
            case .indices: position = number >= 0 && number < recording.units.count ? number : nil
            }
            guard let position else {
                let known = recording.units.map(\.id)
                throw CircuitFitError(reference == .ids
                    ? "\(what) names unit id \(number), which the units table does not have (\(known.count) units, ids \(known.min()!)…\(known.max()!)); the perturbed units must be recorded (use --perturbation-units indices for positions from 0)"
                    : "\(what) names unit index \(number), outside 0…\(recording.units.count - 1) (the file's \(recording.units.count) units)")
            }
            guard !positions.contains(position) else {
                throw CircuitFitError("\(what) names unit \(number) twice")
            }
            positions.append(position)
        }
        return positions.sorted()
    }
}
