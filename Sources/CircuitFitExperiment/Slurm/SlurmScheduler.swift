import Foundation
import CircuitFitCore

/// Slurm's command-line tools (sbatch, scontrol, scancel): the only way CircuitFit talks to the
/// scheduler, so any Slurm site works.
public enum SlurmTools {
    /// The full path of `tool` on PATH, or nil.
    public static func find(_ tool: String) -> String? { ProcessRunner.find(tool) }

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

    /// Runs `tool` (found on PATH) with `arguments`; its exit status and output.
    public static func run(_ tool: String, _ arguments: [String]) throws -> ProcessRunner.Output {
        guard let path = find(tool) else { throw CircuitFitError("\(tool) is not on PATH") }
        return try ProcessRunner(executable: path, arguments: arguments).run()
    }
}

/// A job's state as Slurm names it (`JobState=` of `scontrol show job`).
public enum SlurmJobState: Equatable, Sendable {
    case pending, running, completed, failed, cancelled, timeout, outOfMemory, nodeFail, preempted
    /// Any other state, by its Slurm name (e.g. `COMPLETING`, `REQUEUED`, `BOOT_FAIL`).
    case other(String)

    public init(_ name: String) {
        switch name {
        case "PENDING": self = .pending
        case "RUNNING": self = .running
        case "COMPLETED": self = .completed
        case "FAILED": self = .failed
        case "CANCELLED": self = .cancelled
        case "TIMEOUT": self = .timeout
        case "OUT_OF_MEMORY": self = .outOfMemory
        case "NODE_FAIL": self = .nodeFail
        case "PREEMPTED": self = .preempted
        default: self = .other(name)
        }
    }

    /// Slurm's name of the state.
    public var name: String {
        switch self {
        case .pending: "PENDING"
        case .running: "RUNNING"
        case .completed: "COMPLETED"
        case .failed: "FAILED"
        case .cancelled: "CANCELLED"
        case .timeout: "TIMEOUT"
        case .outOfMemory: "OUT_OF_MEMORY"
        case .nodeFail: "NODE_FAIL"
        case .preempted: "PREEMPTED"
        case .other(let s): s
        }
    }

    /// Running, or about to (its CPUs are held).
    public var isRunning: Bool {
        switch self {
        case .running: true
        case .other(let s): ["COMPLETING", "CONFIGURING", "SIGNALING", "STAGE_OUT", "SUSPENDED"].contains(s)
        default: false
        }
    }

    /// Waiting to run (again).
    public var isPending: Bool {
        switch self {
        case .pending: true
        case .other(let s): ["REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "RESV_DEL_HOLD", "SPECIAL_EXIT"].contains(s)
        default: false
        }
    }

    /// Not finished: queued or running.
    public var isActive: Bool { isRunning || isPending }
}

/// One record of `scontrol -o show job`: a job, an array task, or the not-yet-started tasks of an array.
public struct SlurmJobRecord: Equatable, Sendable {
    public var jobID: String
    public var arrayJobID: String?
    /// The array tasks this record stands for (one, or the pending ones).
    public var arrayTasks: [Int]
    public var state: SlurmJobState
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
        self.state = SlurmJobState(state)
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
    public var isActive: Bool { state.isActive }
    public var isRunning: Bool { state.isRunning }

    /// "FAILED, exit code 3", "CANCELLED, signal 15", "TIMEOUT", "COMPLETED".
    public var summary: String {
        var s = state.name
        if exitSignal != 0 { s += ", signal \(exitSignal)" } else if exitStatus != 0 { s += ", exit code \(exitStatus)" }
        if isActive, !reason.isEmpty, reason != "None" { s += " (\(reason))" }
        return s
    }
}

/// Asks the scheduler about jobs. Two implementations: `ScontrolScheduler` (the real one) and
/// the tests' scripted scheduler.
public protocol SlurmScheduler: Sendable {
    /// The job's records (an array job: one per task, pending tasks together), or nil when the
    /// scheduler does not know the job (never existed, or finished longer than MinJobAge ago).
    func records(job: String) throws -> [SlurmJobRecord]?
}

/// The real scheduler, through `scontrol -o show job ID` (no accounting database needed).
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
