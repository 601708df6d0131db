import Foundation
import CircuitFitCore
import CircuitFitFitting

/// An experiment's folder and the state of its fits, shared by every backend (local threads,
/// Slurm array tasks): `experiment.json` (the plan), `experiment.lock` (who runs it),
/// `circuits/` (generated circuits), `fits/<id>/` (one folder per fit: `result.json` when done,
/// `error.txt` when failed, `running.json` while running, plus `model.npz` and `history.csv`),
/// and the collected `results.csv`, `claims.json`, `report.html` (docs/files.md § experiment).
///
/// Every file is written atomically and each fit writes only into its own folder, so any number
/// of processes on any number of machines (NFS) can work on one experiment, and a run killed at
/// any moment leaves only finished results behind.
public struct ExperimentFolder: Sendable {
    public let url: URL
    public let config: ExperimentConfig

    init(url: URL, config: ExperimentConfig) {
        self.url = url
        self.config = config
    }

    /// Opens `url` for `config`. A new folder gets `experiment.json`; an existing one must hold the
    /// same plan or one that `config` only extends (more seeds, M, λ or arms), and is then
    /// rewritten with the extended plan: the fits already done stay, only the new ones run.
    /// Anything else is refused. The caller holds the folder's `ExperimentLock`.
    public static func open(_ url: URL, config: ExperimentConfig) throws -> (folder: ExperimentFolder, change: PlanChange) {
        let (folder, change) = try preview(url, config: config)
        if change != .same || !FileManager.default.fileExists(atPath: planURL(url).path) {
            _ = try OutputFolder(url)
            try AtomicFile.write(OutputFolder.json(config), to: planURL(url))
        }
        return (folder, change)
    }

    /// What `open` would do, without writing anything (for `--dry-run`, and the checks before a
    /// Slurm submission): validates `config` and compares it with a plan already in the folder.
    public static func preview(_ url: URL, config: ExperimentConfig) throws -> (folder: ExperimentFolder, change: PlanChange) {
        try config.validate()
        guard FileManager.default.fileExists(atPath: planURL(url).path) else {
            return (ExperimentFolder(url: url, config: config), .same)
        }
        let existing = try load(url)
        let change = config.change(from: existing.config)
        if case .conflicts(let why) = change {
            throw CircuitFitError("\(url.path) holds a different experiment: \(why). Use a new --out folder, or --resume to continue the one there")
        }
        return (ExperimentFolder(url: url, config: change == .same ? existing.config : config), change)
    }

    /// Opens an existing experiment folder with the plan stored in it. A plan written by
    /// circuitfit 0.1 (its fit settings lack `optimizer`) is refused unless `readOnly`: 0.1 fitted
    /// another objective with another optimiser, so its fits and new ones must not be mixed.
    public static func load(_ url: URL, readOnly: Bool = false) throws -> ExperimentFolder {
        let planURL = planURL(url)
        guard let data = try? Data(contentsOf: planURL) else {
            throw CircuitFitError("\(url.path) is not an experiment folder (no experiment.json)")
        }
        if !readOnly, let plan = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let fit = plan["fit"] as? [String: Any], fit["optimizer"] == nil {
            throw CircuitFitError("\(planURL.path) was written by circuitfit 0.1, whose objective and optimiser differ from \(CircuitFitVersion.string)'s (docs/files.md#changes-since-the-first-interface): its fits cannot be continued or mixed with new ones; its results stay readable (circuitfit status, results.csv, claims.json); run the plan again in a new --out folder")
        }
        do {
            return ExperimentFolder(url: url, config: try JSONDecoder().decode(ExperimentConfig.self, from: data))
        } catch {
            throw CircuitFitError("\(planURL.path): cannot read the experiment plan (\(error))")
        }
    }

    static func planURL(_ url: URL) -> URL { url.appendingPathComponent("experiment.json") }
    public func fitFolder(_ unit: FitUnit) -> URL { url.appendingPathComponent("fits/\(unit.id)") }
    func resultURL(_ unit: FitUnit) -> URL { fitFolder(unit).appendingPathComponent("result.json") }
    func errorURL(_ unit: FitUnit) -> URL { fitFolder(unit).appendingPathComponent("error.txt") }
    func runningURL(_ unit: FitUnit) -> URL { fitFolder(unit).appendingPathComponent("running.json") }

    /// The dataset a unit's fits read.
    public func datasetURL(seed: UInt64) -> URL {
        let path = config.datasetPath(seed: seed)
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : url.appendingPathComponent(path)
    }

    // MARK: state

    /// The state of one fit, from its files.
    public enum FitState: String, Sendable { case done, failed, pending }

    /// Done when `result.json` holds a row for every M the unit is scored for (a task-only unit
    /// of a plan extended by new M values needs rows for those too: `run` adds them without
    /// retraining).
    /// With the audit on, a unit of a built-in circuit is done once its rows carry the audit
    /// numbers or its audit failed (`audit-error.txt`): a network trained while the audit was
    /// off is audited on the next run, not retrained.
    public func state(_ unit: FitUnit) -> FitState {
        if let result = storedResult(unit), Set(result.rows.map(\.record)).isSuperset(of: unit.recordCounts),
           !needsAudit(unit, result) { return .done }
        if FileManager.default.fileExists(atPath: errorURL(unit).path) { return .failed }
        return .pending
    }

    /// Whether the unit's stored rows still lack the audit the plan asks for.
    func needsAudit(_ unit: FitUnit, _ result: UnitResult) -> Bool {
        guard config.audit, config.dataset.isEmpty, result.rows.contains(where: { $0.audit == nil }) else { return false }
        return !FileManager.default.fileExists(atPath: fitFolder(unit).appendingPathComponent("audit-error.txt").path)
    }

    /// The unit's `result.json`, if it is there and readable.
    func storedResult(_ unit: FitUnit) -> UnitResult? {
        guard let data = try? Data(contentsOf: resultURL(unit)) else { return nil }
        return try? UnitResult.decoder.decode(UnitResult.self, from: data)
    }

    /// Who is running the unit now, per its `running.json` (nil when nobody says so).
    public func runner(_ unit: FitUnit) -> RunningFit? {
        guard let data = try? Data(contentsOf: runningURL(unit)) else { return nil }
        return try? JSONDecoder().decode(RunningFit.self, from: data)
    }

    /// The units of batch `task` when the plan's units (in their fixed order) are cut into
    /// batches of `fitsPerTask`: what Slurm array task `task` runs.
    public func units(task: Int, fitsPerTask: Int) throws -> [FitUnit] {
        let all = config.units
        let count = Self.taskCount(units: all.count, fitsPerTask: fitsPerTask)
        guard fitsPerTask >= 1, task >= 0, task < count else {
            throw CircuitFitError("task \(task) does not exist: \(all.count) fits in batches of \(fitsPerTask) make \(count) task(s), 0…\(count - 1)")
        }
        return Array(all[(task * fitsPerTask)..<min((task + 1) * fitsPerTask, all.count)])
    }

    /// How many batches of `fitsPerTask` hold `units` fits.
    public static func taskCount(units: Int, fitsPerTask: Int) -> Int {
        fitsPerTask >= 1 ? (units + fitsPerTask - 1) / fitsPerTask : 0
    }

    /// The batches (tasks, for `fitsPerTask`) holding at least one unfinished fit.
    public func unfinishedTasks(fitsPerTask: Int) -> [Int] {
        let all = config.units
        return (0..<Self.taskCount(units: all.count, fitsPerTask: fitsPerTask)).filter { t in
            all[(t * fitsPerTask)..<min((t + 1) * fitsPerTask, all.count)].contains { state($0) != .done }
        }
    }

    /// The units not yet done (failed ones included: they are retried).
    public var unfinishedUnits: [FitUnit] { config.units.filter { state($0) != .done } }

    public func errorMessage(_ unit: FitUnit) -> String? {
        try? String(contentsOf: errorURL(unit), encoding: .utf8)
    }

    /// The circuits the plan needs that are not there yet, as indices into `config.circuitsToGenerate`.
    public var missingCircuits: [Int] {
        config.circuitsToGenerate.indices.filter { !circuitReady($0) }
    }

    /// Whether circuit `index` of `config.circuitsToGenerate` is complete (its dataset is written last).
    public func circuitReady(_ index: Int) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("\(config.circuitsToGenerate[index].folder)/dataset.npz").path)
    }

    /// The error a failed circuit generation left, if any.
    public func circuitError(_ index: Int) -> String? {
        try? String(contentsOf: url.appendingPathComponent("\(config.circuitsToGenerate[index].folder)/error.txt"), encoding: .utf8)
    }

    // MARK: collect

    /// Every finished unit's rows in plan order (rows of λ = 0 units interleaved by M as planned).
    public func finishedRows() throws -> (rows: [ResultRow], missing: [FitUnit]) {
        var rows: [ResultRow] = [], missing: [FitUnit] = []
        for unit in config.units {
            guard let data = try? Data(contentsOf: resultURL(unit)) else { missing.append(unit); continue }
            let result: UnitResult
            do { result = try UnitResult.decoder.decode(UnitResult.self, from: data) } catch {
                throw CircuitFitError("\(resultURL(unit).path): unreadable result (\(error)); delete it to rerun that fit")
            }
            let wanted = result.rows.filter { unit.recordCounts.contains($0.record) }
            if Set(wanted.map(\.record)).isSuperset(of: unit.recordCounts) { rows += wanted } else { missing.append(unit) }
        }
        rows.sort { ($0.seed, $0.arm.rawValue, $0.record, $0.lambda) < ($1.seed, $1.arm.rawValue, $1.record, $1.lambda) }
        return (rows, missing)
    }
}

/// `fits/<id>/running.json`: which process is running a fit (removed when it ends; left behind
/// when that process is killed, then it only says who tried last).
public struct RunningFit: Codable, Equatable, Sendable {
    public var pid: Int32
    public var host: String
    /// ISO 8601.
    public var started: String

    /// This process, now.
    public static var current: RunningFit {
        RunningFit(pid: getpid(), host: ProcessInfo.processInfo.hostName, started: ISO8601DateFormatter().string(from: Date()))
    }

    /// Whether that process is alive (only knowable on the same host).
    public var isAliveHere: Bool? {
        guard host == ProcessInfo.processInfo.hostName else { return nil }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

extension UnitResult {
    /// Reads result files (non-finite numbers were written as strings by early versions).
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }
}
