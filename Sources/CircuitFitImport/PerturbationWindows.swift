import CircuitFitCore

/// Each trial's perturbation window, ms from the alignment event: one for all trials, from
/// start/stop columns (s, the trial's clock), or from an OptogeneticSeries (its lit intervals
/// that begin within the trial's start_time…stop_time, first onset to last offset).
struct WindowsOfTrials {
    private var fixed: Range<Double>? = nil
    private var startS: [Double] = [], stopS: [Double] = []
    private var lit: [Int: [OptogeneticRecord.Interval]]? = nil
    private let events: [Double]
    private let ids: [Int]
    private let file: String
    private let p: PerturbationImportOptions
    private let optogenetic: OptogeneticRecord?
    let rule: String
    var intervalCount: Int? = nil
    var intervalsOutsideTrials: Int? = nil

    init(recording: Recording, grouping: ConditionGrouping, perturbation p: PerturbationImportOptions) throws {
        let table = recording.trials
        file = recording.source; events = grouping.eventsS; ids = table.ids; self.p = p
        optogenetic = recording.optogenetic
        if !p.optogeneticSeries.isEmpty {
            guard let record = recording.optogenetic else {
                throw CircuitFitError("\(file): --optogenetic-series reads an NWB OptogeneticSeries; this file is \(recording.format.rawValue): give the window with --perturbation-window-ms or start/stop columns")
            }
            let starts = try table.numbers("start_time", in: file, purpose: "trial start, s")
            let stops = try table.numbers("stop_time", in: file, purpose: "trial stop, s")
            var byTrial: [Int: [OptogeneticRecord.Interval]] = [:]
            let intervals = record.intervals()
            var outside = 0
            for interval in intervals {
                if let trial = starts.indices.first(where: { interval.startS >= starts[$0] && interval.startS < stops[$0] }) {
                    byTrial[trial, default: []].append(interval)
                } else {
                    outside += 1
                }
            }
            lit = byTrial
            intervalCount = intervals.count; intervalsOutsideTrials = outside
            rule = "OptogeneticSeries \(record.series.location): per trial, from the first nonzero sample of its stimulus intervals (those beginning within its start_time…stop_time) to the end of the last (pulse trains become one window), relative to the alignment event"
        } else if !p.startColumn.isEmpty {
            startS = try table.numbers(p.startColumn, in: file, purpose: "each perturbation's start, s")
            stopS = try table.numbers(p.stopColumn, in: file, purpose: "each perturbation's stop, s")
            rule = "each trial's trials columns '\(p.startColumn)'…'\(p.stopColumn)' (s, the trial's clock), relative to the alignment event"
        } else {
            fixed = p.windowMs[0]..<p.windowMs[1]
            rule = "every perturbation trial: \(p.windowMs[0])…\(p.windowMs[1]) ms from the alignment event (--perturbation-window-ms)"
        }
    }

    /// The window of a trial, ms from its event; nil for a control trial. Checks that a trial's
    /// units and its stimulus agree (OptogeneticSeries: stimulus ⇔ units).
    func windowMs(trial: Int, id: Int, perturbs: Bool) throws -> Range<Double>? {
        let what = "\(file): trial id \(id)"
        if let lit {
            let intervals = lit[trial] ?? []
            if intervals.isEmpty {
                if perturbs && !p.column.isEmpty {
                    throw CircuitFitError("\(what): trials column '\(p.column)' names perturbed units but the OptogeneticSeries has no stimulus in the trial")
                }
                return nil
            }
            if !p.column.isEmpty && !perturbs {
                throw CircuitFitError("\(what): the OptogeneticSeries stimulates in the trial but trials column '\(p.column)' names no unit")
            }
            let event = events[trial]
            return ((intervals.first!.startS - event) * 1000)..<((intervals.map(\.stopS).max()! - event) * 1000)
        }
        guard perturbs else { return nil }
        if let fixed { return fixed }
        let (a, b) = (startS[trial], stopS[trial])
        guard a.isFinite, b.isFinite, b > a else {
            throw CircuitFitError("\(what) perturbs units but its window '\(p.startColumn)'…'\(p.stopColumn)' is \(a)…\(b) s, expected finite times with stop > start")
        }
        return ((a - events[trial]) * 1000)..<((b - events[trial]) * 1000)
    }

    /// The mean light power (W) of a trial's stimulus intervals (OptogeneticSeries), else nil.
    func meanPowerW(trial: Int) -> Double? {
        guard let intervals = lit?[trial], !intervals.isEmpty else { return nil }
        return intervals.reduce(0) { $0 + $1.powerSumW } / Double(intervals.reduce(0) { $0 + $1.samples })
    }

    /// Where the perturbations come from, in words.
    func source(units: String) -> String {
        if let optogenetic { return "OptogeneticSeries \(optogenetic.series.location) (site: \(optogenetic.site); light power in W, recorded in powerW, is not a rate: the amplitude in Hz is amplitudeRule's); units: \(units)" }
        return "units: \(units)"
    }
}
