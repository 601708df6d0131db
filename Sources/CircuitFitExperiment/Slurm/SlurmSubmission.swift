import Foundation
import CircuitFitCore

/// What `experiment --backend slurm` submits (or, with --dry-run, would submit).
public struct SlurmSubmissionPlan: Sendable {
    public struct Job: Sendable {
        public var role: SlurmJobRole
        /// The script, relative to the experiment folder.
        public var script: String
        public var text: String
        /// Log pattern relative to the experiment folder.
        public var log: String
        public var tasks: [Int]
        /// The job this one waits for (afterany), if any.
        public var after: SlurmJobRole?
        /// Fits job: the fit ids of each task (in task order).
        public var fitIDs: [[String]]?
    }
    public var number: Int
    public var fitsToRun: Int
    public var fitsDone: Int
    public var fitsTotal: Int
    public var circuitsToGenerate: Int
    public var jobs: [Job]
    public var options: SlurmOptions
    public var executable: String
    public var commandLine: String

    /// The sbatch command for `job`, with the job ids submitted so far (placeholders in a dry run).
    public func sbatchArguments(_ job: Job, ids: [SlurmJobRole: String], folder: URL) -> [String] {
        var args = ["--parsable"]
        if let after = job.after { args.append("--dependency=afterany:\(ids[after] ?? "<\(after.rawValue) job id>")") }
        args.append(folder.appendingPathComponent(job.script).path)
        return args
    }

    /// The highest array index any job would use.
    public var highestTaskIndex: Int? { jobs.flatMap(\.tasks).max() }
}

extension ExperimentFolder {
    /// The jobs that would bring this experiment to completion: a circuits array (if circuits
    /// are missing), ONE fits array over the unfinished batches, and a collect job.
    /// `number` is the submission number (1 for the first). Refuses, before anything is
    /// written, a folder, executable or option that cannot go into a job script safely.
    public func slurmPlan(options: SlurmOptions, executable: String, commandLine: String, number: Int) throws -> SlurmSubmissionPlan {
        try options.validate()
        try JobScriptText.requirePrintable(url.path, what: "the experiment folder")
        try JobScriptText.requirePrintable(executable, what: "the circuitfit executable's path")
        let units = config.units
        let k = options.fitsPerTask
        let tasks = unfinishedTasks(fitsPerTask: k)
        let todoUnits = units.filter { state($0) != .done }
        // the circuits the unfinished fits need
        let neededFolders = Set(todoUnits.map { config.circuitFolder(seed: $0.seed) })
        let circuitTasks = missingCircuits.filter { neededFolders.contains(config.circuitsToGenerate[$0].folder) }
        var jobs: [SlurmSubmissionPlan.Job] = []
        let name = experimentJobName
        func script(_ comment: String, _ role: SlurmJobRole, array: [Int]?, log: String, cpus: Int, _ command: [String], task: Bool) -> String {
            JobScript(comment: comment, name: "\(name)-\(role.rawValue)", array: array, log: url.appendingPathComponent(log).path,
                      folder: url.path, options: options, cpus: cpus, command: command, taskArgument: task).text
        }
        if !tasks.isEmpty {
            if !circuitTasks.isEmpty {
                let log = "slurm/logs/circuits-%A_%a.out"
                let names = circuitTasks.map { config.circuitsToGenerate[$0].folder }
                jobs.append(.init(
                    role: .circuits, script: "slurm/circuits-\(number).sbatch",
                    text: script("Circuits job: generates the \(circuitTasks.count) missing circuit(s); task i generates circuit i of the plan (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", …" : ""))",
                                 .circuits, array: circuitTasks, log: log, cpus: 1,
                                 [executable, "experiment-task", url.path, "--circuit"], task: true),
                    log: log, tasks: circuitTasks, after: nil, fitIDs: nil))
            }
            let log = "slurm/logs/fits-%A_%a.out"
            let comment = k == 1
                ? "Fits job: \(todoUnits.count) of the plan's \(units.count) fits, one per task; task t runs fit t of experiment.json's fixed order (unless it is already done)"
                : "Fits job: \(todoUnits.count) of the plan's \(units.count) fits, \(k) per task; task t runs fits t·\(k) … t·\(k)+\(k - 1) of experiment.json's fixed order (those already done are skipped)"
            jobs.append(.init(
                role: .fits, script: "slurm/fits-\(number).sbatch",
                text: script(comment, .fits, array: tasks, log: log, cpus: options.cpusPerTask,
                             [executable, "experiment-task", url.path, "--fits-per-task", "\(k)", "--task"], task: true),
                log: log, tasks: tasks, after: circuitTasks.isEmpty ? nil : .circuits,
                fitIDs: tasks.map { t in units[(t * k)..<min((t + 1) * k, units.count)].map(\.id) }))
            let collectLog = "slurm/logs/collect-%j.out"
            jobs.append(.init(
                role: .collect, script: "slurm/collect-\(number).sbatch",
                text: script("Collect job: runs once every fit task has ended (afterany: also when some failed or were cancelled); merges the finished fits into results.csv, claims.json and report.html, lists the missing ones, and exits \(ProgramExit.incomplete.rawValue) if any is missing",
                             .collect, array: nil, log: collectLog, cpus: 1,
                             [executable, "experiment-collect", url.path, "--submission", "\(number)"], task: false),
                log: collectLog, tasks: [], after: .fits, fitIDs: nil))
        }
        return SlurmSubmissionPlan(
            number: number, fitsToRun: todoUnits.count, fitsDone: units.count - todoUnits.count, fitsTotal: units.count,
            circuitsToGenerate: tasks.isEmpty ? 0 : circuitTasks.count, jobs: jobs, options: options,
            executable: executable, commandLine: commandLine)
    }

    /// A job name from the folder's name: "cf-<name>".
    var experimentJobName: String {
        let base = url.standardizedFileURL.lastPathComponent.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "_"
        }
        return "cf-" + String(base.prefix(40))
    }

    /// Writes the plan's job scripts and submits them with sbatch, recording each job id in
    /// `slurm/jobs.json` (atomically) as soon as it is known. If a later sbatch fails, the jobs
    /// of this submission already submitted are cancelled and the error says why.
    public func submit(_ plan: SlurmSubmissionPlan, submitted: Date = Date()) throws -> SlurmSubmission {
        let slurmDir = url.appendingPathComponent("slurm")
        try FileManager.default.createDirectory(at: slurmDir.appendingPathComponent("logs"), withIntermediateDirectories: true)
        var file = try SlurmJobsFile.load(url) ?? SlurmJobsFile()
        var submission = SlurmSubmission(
            number: plan.number, submitted: ISO8601DateFormatter().string(from: submitted), commandLine: plan.commandLine,
            executable: plan.executable, options: plan.options, circuits: nil, fits: nil, collect: nil)
        var ids: [SlurmJobRole: String] = [:]
        for job in plan.jobs {
            try AtomicFile.writeText(job.text, to: url.appendingPathComponent(job.script))
            let args = plan.sbatchArguments(job, ids: ids, folder: url)
            let out: ProcessRunner.Output
            do { out = try SlurmTools.run("sbatch", args) } catch {
                cancelPartial(ids)
                throw error
            }
            let id = out.stdout.split(separator: "\n").last.map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) } ?? ""
            guard out.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
                cancelPartial(ids)
                throw CircuitFitError("sbatch \(args.joined(separator: " ")) failed (exit \(out.status)): \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))\(ids.isEmpty ? "" : "; cancelled this submission's jobs \(ids.values.sorted().joined(separator: ", "))")")
            }
            ids[job.role] = id
            submission.setJob(job.role, SlurmJobRecordRef(
                jobID: id, script: job.script, log: job.log, tasks: job.tasks,
                sbatch: "sbatch " + args.map(JobScriptText.shellWord).joined(separator: " "), fitIDs: job.fitIDs))
            if file.submissions.last?.number == plan.number { file.submissions.removeLast() }
            file.submissions.append(submission)
            try file.save(url)
        }
        return submission
    }

    private func cancelPartial(_ ids: [SlurmJobRole: String]) {
        guard !ids.isEmpty else { return }
        _ = try? SlurmTools.run("scancel", ids.values.sorted())
        if var file = try? SlurmJobsFile.load(url), let last = file.submissions.last,
           ids.values.contains(where: { id in SlurmJobRole.allCases.contains { last.job($0)?.jobID == id } }) {
            file.submissions.removeLast()
            try? file.save(url)
        }
    }

    /// Records that `unit` was interrupted (SIGTERM from scancel, a time limit or preemption)
    /// in its `error.txt`, unless it finished meanwhile.
    public func recordInterruption(_ unit: FitUnit, message: String) {
        guard state(unit) != .done else { return }
        try? FileManager.default.createDirectory(at: fitFolder(unit), withIntermediateDirectories: true)
        try? AtomicFile.writeText(message + "\n", to: errorURL(unit))
    }
}
