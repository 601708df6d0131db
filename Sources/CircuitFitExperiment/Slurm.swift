import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting

// The Slurm backend of `circuitfit experiment`: job scripts, submission, and what the scheduler
// says about them. Every array task runs the same code as a local fit (`ExperimentFolder.run`,
// `prepareCircuit`, `collect`) and writes only into its own folder, atomically; the scheduler is
// only asked through its command-line tools (sbatch, scontrol, scancel), so any Slurm site works.

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
    /// Extra sbatch arguments, added to every job script as `#SBATCH` lines (e.g. `--account=lab`).
    public var sbatchArgs: [String] = []
    /// Fits per array task (consecutive fits of the plan's fixed order).
    public var fitsPerTask: Int = 1

    public init() {}

    public func validate() throws {
        guard cpusPerTask >= 1 else { throw CircuitFitError("--cpus-per-task must be ≥ 1, got \(cpusPerTask)") }
        guard fitsPerTask >= 1 else { throw CircuitFitError("--fits-per-task must be ≥ 1, got \(fitsPerTask)") }
        if let maxConcurrent, maxConcurrent < 1 { throw CircuitFitError("--max-concurrent must be ≥ 1, got \(maxConcurrent)") }
        for (name, value) in [("--partition", partition), ("--time", time), ("--mem", mem)] {
            if let value, value.isEmpty || value.contains(where: \.isWhitespace) {
                throw CircuitFitError("\(name) '\(value)' must be one word")
            }
        }
        for arg in sbatchArgs where !arg.hasPrefix("-") || arg.contains("\n") {
            throw CircuitFitError("--sbatch-arg '\(arg)' must be one sbatch option such as --account=lab")
        }
    }
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

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case script
        case log
        case tasks
        case sbatch
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

// MARK: - the scheduler's tools

/// Runs Slurm's command-line tools.
public enum SlurmTools {
    /// The full path of `tool` on PATH (as the shell would find it), or nil.
    public static func find(_ tool: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for dir in (path ?? "").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Fails with a clear message unless every tool is on PATH.
    public static func require(_ tools: [String], purpose: String) throws {
        let missing = tools.filter { find($0) == nil }
        guard missing.isEmpty else {
            throw CircuitFitError("\(purpose) needs Slurm's \(missing.joined(separator: ", ")) on PATH, and \(missing.count == 1 ? "it is" : "they are") not there (PATH=\(ProcessInfo.processInfo.environment["PATH"] ?? "")). Run this on the cluster's login node (or `module load slurm`), use --dry-run to see the job scripts, or use --backend local")
        }
    }

    /// The cluster's MaxArraySize (task indices must stay below it), from `scontrol show config`.
    public static func maxArraySize() -> Int? {
        guard let out = try? run("scontrol", ["show", "config"]), out.status == 0 else { return nil }
        for line in out.stdout.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            return line.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `tool` (found on PATH) with `arguments` and returns its exit status and output.
    public static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        guard let path = find(tool) else { throw CircuitFitError("\(tool) is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw CircuitFitError("cannot run \(path): \(error)") }
        let errBox = DataBox()
        let reader = Thread { errBox.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errBox.isSet { usleep(1000) }
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    private final class DataBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Data?
        func set(_ d: Data) { lock.lock(); value = d; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value != nil }
        var data: Data { lock.lock(); defer { lock.unlock() }; return value ?? Data() }
    }
}

// MARK: - what the scheduler knows

/// One record of `scontrol -o show job`: a job, an array task, or the not-yet-started tasks of an array.
public struct SlurmJobRecord: Equatable, Sendable {
    public var jobID: String
    public var arrayJobID: String?
    /// The array tasks this record stands for (one, or the pending ones).
    public var arrayTasks: [Int]
    public var state: String
    public var reason: String
    /// `ExitCode=status:signal`.
    public var exitStatus: Int
    public var exitSignal: Int

    /// Parses one line of `scontrol -o show job` (Key=Value fields separated by spaces).
    public init?(line: String) {
        var fields: [String: String] = [:]
        for token in line.split(separator: " ") {
            guard let eq = token.firstIndex(of: "=") else { continue }
            let key = String(token[..<eq])
            if fields[key] == nil { fields[key] = String(token[token.index(after: eq)...]) }
        }
        guard let id = fields["JobId"], let state = fields["JobState"] else { return nil }
        jobID = id
        arrayJobID = fields["ArrayJobId"]
        arrayTasks = fields["ArrayTaskId"].map(Self.parseIndices) ?? []
        self.state = state
        reason = fields["Reason"] ?? ""
        let code = (fields["ExitCode"] ?? "0:0").split(separator: ":")
        exitStatus = code.first.flatMap { Int($0) } ?? 0
        exitSignal = code.count > 1 ? Int(code[1]) ?? 0 : 0
    }

    /// "1-3,7,9-11%2" (or with steps, "0-10:2") → the indices.
    public static func parseIndices(_ text: String) -> [Int] {
        let body = text.split(separator: "%").first.map(String.init) ?? ""
        var out: [Int] = []
        for part in body.split(separator: ",") {
            let stepParts = part.split(separator: ":")
            let step = stepParts.count > 1 ? max(Int(stepParts[1]) ?? 1, 1) : 1
            let bounds = stepParts[0].split(separator: "-")
            if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a <= b {
                out += Array(stride(from: a, through: b, by: step))
            } else if let a = Int(stepParts[0]) {
                out.append(a)
            }
        }
        return out
    }

    /// Still to run or running (not finished).
    public var isActive: Bool { Self.runningStates.contains(state) || Self.pendingStates.contains(state) }
    public var isRunning: Bool { Self.runningStates.contains(state) }
    public static let runningStates: Set<String> = ["RUNNING", "COMPLETING", "CONFIGURING", "SIGNALING", "STAGE_OUT", "SUSPENDED"]
    public static let pendingStates: Set<String> = ["PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "RESV_DEL_HOLD", "SPECIAL_EXIT"]

    /// "FAILED, exit code 3", "CANCELLED, signal 15", "TIMEOUT", "COMPLETED".
    public var summary: String {
        var s = state
        if exitSignal != 0 { s += ", signal \(exitSignal)" } else if exitStatus != 0 { s += ", exit code \(exitStatus)" }
        if isActive, !reason.isEmpty, reason != "None" { s += " (\(reason))" }
        return s
    }
}

/// Asks the scheduler about jobs (`scontrol -o show job ID`: no accounting database needed).
public protocol SlurmScheduler: Sendable {
    /// The job's records (an array job: one per task, pending tasks together), or nil when the
    /// scheduler does not know the job (never existed, or finished longer than MinJobAge ago).
    func records(job: String) throws -> [SlurmJobRecord]?
}

/// The real scheduler, through `scontrol`.
public struct ScontrolScheduler: SlurmScheduler {
    public init() {}
    public func records(job: String) throws -> [SlurmJobRecord]? {
        let out = try SlurmTools.run("scontrol", ["-o", "show", "job", job])
        if out.status != 0 {
            if out.stderr.contains("Invalid job id") || out.stderr.contains("not found") { return nil }
            throw CircuitFitError("scontrol show job \(job) failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let records = out.stdout.split(separator: "\n").compactMap { SlurmJobRecord(line: String($0)) }
        return records.isEmpty ? nil : records
    }
}

/// What the scheduler says about one array task (or plain job).
public enum SlurmTaskView: Equatable, Sendable {
    /// The scheduler does not know the job (any more).
    case unknownJob
    case record(SlurmJobRecord)
    /// The array is known but has no record of this task: it was cancelled before it started.
    case vanished
}

/// Answers from the scheduler, one query per job id (cached).
public final class SchedulerSnapshot: @unchecked Sendable {
    let scheduler: SlurmScheduler?
    private var cache: [String: [SlurmJobRecord]?] = [:]
    /// Set when the scheduler could not be asked (states then come from files only).
    public private(set) var problem: String?

    public init(_ scheduler: SlurmScheduler?) {
        self.scheduler = scheduler
        if scheduler == nil { problem = "scontrol is not on PATH: states come from the experiment's files only" }
    }

    public func records(_ job: String) -> [SlurmJobRecord]? {
        if let cached = cache[job] { return cached }
        var result: [SlurmJobRecord]? = nil
        if let scheduler {
            do { result = try scheduler.records(job: job) } catch {
                problem = "\(error)"
            }
        }
        cache[job] = result
        return result
    }

    public func task(_ job: String, _ task: Int?) -> SlurmTaskView {
        guard let records = records(job) else { return .unknownJob }
        guard let task else { return records.first.map { .record($0) } ?? .unknownJob }
        // a finished or running task has its own record; the pending ones share one
        if let own = records.first(where: { $0.arrayTasks == [task] }) { return .record(own) }
        if let shared = records.first(where: { $0.arrayTasks.contains(task) }) { return .record(shared) }
        return .vanished
    }
}

// MARK: - job scripts and submission

/// "0,1,2,5,7,8" → "0-2,5,7-8".
public func compressIndices(_ indices: [Int]) -> String {
    let sorted = Array(Set(indices)).sorted()
    var parts: [String] = []
    var i = 0
    while i < sorted.count {
        var j = i
        while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
        parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
        i = j + 1
    }
    return parts.joined(separator: ",")
}

/// A word for a POSIX shell: as is when safe, else in single quotes.
public func shellQuote(_ s: String) -> String {
    let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-")
    if !s.isEmpty, s.unicodeScalars.allSatisfy({ safe.contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// What `experiment --backend slurm` submits (or, with --dry-run, would submit).
public struct SlurmSubmissionPlan: Sendable {
    public struct Job: Sendable {
        /// "circuits", "fits" or "collect".
        public var role: String
        /// The script, relative to the experiment folder.
        public var script: String
        public var text: String
        /// Log pattern relative to the experiment folder.
        public var log: String
        public var tasks: [Int]
        /// The role of the job this one waits for (afterany), if any.
        public var after: String?
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
    public func sbatchArguments(_ job: Job, ids: [String: String], folder: URL) -> [String] {
        var args = ["--parsable"]
        if let after = job.after { args.append("--dependency=afterany:\(ids[after] ?? "<\(after) job id>")") }
        args.append(folder.appendingPathComponent(job.script).path)
        return args
    }
}

extension ExperimentFolder {
    /// The jobs that would bring this experiment to completion: a circuits array (if circuits
    /// are missing), ONE fits array over the unfinished batches, and a collect job.
    /// `number` is the submission number (1 for the first).
    public func slurmPlan(options: SlurmOptions, executable: String, commandLine: String, number: Int) throws -> SlurmSubmissionPlan {
        try options.validate()
        let units = config.units
        let tasks = unfinishedTasks(fitsPerTask: options.fitsPerTask)
        let todoUnits = units.filter { state($0) != .done }
        // the circuits the unfinished fits need
        let neededFolders = Set(todoUnits.map { config.datasetPath(seed: $0.seed).replacingOccurrences(of: "/dataset.npz", with: "") })
        let circuitTasks = missingCircuits.filter { neededFolders.contains(config.circuitsToGenerate[$0].folder) }
        var jobs: [SlurmSubmissionPlan.Job] = []
        let name = experimentJobName
        if !tasks.isEmpty {
            if !circuitTasks.isEmpty {
                let log = "slurm/logs/circuits-%A_%a.out"
                jobs.append(.init(
                    role: "circuits", script: "slurm/circuits-\(number).sbatch",
                    text: jobScript(
                        comment: "Circuits job: generates the \(circuitTasks.count) missing circuit(s); task i generates circuit i of the plan (\(circuitTasks.map { config.circuitsToGenerate[$0].folder }.prefix(5).joined(separator: ", "))\(circuitTasks.count > 5 ? ", …" : ""))",
                        name: "\(name)-circuits", array: circuitTasks, log: log, options: options, cpus: 1,
                        command: [executable, "experiment-task", url.path, "--circuit"], taskArgument: true),
                    log: log, tasks: circuitTasks, after: nil))
            }
            let log = "slurm/logs/fits-%A_%a.out"
            jobs.append(.init(
                role: "fits", script: "slurm/fits-\(number).sbatch",
                text: jobScript(
                    comment: options.fitsPerTask == 1 ? "Fits job: \(todoUnits.count) of the plan's \(units.count) fits, one per task; task t runs fit t of experiment.json's fixed order (unless it is already done)" : "Fits job: \(todoUnits.count) of the plan's \(units.count) fits, \(options.fitsPerTask) per task; task t runs fits t·\(options.fitsPerTask) … t·\(options.fitsPerTask)+\(options.fitsPerTask - 1) of experiment.json's fixed order (those already done are skipped)",
                    name: "\(name)-fits", array: tasks, log: log, options: options, cpus: options.cpusPerTask,
                    command: [executable, "experiment-task", url.path, "--fits-per-task", "\(options.fitsPerTask)", "--task"], taskArgument: true),
                log: log, tasks: tasks, after: circuitTasks.isEmpty ? nil : "circuits"))
            let collectLog = "slurm/logs/collect-%j.out"
            jobs.append(.init(
                role: "collect", script: "slurm/collect-\(number).sbatch",
                text: jobScript(
                    comment: "Collect job: runs once every fit task has ended (afterany: also when some failed or were cancelled); merges the finished fits into results.csv, claims.json and report.html, lists the missing ones, and exits 3 if any is missing",
                    name: "\(name)-collect", array: nil, log: collectLog, options: options, cpus: 1,
                    command: [executable, "experiment-collect", url.path, "--submission", "\(number)"], taskArgument: false),
                log: collectLog, tasks: [], after: "fits"))
        }
        return SlurmSubmissionPlan(
            number: number, fitsToRun: todoUnits.count, fitsDone: units.count - todoUnits.count, fitsTotal: units.count,
            circuitsToGenerate: tasks.isEmpty ? 0 : circuitTasks.count, jobs: jobs, options: options,
            executable: executable, commandLine: commandLine)
    }

    /// A job name from the folder's name: "circuitfit-<name>".
    var experimentJobName: String {
        let base = url.standardizedFileURL.lastPathComponent.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "_"
        }
        return "cf-" + String(base.prefix(40))
    }

    func jobScript(comment: String, name: String, array: [Int]?, log: String, options: SlurmOptions, cpus: Int,
                   command: [String], taskArgument: Bool) -> String {
        func directive(_ s: String) -> String {
            // an #SBATCH value with spaces must be quoted for sbatch's own parser
            "#SBATCH " + (s.contains(" ") && !s.contains("\"") ? "\"\(s)\"" : s)
        }
        var lines = ["#!/bin/bash",
                     "# circuitfit \(CircuitFitVersion.string): experiment \(url.path)",
                     "# \(comment).",
                     "# Dependencies (afterany) are given on sbatch's command line: see slurm/jobs.json."]
        lines.append(directive("--job-name=\(name)"))
        if let array {
            lines.append(directive("--array=\(compressIndices(array))\(options.maxConcurrent.map { "%\($0)" } ?? "")"))
        }
        lines.append(directive("--output=\(url.appendingPathComponent(log).path)"))
        lines.append(directive("--chdir=\(url.path)"))
        lines.append(directive("--ntasks=1"))
        lines.append(directive("--cpus-per-task=\(cpus)"))
        if let p = options.partition { lines.append(directive("--partition=\(p)")) }
        if let t = options.time { lines.append(directive("--time=\(t)")) }
        if let m = options.mem { lines.append(directive("--mem=\(m)")) }
        for a in options.sbatchArgs { lines.append(directive(a)) }
        lines.append("")
        lines.append("# one BLAS thread per fit: a task with several CPUs runs that many fits at once instead")
        lines.append("export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1")
        lines.append("exec " + command.map(shellQuote).joined(separator: " ") + (taskArgument ? " \"$SLURM_ARRAY_TASK_ID\"" : ""))
        return lines.joined(separator: "\n") + "\n"
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
        var ids: [String: String] = [:]
        for job in plan.jobs {
            try AtomicFile.writeText(job.text, to: url.appendingPathComponent(job.script))
            let args = plan.sbatchArguments(job, ids: ids, folder: url)
            let out: SlurmTools.Output
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
            let ref = SlurmJobRecordRef(jobID: id, script: job.script, log: job.log, tasks: job.tasks, sbatch: "sbatch " + args.map(shellQuote).joined(separator: " "))
            switch job.role {
            case "circuits": submission.circuits = ref
            case "fits": submission.fits = ref
            default: submission.collect = ref
            }
            if file.submissions.last?.number == plan.number { file.submissions.removeLast() }
            file.submissions.append(submission)
            try file.save(url)
        }
        return submission
    }

    private func cancelPartial(_ ids: [String: String]) {
        guard !ids.isEmpty else { return }
        _ = try? SlurmTools.run("scancel", ids.values.sorted())
        if var file = try? SlurmJobsFile.load(url), let last = file.submissions.last,
           ids.values.contains(where: { [last.circuits?.jobID, last.fits?.jobID, last.collect?.jobID].contains($0) }) {
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

// MARK: - progress (`circuitfit status`)

/// The state of one fit or circuit, from its files and, for Slurm, from the scheduler.
public struct WorkProgress: Sendable {
    public enum State: String, Sendable, CaseIterable { case done, running, pending, failed, missing }
    /// Fit id or circuit folder.
    public var name: String
    public var state: State
    /// "task 2 of job 13: FAILED, exit code 3".
    public var scheduler: String?
    /// The error the fit recorded (error.txt).
    public var error: String?
    /// The task's log (relative to the experiment folder) and its last lines.
    public var log: String?
    public var logTail: [String] = []
}

/// `circuitfit status`: every fit's and circuit's state and the collect job's.
public struct ExperimentProgress: Sendable {
    public var fits: [WorkProgress]
    public var circuits: [WorkProgress]
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
}

extension ExperimentFolder {
    /// The progress of every fit: files first (a result is final), then the scheduler for
    /// what is not done: queued, running, or how its task ended.
    public func progress(scheduler: SlurmScheduler?, logLines: Int = 10) throws -> ExperimentProgress {
        let jobs = try SlurmJobsFile.load(url)
        let snapshot = SchedulerSnapshot(jobs == nil ? nil : scheduler)
        let units = config.units
        // which submission's task covers each fit and circuit last
        var fitCover: [Int: (SlurmSubmission, SlurmJobRecordRef, Int)] = [:]
        var circuitCover: [Int: (SlurmSubmission, SlurmJobRecordRef, Int)] = [:]
        var active: [String] = []
        for sub in jobs?.submissions ?? [] {
            if let fits = sub.fits {
                for t in fits.tasks {
                    let k = sub.options.fitsPerTask
                    for i in (t * k)..<min((t + 1) * k, units.count) { fitCover[i] = (sub, fits, t) }
                }
            }
            if let circuits = sub.circuits { for t in circuits.tasks { circuitCover[t] = (sub, circuits, t) } }
            for (role, ref) in [("circuits", sub.circuits), ("fits", sub.fits), ("collect", sub.collect)] {
                guard let ref else { continue }
                if snapshot.records(ref.jobID)?.contains(where: \.isActive) == true { active.append("\(ref.jobID) (\(role))") }
            }
        }

        func logPath(_ ref: SlurmJobRecordRef, _ task: Int?) -> String {
            var p = ref.log.replacingOccurrences(of: "%A", with: ref.jobID).replacingOccurrences(of: "%j", with: ref.jobID)
            if let task { p = p.replacingOccurrences(of: "%a", with: "\(task)") }
            return p
        }
        func tail(_ path: String) -> [String] {
            guard let text = try? String(contentsOf: url.appendingPathComponent(path), encoding: .utf8) else { return [] }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
            return Array(lines.suffix(logLines))
        }
        func judge(name: String, done: Bool, error: String?, cover: (SlurmSubmission, SlurmJobRecordRef, Int)?) -> WorkProgress {
            var p = WorkProgress(name: name, state: .pending, error: error?.trimmingCharacters(in: .whitespacesAndNewlines))
            if done { p.state = .done; p.error = nil; return p }
            guard let (_, ref, task) = cover else {
                p.state = error == nil ? .pending : .failed
                return p
            }
            let where_ = "task \(task) of job \(ref.jobID)"
            let log = logPath(ref, task)
            let logExists = FileManager.default.fileExists(atPath: url.appendingPathComponent(log).path)
            if logExists { p.log = log }
            switch snapshot.task(ref.jobID, task) {
            case .record(let r) where r.isActive:
                p.state = r.isRunning ? .running : .pending
                p.scheduler = "\(where_): \(r.summary)"
                p.error = nil  // an earlier attempt's error; this one is under way
                p.log = nil
                return p
            case .record(let r):
                p.scheduler = "\(where_): \(r.summary)"
                p.state = (r.state == "COMPLETED" && error == nil) ? .missing : .failed
            case .vanished:
                p.scheduler = "\(where_): cancelled before it started (the scheduler keeps no record of it)"
                p.state = .failed
            case .unknownJob:
                p.scheduler = "\(where_): no longer known to the scheduler"
                p.state = error != nil || logExists ? .failed : .missing
            }
            if logExists { p.logTail = tail(log) }
            return p
        }

        let fits = units.enumerated().map { i, unit in
            judge(name: unit.id, done: state(unit) == .done, error: errorMessage(unit), cover: fitCover[i])
        }
        let circuits = config.circuitsToGenerate.indices.map { i in
            judge(name: config.circuitsToGenerate[i].folder, done: circuitReady(i), error: circuitError(i), cover: circuitCover[i])
        }
        var collect: String? = nil
        if let ref = jobs?.submissions.last?.collect {
            switch snapshot.task(ref.jobID, nil) {
            case .record(let r):
                collect = "collect job \(ref.jobID): \(r.summary)"
                if r.state == "FAILED", r.exitStatus == 3 { collect! += " — wrote results.csv, claims.json and report.html without the missing fits" }
            default:
                collect = "collect job \(ref.jobID): no longer known to the scheduler"
            }
            let log = logPath(ref, nil)
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(log).path) { collect! += " (log \(log))" }
        }
        return ExperimentProgress(
            fits: fits, circuits: circuits, submission: jobs?.submissions.last, submissions: jobs?.submissions.count ?? 0,
            collect: collect, schedulerProblem: jobs == nil ? nil : snapshot.problem, activeJobs: active)
    }
}
