import Foundation
import CircuitFitCore

/// The sbatch settings of an experiment's jobs (kept in `slurm/jobs.json` so `--resume` reuses them).
public struct SlurmOptions: Codable, Equatable, Sendable {
    /// `--partition` (nil: the cluster's default partition).
    public var partition: String?
    /// `--time` per array task, in any form sbatch accepts (e.g. `30`, `1:00:00`, `1-0`).
    public var time: String?
    /// `--mem` per array task (e.g. `2G`).
    public var mem: String?
    /// `--cpus-per-task`: a task with several fits runs this many at a time (each with one BLAS thread).
    public var cpusPerTask: Int = 1
    /// The array throttle `%N`: at most this many tasks at once (nil: as many as the cluster allows).
    public var maxConcurrent: Int?
    /// Extra sbatch arguments, each ONE option, added to every job script as its own `#SBATCH`
    /// line (e.g. `--account=lab`); written escaped, so a value holding spaces stays one option.
    public var sbatchArgs: [String] = []
    /// Fits per array task (consecutive fits of the plan's fixed order).
    public var fitsPerTask: Int = 1

    public init() {}

    /// Throws a one-line error for any value that cannot go into a job script safely: counts
    /// below 1, words that are not one word, options that do not start with `-`, and any control
    /// character (newline, carriage return, NUL, …), which could end a script line.
    public func validate() throws {
        guard cpusPerTask >= 1 else { throw CircuitFitError("--cpus-per-task must be ≥ 1, got \(cpusPerTask)") }
        guard fitsPerTask >= 1 else { throw CircuitFitError("--fits-per-task must be ≥ 1, got \(fitsPerTask)") }
        if let maxConcurrent, maxConcurrent < 1 { throw CircuitFitError("--max-concurrent must be ≥ 1, got \(maxConcurrent)") }
        for (name, value) in [("--partition", partition), ("--time", time), ("--mem", mem)] {
            guard let value else { continue }
            try JobScriptText.requirePrintable(value, what: name)
            if value.isEmpty || value.contains(where: \.isWhitespace) || value.contains(where: { "\"'\\#$`".contains($0) }) {
                throw CircuitFitError("\(name) '\(value)' must be one word (letters, digits and - : _ . , = only)")
            }
        }
        for arg in sbatchArgs {
            try JobScriptText.requirePrintable(arg, what: "--sbatch-arg")
            guard arg.hasPrefix("-"), arg.count > 1 else {
                throw CircuitFitError("--sbatch-arg '\(arg)' must be one sbatch option such as --account=lab")
            }
        }
    }
}

/// What a job of a submission does.
public enum SlurmJobRole: String, Codable, CaseIterable, Sendable {
    /// An array generating the circuits the fits need (one task per missing circuit).
    case circuits
    /// ONE array over the unfinished fits.
    case fits
    /// A single job that collects results, claims and the report once the fits have ended.
    case collect
}

/// One job of a submission: its id and script; for arrays the task indices submitted.
public struct SlurmJobRecordRef: Codable, Equatable, Sendable {
    public var jobID: String
    /// The job script, relative to the experiment folder.
    public var script: String
    /// The log file pattern (sbatch's %A = array job id, %a = task, %j = job id), relative to the experiment folder.
    public var log: String
    /// Array task indices submitted (empty for a plain job).
    public var tasks: [Int]
    /// The sbatch command line used.
    public var sbatch: String
    /// Fits job only: the ids of the fits task t runs, `fitIDs[t]` (the plan's order at submission
    /// time, which an extended plan may change). Absent in files written before it existed.
    public var fitIDs: [[String]]?

    public init(jobID: String, script: String, log: String, tasks: [Int], sbatch: String, fitIDs: [[String]]? = nil) {
        self.jobID = jobID; self.script = script; self.log = log; self.tasks = tasks; self.sbatch = sbatch; self.fitIDs = fitIDs
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case script
        case log
        case tasks
        case sbatch
        case fitIDs = "fit_ids"
    }
}

/// One `circuitfit experiment --backend slurm` run: the jobs it submitted.
public struct SlurmSubmission: Codable, Equatable, Sendable {
    public var number: Int
    /// ISO 8601 time of submission.
    public var submitted: String
    public var commandLine: String
    public var executable: String
    public var options: SlurmOptions
    /// One task per missing circuit: task i generates `circuitsToGenerate[i]`.
    public var circuits: SlurmJobRecordRef?
    /// One task per batch of `options.fitsPerTask` fits: task t runs the plan's fits t·K … t·K+K−1.
    public var fits: SlurmJobRecordRef?
    public var collect: SlurmJobRecordRef?

    /// The job of `role`, if this submission made one.
    public func job(_ role: SlurmJobRole) -> SlurmJobRecordRef? {
        switch role {
        case .circuits: circuits
        case .fits: fits
        case .collect: collect
        }
    }

    /// Sets the job of `role`.
    public mutating func setJob(_ role: SlurmJobRole, _ ref: SlurmJobRecordRef) {
        switch role {
        case .circuits: circuits = ref
        case .fits: fits = ref
        case .collect: collect = ref
        }
    }

    enum CodingKeys: String, CodingKey {
        case number
        case submitted
        case commandLine = "command_line"
        case executable
        case options
        case circuits
        case fits
        case collect
    }
}

/// `DIR/slurm/jobs.json`: every submission of the experiment, oldest first.
public struct SlurmJobsFile: Codable, Equatable, Sendable {
    public var circuitfitVersion = CircuitFitVersion.string
    public var submissions: [SlurmSubmission] = []

    public init() {}

    public static func url(_ folder: URL) -> URL { folder.appendingPathComponent("slurm/jobs.json") }

    /// The file in `folder`, or nil when the experiment was never submitted to Slurm.
    public static func load(_ folder: URL) throws -> SlurmJobsFile? {
        guard let data = try? Data(contentsOf: url(folder)) else { return nil }
        do { return try JSONDecoder().decode(SlurmJobsFile.self, from: data) } catch {
            throw CircuitFitError("\(url(folder).path): unreadable (\(error))")
        }
    }

    public func save(_ folder: URL) throws {
        try AtomicFile.write(OutputFolder.json(self), to: Self.url(folder))
    }

    enum CodingKeys: String, CodingKey {
        case circuitfitVersion = "circuitfit_version"
        case submissions
    }
}
