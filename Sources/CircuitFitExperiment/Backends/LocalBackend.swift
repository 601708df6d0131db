import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitFitting

/// Runs an experiment's unfinished fits on this machine, `jobs` at a time (one BLAS thread
/// each), then collects results, claims and report. Holds the folder's lock throughout, so a
/// second run on the same folder is refused and `status` shows this one as running.
public struct LocalBackend: ExperimentBackend {
    public let kind = ExperimentBackendKind.local
    /// Fits at once (≥ 1).
    public var jobs: Int
    /// Asked, when Slurm's tools are on PATH, whether jobs of an earlier submission still run.
    public var scheduler: SlurmScheduler?

    public init(jobs: Int, scheduler: SlurmScheduler?) {
        self.jobs = jobs
        self.scheduler = scheduler
    }

    public func run(_ url: URL, config: ExperimentConfig?, commandLine: String,
                    events: @escaping @Sendable (ExperimentEvent) -> Void) throws -> ExperimentOutcome {
        guard jobs >= 1 else { throw CircuitFitError("--jobs must be ≥ 1, got \(jobs)") }
        if let config { _ = try ExperimentFolder.preview(url, config: config) } else { _ = try ExperimentFolder.load(url) }
        let created = !FileManager.default.fileExists(atPath: url.path)
        _ = try OutputFolder(url)
        let lock: ExperimentLock
        do { lock = try ExperimentLock.acquire(url, purpose: "local run", command: commandLine) } catch {
            // rmdir, never a recursive remove: a run that lost the race for a folder both saw
            // missing must not delete the winner's folder (it holds the winner's lock file)
            if created { rmdir(url.path) }
            throw error
        }
        defer { lock.release() }
        if let previous = lock.previous {
            events(.note("the previous run (\(ExperimentLock.describe(previous))) ended without releasing the folder (killed?); continuing its work"))
        }
        let (folder, note) = try ExperimentFolder.openForRun(url, config: config)
        if let note { events(.note(note)) }
        try folder.refuseWhileQueued(scheduler: scheduler)

        let start = Date()
        try prepareCircuits(folder, events: events)
        let todo = folder.unfinishedUnits
        try folder.preflight(todo)
        let total = folder.config.units.count
        events(.fitsPlanned(total: total, done: total - todo.count, toRun: todo.count, workers: min(jobs, max(todo.count, 1))))
        let tracker = FitTracker(total: todo.count, events: events)
        let failures = parallelMap(todo.count, workers: jobs) { i -> String? in
            let unit = todo[i]
            tracker.started(unit.id)
            do {
                try folder.run(unit, progress: { tracker.iteration(unit.id, $0.iteration, $0.iterations) })
                tracker.ended(unit.id, failed: false)
                return nil
            } catch {
                tracker.ended(unit.id, failed: true)
                return "\(error)"
            }
        }
        let collected = try folder.collect(wallTimeSeconds: Date().timeIntervalSince(start), commandLine: commandLine)
        return .collected(collected, failures: failures.compactMap { $0 })
    }

    /// Generates the circuits the plan needs that are not there yet, `jobs` at a time.
    private func prepareCircuits(_ folder: ExperimentFolder, events: @escaping @Sendable (ExperimentEvent) -> Void) throws {
        let todo = folder.missingCircuits
        if todo.isEmpty {
            if !folder.config.dataset.isEmpty { _ = try ReachDataset.read(from: folder.datasetURL(seed: folder.config.seeds[0])) }
            return
        }
        let circuits = folder.config.circuitsToGenerate, cfg = folder.config.circuit
        let errors = parallelMap(todo.count, workers: jobs) { i -> String? in
            let name = circuits[todo[i]].folder
            do {
                let summary = try folder.prepareCircuit(todo[i]) { step, alpha in
                    events(.circuitStep(circuit: name, step: step, maxSteps: cfg.maxOptimizationSteps,
                                        spectralAbscissa: alpha, target: cfg.targetSpectralAbscissa))
                }
                events(.circuitDone(summary))
                return nil
            } catch {
                return "\(error)"
            }
        }
        if let first = errors.compactMap({ $0 }).first { throw CircuitFitError(first) }
    }
}

extension ExperimentFolder {
    /// Checks, before any fit runs, that the fits of `units` can run and be scored on their
    /// datasets (`preflightFit`: configuration, memory, degenerate data, a dry-run evaluation of
    /// the untrained network): once per seed and arm, with the unit recording the most neurons.
    func preflight(_ units: [FitUnit]) throws {
        var seen: Set<String> = []
        for unit in units.sorted(by: { ($0.recordCounts.max() ?? 0) > ($1.recordCounts.max() ?? 0) }) {
            let key = "\(config.datasetPath(seed: unit.seed))|\(unit.arm.rawValue)"
            guard seen.insert(key).inserted else { continue }
            let url = datasetURL(seed: unit.seed)
            let dataset = try ReachDataset.read(from: url)
            do { _ = try preflightFit(dataset: dataset, config: unit.fitConfig(config), file: url.path) } catch {
                throw CircuitFitError("fit \(unit.id) cannot run, so no fit was started: \((error as? CircuitFitError)?.message ?? "\(error)")")
            }
        }
    }
}

/// Counts the fits of a local run across worker threads and turns them into `FitsProgress`
/// events with an ETA (from the mean time per finished fit, refined by the running fits' steps).
final class FitTracker: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let events: @Sendable (ExperimentEvent) -> Void
    private var finished = 0, failed = 0
    private var running: [String: (iteration: Int, iterations: Int)] = [:]
    private var order: [String] = []
    private let start = Date()
    private var lastEmit = Date.distantPast

    init(total: Int, events: @escaping @Sendable (ExperimentEvent) -> Void) {
        self.total = total
        self.events = events
    }

    func started(_ id: String) {
        lock.lock(); running[id] = (0, 0); order.append(id); lock.unlock()
    }

    func iteration(_ id: String, _ iteration: Int, _ iterations: Int) {
        lock.lock()
        running[id] = (iteration, iterations)
        let due = Date().timeIntervalSince(lastEmit) >= 1
        lock.unlock()
        if due { emit(ended: nil) }
    }

    func ended(_ id: String, failed didFail: Bool) {
        lock.lock()
        running[id] = nil
        order.removeAll { $0 == id }
        finished += 1
        if didFail { failed += 1 }
        lock.unlock()
        emit(ended: id)
    }

    private func emit(ended: String?) {
        lock.lock()
        lastEmit = Date()
        let elapsed = lastEmit.timeIntervalSince(start)
        // work done in fits: finished ones plus the running ones' share of their budget
        let partial = running.values.reduce(0.0) { $0 + ($1.iterations > 0 ? Double($1.iteration) / Double($1.iterations) : 0) }
        let doneWork = Double(finished) + partial
        let eta: Double? = doneWork > 0.05 ? elapsed / doneWork * (Double(total) - doneWork) : nil
        let progress = FitsProgress(
            finished: finished, failed: failed, total: total,
            running: order.compactMap { id in running[id].map { (id, $0.iteration, $0.iterations) } },
            ended: ended, elapsedSeconds: elapsed, etaSeconds: eta)
        lock.unlock()
        events(.fits(progress))
    }
}
