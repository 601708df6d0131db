import Foundation
import CircuitFitCore

/// Runs an experiment on a Slurm cluster: writes the job scripts and submits a circuits array
/// (only if circuits are missing), ONE fits array over the unfinished fits and a collect job, all
/// running this same binary (`experiment-task`, `experiment-collect`). The folder's lock is held
/// while the submission is made; the jobs themselves write only into their own fit folders.
public struct SlurmBackend: ExperimentBackend {
    public let kind = ExperimentBackendKind.slurm
    /// The options given on the command line (nil fields keep the last submission's, on resume).
    public var options: @Sendable (SlurmOptions?) -> SlurmOptions
    /// The absolute path of the circuitfit binary the jobs run.
    public var executable: String
    /// Print the scripts instead of submitting; writes nothing and needs no Slurm.
    public var dryRun: Bool
    public var scheduler: SlurmScheduler

    public init(options: @escaping @Sendable (SlurmOptions?) -> SlurmOptions, executable: String, dryRun: Bool,
                scheduler: SlurmScheduler = ScontrolScheduler()) {
        self.options = options
        self.executable = executable
        self.dryRun = dryRun
        self.scheduler = scheduler
    }

    public func run(_ url: URL, config: ExperimentConfig?, commandLine: String,
                    events: @escaping @Sendable (ExperimentEvent) -> Void) throws -> ExperimentOutcome {
        // 1. everything that can fail without writing, first: the tools, the plan, the options
        if !dryRun { try SlurmTools.require(["sbatch", "scontrol", "scancel"], purpose: "--backend slurm") }
        let preview = try config.map { try ExperimentFolder.preview(url, config: $0).folder } ?? ExperimentFolder.load(url)
        if !preview.config.dataset.isEmpty { _ = try ReachDataset.read(from: preview.datasetURL(seed: preview.config.seeds[0])) }
        let previous = try SlurmJobsFile.load(url)
        let options = self.options(previous?.submissions.last?.options)
        try options.validate()
        if !dryRun { try preview.refuseWhileQueued(scheduler: scheduler) }
        let number = (previous?.submissions.last?.number ?? 0) + 1
        let plan = try preview.slurmPlan(options: options, executable: executable, commandLine: commandLine, number: number)
        if dryRun { return .dryRun(plan) }
        if let limit = SlurmTools.maxArraySize(), let top = plan.highestTaskIndex, top >= limit {
            let needed = (plan.fitsTotal + limit - 1) / limit
            throw CircuitFitError("the fits array would need task index \(top) but this cluster's MaxArraySize is \(limit) (indices 0…\(limit - 1)): use --fits-per-task \(max(needed, options.fitsPerTask + 1)) or more")
        }

        // 2. write: the plan, the scripts, the submissions (holding the folder's lock)
        _ = try OutputFolder(url)
        let lock = try ExperimentLock.acquire(url, purpose: "slurm submission", command: commandLine)
        defer { lock.release() }
        let (folder, note) = try ExperimentFolder.openForRun(url, config: config)
        if let note { events(.note(note)) }
        if plan.jobs.isEmpty {
            return .collected(try folder.collect(wallTimeSeconds: nil, commandLine: commandLine), failures: [])
        }
        return .submitted(try folder.submit(plan), plan)
    }

    /// `--wait`: polls the collect job of `submission` until it has ended (every 0.5 s at first,
    /// then less often, at most every 10 s), then returns the experiment's progress.
    public func waitForCollect(_ url: URL, _ submission: SlurmSubmission) throws -> ExperimentProgress {
        let folder = try ExperimentFolder.load(url)
        if let collect = submission.collect?.jobID {
            let start = Date()
            while let records = try scheduler.records(job: collect), records.contains(where: \.isActive) {
                Thread.sleep(forTimeInterval: min(10, max(0.5, Date().timeIntervalSince(start) / 120)))
            }
        }
        return try folder.progress(scheduler: scheduler)
    }
}
