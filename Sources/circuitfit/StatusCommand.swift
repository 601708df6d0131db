import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Progress of an experiment: fits done, running, pending, failed.",
        discussion: """
            Reads DIR/experiment.json and each fit's folder. For an experiment submitted with \
            --backend slurm it also asks the scheduler (scontrol show job; no accounting database \
            needed) which array tasks are running or pending and how the others ended: a failed \
            or cancelled task shows its exit code or signal, the fit's error and the tail of its \
            log. Rerun the experiment with --resume to retry what is missing or failed.

            States: done (result.json written); running / pending (its task is running / queued); \
            failed (the fit raised, or its task failed, was cancelled or killed); missing (not \
            done, not queued, no failure recorded: e.g. never submitted, or the scheduler forgot it).

            Example:
              circuitfit status exp
            """)

    @Argument(help: "The experiment folder.")
    var dir: String
    @Option(help: "Log lines shown for each failed task (default 10).")
    var logLines: Int = 10
    @Flag(help: "List every fit that is not done (default: at most 10 of each state).")
    var all = false

    func run() throws {
        try reportingErrors {
            let folder = try ExperimentFolder.load(URL(fileURLWithPath: dir), readOnly: true)
            let scheduler: SlurmScheduler? = SlurmTools.find("scontrol") != nil ? ScontrolScheduler() : nil
            let progress = try folder.progress(scheduler: scheduler, logLines: logLines)
            print(Self.render(progress, dir: dir, verbose: all), terminator: "")
        }
    }

    static func render(_ p: ExperimentProgress, dir: String, verbose: Bool) -> String {
        var out = ""
        func line(_ s: String) { out += s + "\n" }
        // "N done, N failed, N pending" as before the Slurm backend, then the new states
        let states: [WorkProgress.State] = [.done, .failed, .pending, .running, .missing]
        let counts = states.map { "\(p.count($0)) \($0.rawValue)" }.filter { !$0.hasPrefix("0 missing") }
        line("experiment \(dir): \(p.fits.count) fits — " + counts.joined(separator: ", "))
        let circuitsReady = p.circuits.filter { $0.state == .done }.count
        if !p.circuits.isEmpty, circuitsReady < p.circuits.count {
            let under = p.circuits.filter { $0.state == .running || $0.state == .pending }.count
            line("circuits: \(circuitsReady) of \(p.circuits.count) generated" + (under > 0 ? " (\(under) running or queued)" : ""))
        }
        if let sub = p.submission {
            var jobs: [String] = []
            if let c = sub.circuits { jobs.append("circuits job \(c.jobID)") }
            if let f = sub.fits { jobs.append("fits job \(f.jobID) (\(f.tasks.count) task(s))") }
            line("slurm: submission \(sub.number) of \(p.submissions), submitted \(sub.submitted): " + jobs.joined(separator: ", "))
            if let c = p.collect { line("  " + c) }
        }
        if let problem = p.schedulerProblem { line("note: scheduler not asked (\(problem))") }

        let limit = verbose ? Int.max : 10
        func details(_ items: [WorkProgress], _ label: String) {
            guard !items.isEmpty else { return }
            line("\(label) (\(items.count)):")
            for item in items.prefix(limit) {
                line("  \(item.name)" + (item.scheduler.map { " — \($0)" } ?? ""))
                if let e = item.error {
                    let lines = e.split(separator: "\n")
                    line("    error: " + lines.suffix(5).joined(separator: "\n           "))
                }
                if let log = item.log, !item.logTail.isEmpty {
                    line("    log \(log) (last \(item.logTail.count) lines):")
                    for l in item.logTail { line("      | \(l)") }
                }
            }
            if items.count > limit { line("  … and \(items.count - limit) more (status --all lists them)") }
        }
        details(p.circuits.filter { $0.state == .failed || $0.state == .missing }, "circuits not generated")
        details(p.fits.filter { $0.state == .failed }, "failed")
        details(p.fits.filter { $0.state == .missing }, "missing")
        let running = p.fits.filter { $0.state == .running }
        if !running.isEmpty {
            line("running: " + running.prefix(limit).map(\.name).joined(separator: ", ") + (running.count > limit ? ", …" : ""))
        }
        switch p.nextStep {
        case .allDone:
            line("all fits done: results in \(dir)/results.csv, claims.json, report.html")
        case .waitForRun(let holder):
            line("running: \(holder.purpose) by \(ExperimentLock.describe(holder)); it finishes the remaining fits itself (no --resume needed)")
        case .waitForQueue(let jobs):
            line("in the queue: jobs \(jobs.joined(separator: ", ")); check again later (squeue, or this command)")
        case .resume:
            if case .stale(let holder) = p.lock {
                line("note: the last local run (\(ExperimentLock.describe(holder))) ended without finishing (killed?)")
            }
            line("to continue: circuitfit experiment --out \(dir) --resume")
        }
        return out
    }
}
