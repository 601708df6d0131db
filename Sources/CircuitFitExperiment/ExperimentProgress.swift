import Foundation
import CircuitFitCore

/// The state of one fit or circuit, from its files, the folder's lock and, for Slurm, the scheduler.
public struct WorkProgress: Sendable {
    public enum State: String, Sendable, CaseIterable { case done, running, pending, failed, missing }
    /// Fit id or circuit folder.
    public var name: String
    public var state: State
    /// Slurm: "task 2 of job 13: FAILED, exit code 3"; local: "PID 123 on vm".
    public var scheduler: String?
    /// The error the fit recorded (error.txt).
    public var error: String?
    /// The task's log (relative to the experiment folder) and its last lines.
    public var log: String?
    public var logTail: [String] = []
}

/// What `circuitfit status` says about an experiment, whichever backend runs it.
public struct ExperimentProgress: Sendable {
    public var fits: [WorkProgress]
    public var circuits: [WorkProgress]
    /// The folder's lock: held by a local run (or a Slurm submission in progress), stale, or free.
    public var lock: ExperimentLock.Observation
    /// The last submission, if the experiment went through Slurm.
    public var submission: SlurmSubmission?
    public var submissions: Int
    /// The last collect job's state.
    public var collect: String?
    /// Why the scheduler's view is missing, if it is.
    public var schedulerProblem: String?
    /// Jobs of any submission still pending or running ("13 (fits)").
    public var activeJobs: [String]

    public func count(_ s: WorkProgress.State) -> Int { fits.filter { $0.state == s }.count }

    /// What to do next, so that nobody is told to resume work that is under way.
    public enum NextStep: Equatable, Sendable {
        /// Every fit is done.
        case allDone
        /// A local run (or a submission) holds the folder: it will finish the work itself.
        case waitForRun(ExperimentLock.Holder)
        /// Slurm jobs are queued or running.
        case waitForQueue([String])
        /// Nothing is running and some fits are not done: `--resume` runs exactly those.
        case resume
    }

    public var nextStep: NextStep {
        if count(.done) == fits.count { return .allDone }
        if case .held(let holder) = lock { return .waitForRun(holder) }
        if !activeJobs.isEmpty { return .waitForQueue(activeJobs) }
        return .resume
    }
}

extension ExperimentFolder {
    /// The progress of every fit: files first (a result is final), then who is running what: a
    /// local run holding the folder's lock marks the fits it has started (their `running.json`)
    /// as running; for an experiment submitted to Slurm, the scheduler says what is queued,
    /// running, or how its task ended.
    public func progress(scheduler: SlurmScheduler?, logLines: Int = 10) throws -> ExperimentProgress {
        let lock = ExperimentLock.observe(url)
        let jobs = try SlurmJobsFile.load(url)
        let slurm = SlurmView(folder: self, jobs: jobs, scheduler: scheduler, logLines: logLines)
        let units = config.units
        var fits = units.map { unit in
            slurm.judge(name: unit.id, done: state(unit) == .done, error: errorMessage(unit), cover: slurm.fitCover[unit.id])
        }
        if case .held(let holder) = lock {
            for (i, unit) in units.enumerated() where fits[i].state != .done {
                guard let runner = runner(unit), runner.pid == holder.pid, runner.host == holder.host else { continue }
                fits[i].state = .running
                fits[i].scheduler = "PID \(runner.pid) on \(runner.host), since \(runner.started)"
                fits[i].error = nil
            }
        }
        let circuits = config.circuitsToGenerate.indices.map { i in
            slurm.judge(name: config.circuitsToGenerate[i].folder, done: circuitReady(i), error: circuitError(i), cover: slurm.circuitCover[i])
        }
        return ExperimentProgress(
            fits: fits, circuits: circuits, lock: lock, submission: jobs?.submissions.last,
            submissions: jobs?.submissions.count ?? 0, collect: slurm.collectState(),
            schedulerProblem: jobs == nil ? nil : slurm.snapshot.problem, activeJobs: slurm.activeJobs)
    }
}
