import Foundation
import CircuitFitCore

/// What the scheduler and the job logs say about an experiment's Slurm submissions: which task
/// of which submission last covered each fit and circuit, and how that task is doing or ended.
struct SlurmView {
    typealias Cover = (submission: SlurmSubmission, job: SlurmJobRecordRef, task: Int)
    let folder: ExperimentFolder
    let jobs: SlurmJobsFile?
    let snapshot: SchedulerSnapshot
    let logLines: Int
    /// The last submission's task that ran (or runs) each fit, by fit id.
    private(set) var fitCover: [String: Cover] = [:]
    /// The same for the circuits, by index into `circuitsToGenerate`.
    private(set) var circuitCover: [Int: Cover] = [:]
    /// Jobs still queued or running, "13 (fits)".
    private(set) var activeJobs: [String] = []

    init(folder: ExperimentFolder, jobs: SlurmJobsFile?, scheduler: SlurmScheduler?, logLines: Int) {
        self.folder = folder
        self.jobs = jobs
        self.logLines = logLines
        snapshot = SchedulerSnapshot(jobs == nil ? nil : scheduler)
        let units = folder.config.units
        for sub in jobs?.submissions ?? [] {
            if let fits = sub.fits {
                let k = sub.options.fitsPerTask
                for (position, t) in fits.tasks.enumerated() {
                    // the fit ids the task ran, as recorded (older files: the plan's order)
                    let ids = fits.fitIDs.map { $0.indices.contains(position) ? $0[position] : [] }
                        ?? units[min(t * k, units.count)..<min((t + 1) * k, units.count)].map(\.id)
                    for id in ids { fitCover[id] = (sub, fits, t) }
                }
            }
            if let circuits = sub.circuits { for t in circuits.tasks { circuitCover[t] = (sub, circuits, t) } }
            for role in SlurmJobRole.allCases {
                guard let ref = sub.job(role) else { continue }
                if snapshot.records(ref.jobID)?.contains(where: \.isActive) == true { activeJobs.append("\(ref.jobID) (\(role.rawValue))") }
            }
        }
    }

    func logPath(_ ref: SlurmJobRecordRef, _ task: Int?) -> String {
        var p = ref.log.replacingOccurrences(of: "%A", with: ref.jobID).replacingOccurrences(of: "%j", with: ref.jobID)
        if let task { p = p.replacingOccurrences(of: "%a", with: "\(task)") }
        return p
    }

    func tail(_ path: String) -> [String] {
        guard let text = try? String(contentsOf: folder.url.appendingPathComponent(path), encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return Array(lines.suffix(logLines))
    }

    /// One fit's or circuit's state from its files and, when a submission covered it, the scheduler.
    func judge(name: String, done: Bool, error: String?, cover: Cover?) -> WorkProgress {
        var p = WorkProgress(name: name, state: .pending, error: error?.trimmingCharacters(in: .whitespacesAndNewlines))
        if done { p.state = .done; p.error = nil; return p }
        guard let (_, ref, task) = cover else {
            p.state = error == nil ? .pending : .failed
            return p
        }
        let where_ = "task \(task) of job \(ref.jobID)"
        let log = logPath(ref, task)
        let logExists = FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(log).path)
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
            p.state = (r.state == .completed && error == nil) ? .missing : .failed
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

    /// The last collect job's state, in words.
    func collectState() -> String? {
        guard let ref = jobs?.submissions.last?.collect else { return nil }
        var collect: String
        switch snapshot.task(ref.jobID, nil) {
        case .record(let r):
            collect = "collect job \(ref.jobID): \(r.summary)"
            if r.state == .failed, r.exitStatus == Int(ProgramExit.incomplete.rawValue) {
                collect += " — wrote results.csv, claims.json and report.html without the missing fits"
            }
        default:
            collect = "collect job \(ref.jobID): no longer known to the scheduler"
        }
        let log = logPath(ref, nil)
        if FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(log).path) { collect += " (log \(log))" }
        return collect
    }
}
