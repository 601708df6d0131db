import Foundation
import CircuitFitCore

/// Where an experiment's fits run.
public enum ExperimentBackendKind: String, Codable, CaseIterable, Sendable {
    /// This machine, `--jobs` fits at a time, each with one BLAS thread.
    case local
    /// A Slurm cluster: one job array of fits between a circuits job and a collect job.
    case slurm
}

/// What a backend reports while it works (library code never prints: the CLI shows these).
public enum ExperimentEvent: Sendable {
    /// A line worth saying once.
    case note(String)
    /// One stability-optimisation step of a circuit being generated.
    case circuitStep(circuit: String, step: Int, maxSteps: Int, spectralAbscissa: Double, target: Double)
    /// A circuit is ready (one-line summary).
    case circuitDone(String)
    /// The fits about to run.
    case fitsPlanned(total: Int, done: Int, toRun: Int, workers: Int)
    /// Progress of the running fits, with an ETA.
    case fits(FitsProgress)
}

/// How far the fits of a run have come.
public struct FitsProgress: Sendable {
    /// Fits of this run finished (failed ones included), failed, and to run in all.
    public var finished: Int
    public var failed: Int
    public var total: Int
    /// The fits running now with their optimiser step and budget.
    public var running: [(id: String, iteration: Int, iterations: Int)]
    /// The fit that just ended, if this update is about one.
    public var ended: String?
    public var elapsedSeconds: Double
    /// Estimated seconds until every fit of the run has ended (nil until it can be estimated).
    public var etaSeconds: Double?
}

/// What a backend did with an experiment.
public enum ExperimentOutcome: Sendable {
    /// The fits ran here and the results were collected; `failures` lists the fits that raised.
    case collected(CollectedExperiment, failures: [String])
    /// Jobs were submitted to the scheduler (they collect the results themselves when done).
    case submitted(SlurmSubmission, SlurmSubmissionPlan)
    /// `--dry-run`: what would be submitted; nothing was written.
    case dryRun(SlurmSubmissionPlan)
}

/// A place that can bring an experiment's unfinished fits to completion. Two implementations:
/// `LocalBackend` (runs them in this process) and `SlurmBackend` (submits job arrays that run the
/// same code). Both take the folder's plan as it is stored (or extended) and only ever run the fits
/// that are not done, so starting one again resumes; `ExperimentFolder.progress` shows either.
public protocol ExperimentBackend: Sendable {
    var kind: ExperimentBackendKind { get }
    /// Runs (or submits) every unfinished fit of the experiment in `url`: with `config`, a new
    /// experiment or one that `config` extends; with nil, the plan stored there (`--resume`).
    func run(_ url: URL, config: ExperimentConfig?, commandLine: String,
             events: @escaping @Sendable (ExperimentEvent) -> Void) throws -> ExperimentOutcome
}

extension ExperimentBackendKind {
    /// The backend to use: the one asked for; else, resuming, the one the folder last used; else local.
    public static func choose(_ requested: ExperimentBackendKind?, folder url: URL, resume: Bool) -> ExperimentBackendKind {
        if let requested { return requested }
        if resume, (try? SlurmJobsFile.load(url)) != nil { return .slurm }
        return .local
    }
}

extension ExperimentFolder {
    /// Refuses to start fits while jobs of an earlier Slurm submission are still queued or
    /// running (they would run the same fits twice). Does nothing without a Slurm history.
    func refuseWhileQueued(scheduler: SlurmScheduler?) throws {
        guard try SlurmJobsFile.load(url) != nil, let scheduler else { return }
        let progress = try self.progress(scheduler: scheduler, logLines: 0)
        if !progress.activeJobs.isEmpty {
            let ids = progress.activeJobs.map { String($0.split(separator: " ")[0]) }
            throw CircuitFitError("\(url.path) still has Slurm jobs queued or running: \(progress.activeJobs.joined(separator: ", ")). Wait until they end (`circuitfit status \(url.path)`) or cancel them (`scancel \(ids.joined(separator: " "))`), then resume")
        }
    }

    /// Opens (or extends) the experiment at `url` for `config`, or loads the stored plan when
    /// `config` is nil, and says what changed. The caller holds the lock.
    static func openForRun(_ url: URL, config: ExperimentConfig?) throws -> (folder: ExperimentFolder, note: String?) {
        guard let config else { return (try load(url), nil) }
        let (folder, change) = try open(url, config: config)
        if case .extends(let added) = change {
            return (folder, "extending the experiment in \(url.path) with \(added): only the new fits run")
        }
        return (folder, nil)
    }
}
