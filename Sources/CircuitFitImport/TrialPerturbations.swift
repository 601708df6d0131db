import CircuitFitCore

/// Which used trials of an import are perturbation trials, and their sets
/// (docs/recordings.md § Perturbation trials).
///
/// Each trial's perturbation — units, kind, window, amplitude — comes from the trials table (or
/// an NWB OptogeneticSeries for the window) as `PerturbationImportOptions` says. A trial that
/// perturbs no unit is a control trial. The window, ms from the alignment event, is moved to the
/// nearest bin edges (at most half a bin) and cut at the imported window's end; it must start
/// inside the imported window and, unless windows outside trials are allowed, lie within the
/// trial. Trials with the same (units, kind, window in bins, amplitude) form one set; sets are
/// numbered by their first trial in the trials table, and the last `heldOutSets` are held out.
/// Every set needs trials in every condition, and every condition control trials (refused
/// otherwise: no NaN-filled PSTHs).
struct TrialPerturbations {
    /// One set's proto; `units` are positions in the recording's units, sorted.
    struct SetProtocol: Hashable {
        var units: [Int]
        var kind: PerturbationKind
        var window: Range<Int>
        var amplitudeHz: Double
    }

    var sets: [SetProtocol] = []
    /// Trials-table rows of each set in each condition, ascending: [set][condition].
    var trials: [[[Int]]] = []
    /// Control trials of each condition, ascending.
    var controls: [[Int]] = []
    var isTraining: [Bool] = []
    var record: ImportProvenance.PerturbationRecord

    init(recording: Recording, grouping: ConditionGrouping, grid: BinGrid, options: ImportOptions, perturbation p: PerturbationImportOptions) throws {
        let file = recording.source, table = recording.trials
        let used = grouping.trials.joined().sorted()
        var conditionOfTrial: [Int: Int] = [:]
        for (c, rows) in grouping.trials.enumerated() { for row in rows { conditionOfTrial[row] = c } }
        let units = try UnitsOfTrials(recording: recording, perturbation: p)
        let windows = try WindowsOfTrials(recording: recording, grouping: grouping, perturbation: p)
        let kinds = try p.kindColumn.isEmpty ? nil : Self.textColumn(table, p.kindColumn, file: file, purpose: "each trial's perturbation kind: silence or stimulate")
        let amplitudes = try p.amplitudeColumn.isEmpty ? nil : table.numbers(p.amplitudeColumn, in: file, purpose: "each stimulate trial's stimulus size, Hz")
        let starts = try table.numbers("start_time", in: file, purpose: "trial start, s")
        let stops = try table.numbers("stop_time", in: file, purpose: "trial stop, s")

        var sets: [SetProtocol] = [], trials: [[[Int]]] = []
        var controls = [[Int]](repeating: [], count: grouping.labels.count)
        var setOf: [SetProtocol: Int] = [:]
        var powers: [[Double]] = []
        var largestShift = 0.0, clipped = 0
        for trial in used {
            let id = table.ids[trial], c = conditionOfTrial[trial]!
            let what = "\(file): trial id \(id)"
            var perturbed = try units.units(trial: trial, id: id)
            let window = try windows.windowMs(trial: trial, id: id, perturbs: !perturbed.isEmpty)
            if units.fromStimulus && window == nil { perturbed = [] }   // marked units act only when lit
            guard !perturbed.isEmpty else { controls[c].append(trial); continue }
            guard let window else { throw CircuitFitError("\(what) perturbs units but has no window") }
            var kind = p.kind
            if let kinds {
                guard let k = PerturbationKind(rawValue: kinds[trial].trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw CircuitFitError("\(what): trials column '\(p.kindColumn)' holds '\(kinds[trial])', expected silence or stimulate (the trial perturbs units)")
                }
                kind = k
            }
            var amplitude = 0.0
            if kind == .stimulate {
                if let amplitudes {
                    amplitude = amplitudes[trial]
                    guard amplitude.isFinite else {
                        throw CircuitFitError("\(what): trials column '\(p.amplitudeColumn)' is \(amplitude), expected the stimulus size in Hz (the trial stimulates units)")
                    }
                } else {
                    guard p.stimulusHz != 0 else {
                        throw CircuitFitError("\(what) stimulates units but no stimulus size is given: --stimulus-hz A (Hz) or --stimulus-hz-column NAME")
                    }
                    amplitude = p.stimulusHz
                }
            }
            // the window: inside the trial, starting inside the imported window, on bin edges
            let event = grouping.eventsS[trial]
            let (fromS, toS) = (event + window.lowerBound / 1000, event + window.upperBound / 1000)
            if options.requireWindowInsideTrials, !(fromS >= starts[trial] - 1e-9 && toS <= stops[trial] + 1e-9) {
                throw CircuitFitError("\(what): its perturbation window \(Self.seconds(fromS))…\(Self.seconds(toS)) s reaches outside the trial's start_time…stop_time \(Self.seconds(starts[trial]))…\(Self.seconds(stops[trial])) s; fix the window, leave the trial out with --drop-trials \(id), or use it as recorded with --allow-outside-trials")
            }
            let tolerance = BinGrid.edgeTolerance * grid.binMs
            guard window.lowerBound >= grid.startMs - tolerance, window.lowerBound < grid.endMs - grid.binMs / 2 else {
                throw CircuitFitError("\(what): its perturbation window \(window.lowerBound)…\(window.upperBound) ms from \(options.alignTo) starts outside the imported window \(grid.startMs)…\(grid.endMs) ms (a model cannot begin in a perturbed state); widen --window-ms or leave the trial out with --drop-trials \(id)")
            }
            let endMs = min(window.upperBound, grid.endMs)
            if window.upperBound > grid.endMs + tolerance { clipped += 1 }
            let first = Int(((window.lowerBound - grid.startMs) / grid.binMs).rounded())
            let last = Int(((endMs - grid.startMs) / grid.binMs).rounded())
            guard last > first else {
                throw CircuitFitError("\(what): its perturbation window \(window.lowerBound)…\(window.upperBound) ms is shorter than half a bin of \(grid.binMs) ms, so it covers no bin")
            }
            largestShift = max(largestShift, abs(window.lowerBound - (grid.startMs + Double(first) * grid.binMs)), abs(endMs - (grid.startMs + Double(last) * grid.binMs)))
            let proto = SetProtocol(units: perturbed, kind: kind, window: first..<last, amplitudeHz: amplitude)
            let s: Int
            if let known = setOf[proto] { s = known } else {
                s = sets.count; setOf[proto] = s; sets.append(proto)
                trials.append(Array(repeating: [], count: grouping.labels.count)); powers.append([])
            }
            trials[s][c].append(trial)
            if let power = windows.meanPowerW(trial: trial) { powers[s].append(power) }
        }

        let column = p.column.isEmpty ? "--perturbed-units-column \(p.perturbedUnitsColumn)" : "trials column '\(p.column)'"
        guard !sets.isEmpty else {
            throw CircuitFitError("\(file): no used trial is a perturbation trial (\(p.optogeneticSeries.isEmpty ? column + " names no unit in any of the \(used.count) used trials" : "no stimulus of the OptogeneticSeries falls in any of the \(used.count) used trials")); leave out the perturbation options to import control trials only")
        }
        guard p.heldOutSets <= sets.count else {
            throw CircuitFitError("\(file): --held-out-sets \(p.heldOutSets) but the recording has \(sets.count) perturbation set\(sets.count == 1 ? "" : "s")")
        }
        for (s, proto) in sets.enumerated() {
            let missing = grouping.labels.indices.filter { trials[s][$0].isEmpty }
            guard missing.isEmpty else {
                let ids = proto.units.map { String(recording.units[$0].id) }.joined(separator: ";")
                throw CircuitFitError("\(file): perturbation set \(s) (units \(ids), \(proto.kind.rawValue), bins \(proto.window.lowerBound)..<\(proto.window.upperBound)) has no trials in condition\(missing.count == 1 ? "" : "s") \(missing.map { "'\(grouping.labels[$0])'" }.joined(separator: ", ")); every set needs trials in every condition (perturbed_recorded [P, C, T, M]): choose conditions with --config's \"conditions\" or leave the set's trials out (--drop-trials, --where)")
            }
        }
        if let empty = controls.firstIndex(where: \.isEmpty) {
            throw CircuitFitError("\(file): condition '\(grouping.labels[empty])' has no control trials (all \(grouping.trials[empty].count) of its trials perturb units); the recorded PSTHs need control trials in every condition")
        }
        let isTraining = sets.indices.map { $0 < sets.count - p.heldOutSets }
        self.sets = sets; self.trials = trials; self.controls = controls; self.isTraining = isTraining
        record = ImportProvenance.PerturbationRecord(
            source: windows.source(units: units.source),
            kindRule: p.kindColumn.isEmpty ? "every perturbation trial: \(p.kind.rawValue) (option)" : "each trial's trials column '\(p.kindColumn)'",
            windowRule: windows.rule + "; moved to the nearest bin edges (at most half a bin of \(grid.binMs) ms) and cut at the imported window's end (\(grid.endMs) ms)",
            amplitudeRule: p.kindColumn.isEmpty && p.kind == .silence ? "silence: 0 (no stimulus size)"
                : p.amplitudeColumn.isEmpty ? "stimulate: \(p.stimulusHz) Hz (--stimulus-hz), silence: 0" : "stimulate: each trial's trials column '\(p.amplitudeColumn)' (Hz), silence: 0",
            heldOutRule: "sets numbered by their first trial in the trials table; the last \(p.heldOutSets) held out (--held-out-sets)",
            missingRule: "every set has trials in every condition and every condition has control trials (refused otherwise)",
            controlTrials: controls.joined().count, perturbedTrials: trials.joined().joined().count,
            largestWindowShiftMs: largestShift, windowsCutAtEnd: clipped,
            stimulusIntervals: windows.intervalCount, intervalsOutsideTrials: windows.intervalsOutsideTrials,
            sets: sets.enumerated().map { s, proto in
                .init(unitIDs: proto.units.map { recording.units[$0].id }, neurons: proto.units, kind: proto.kind,
                      windowMs: [grid.startMs + Double(proto.window.lowerBound) * grid.binMs, grid.startMs + Double(proto.window.upperBound) * grid.binMs],
                      windowBins: [proto.window.lowerBound, proto.window.upperBound], amplitudeHz: proto.amplitudeHz,
                      training: isTraining[s], trialsPerCondition: trials[s].map(\.count),
                      powerW: powers[s].isEmpty ? [] : [powers[s].min()!, powers[s].max()!])
            })
    }

    static func textColumn(_ table: TrialTable, _ name: String, file: String, purpose: String) throws -> [String] {
        switch try table.column(name, in: file) {
        case .strings(let values): return values
        case .numbers, .lists: throw CircuitFitError("\(file): trials column '\(name)' (\(table.location)) holds numbers, expected text (\(purpose))")
        case .unsupported(let reason): throw CircuitFitError("\(file): trials column '\(name)' cannot be used: \(reason)")
        }
    }

    static func seconds(_ value: Double) -> String { value.isFinite ? String(format: "%.3f", value) : "\(value)" }
}
