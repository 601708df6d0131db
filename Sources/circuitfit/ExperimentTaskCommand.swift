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

/// `circuitfit experiment-task DIR --task N [--fits-per-task K]` or `--circuit N`: what one
/// Slurm array task runs (hidden; the job scripts call it). The same code as the local backend:
/// `ExperimentFolder.prepareCircuit` and `ExperimentFolder.run`. Exits 3 if any fit failed.
struct ExperimentTaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment-task",
        abstract: "Run one Slurm array task of an experiment (used by the job scripts).",
        shouldDisplay: false)

    @Argument(help: "The experiment folder.")
    var dir: String
    @Option(help: "Run batch N of the plan's fits (fits N·K … N·K+K−1 in experiment.json's fixed order); finished fits are skipped.")
    var task: Int?
    @Option(help: "K, fits per batch (default 1).")
    var fitsPerTask: Int = 1
    @Option(help: "Generate circuit N of the plan instead.")
    var circuit: Int?
    @Option(help: "Fits run at once (default: $SLURM_CPUS_PER_TASK, else 1).")
    var workers: Int?

    func run() throws {
        BLASThreads.set(1)
        let host = ProcessInfo.processInfo.hostName
        let env = ProcessInfo.processInfo.environment
        let job = env["SLURM_ARRAY_JOB_ID"].map { "job \($0)_\(env["SLURM_ARRAY_TASK_ID"] ?? "?")" } ?? "no Slurm job"
        let folder: ExperimentFolder
        do { folder = try ExperimentFolder.load(URL(fileURLWithPath: dir)) } catch {
            say("error: \(error)")
            throw ExitCode(ProgramExit.incomplete.rawValue)
        }
        let interrupt = Interruption(folder: folder)
        interrupt.install()
        if let circuit {
            say("circuitfit \(CircuitFitVersion.string): circuit \(circuit) of \(folder.url.path) on \(host) (\(job))")
            do { say(try folder.prepareCircuit(circuit)) } catch {
                say("error: \(error)")
                throw ExitCode(ProgramExit.incomplete.rawValue)
            }
            return
        }
        guard let task else {
            say("error: experiment-task needs --task N or --circuit N")
            throw ExitCode(ProgramExit.usage.rawValue)
        }
        let units: [FitUnit]
        do { units = try folder.units(task: task, fitsPerTask: fitsPerTask) } catch {
            say("error: \(error)")
            throw ExitCode(ProgramExit.incomplete.rawValue)
        }
        let todo = units.filter { folder.state($0) != .done }
        say("circuitfit \(CircuitFitVersion.string): task \(task) of \(folder.url.path) on \(host) (\(job)): fits \(units.map(\.id).joined(separator: ", "))\(todo.count < units.count ? " (\(units.count - todo.count) already done)" : "")")
        let workers = max(1, min(todo.count, self.workers ?? Int(env["SLURM_CPUS_PER_TASK"] ?? "") ?? 1))
        let failures = parallelMap(todo.count, workers: workers) { i -> Bool in
            let unit = todo[i]
            interrupt.begin(unit)
            defer { interrupt.end(unit) }
            let start = Date()
            do {
                let result = try folder.run(unit)
                say("fit \(unit.id): done in \(String(format: "%.1f", Date().timeIntervalSince(start))) s (\(result.rows.count) row(s))")
                return false
            } catch {
                say("error: \(error)")
                return true
            }
        }
        let failed = failures.filter { $0 }.count
        if failed > 0 {
            say("\(failed) of \(todo.count) fit(s) of task \(task) failed")
            throw ExitCode(ProgramExit.incomplete.rawValue)
        }
    }
}

/// Notes in a running fit's `error.txt` that the task was killed (scancel, time limit,
/// preemption: Slurm sends SIGTERM first), so `status` can say so even after the scheduler has
/// forgotten the job.
final class Interruption: @unchecked Sendable {
    let folder: ExperimentFolder
    private let lock = NSLock()
    private var running: [FitUnit] = []
    private var source: DispatchSourceSignal?

    init(folder: ExperimentFolder) { self.folder = folder }

    func install() {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: DispatchQueue.global())
        source.setEventHandler { [self] in
            lock.lock()
            let units = running
            lock.unlock()
            for unit in units {
                folder.recordInterruption(unit, message: "killed by SIGTERM while running (scancel, the job's time limit or preemption)")
            }
            say("terminated by SIGTERM\(units.isEmpty ? "" : " during \(units.map(\.id).joined(separator: ", "))")")
            _exit(128 + SIGTERM)
        }
        source.resume()
        self.source = source
    }

    func begin(_ unit: FitUnit) { lock.lock(); running.append(unit); lock.unlock() }
    func end(_ unit: FitUnit) { lock.lock(); running.removeAll { $0 == unit }; lock.unlock() }
}

/// `circuitfit experiment-collect DIR [--submission N]`: the collect job (hidden). The same
/// `collect` as the local backend: results.csv, claims.json and report.html from the fits that
/// finished, the rest listed as missing. Exits 3 if any fit is missing (the files are written).
struct ExperimentCollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment-collect",
        abstract: "Collect an experiment's finished fits (used by the Slurm collect job).",
        shouldDisplay: false)

    @Argument(help: "The experiment folder.")
    var dir: String
    @Option(help: "The Slurm submission this collects (its time and command line go into the report).")
    var submission: Int?

    func run() throws {
        try reportingErrors {
            let folder = try ExperimentFolder.load(URL(fileURLWithPath: dir))
            let submissions = try SlurmJobsFile.load(folder.url)?.submissions ?? []
            let sub = submission.flatMap { n in submissions.first { $0.number == n } } ?? submissions.last
            let wall = sub.flatMap { ISO8601DateFormatter().date(from: $0.submitted) }.map { Date().timeIntervalSince($0) }
            let collected = try folder.collect(wallTimeSeconds: wall, commandLine: sub?.commandLine ?? "circuitfit experiment-collect \(dir)")
            print(ClaimsTable.render(collected.claims))
            print("results: \(folder.url.path)/results.csv (\(collected.rows.count) rows), claims.json, report.html")
            if !collected.missing.isEmpty {
                say("\(collected.missing.count) of \(folder.config.units.count) fits missing (failed or not run): \(collected.missing.prefix(10).map(\.id).joined(separator: ", "))\(collected.missing.count > 10 ? ", …" : ""); `circuitfit status \(folder.url.path)` says why, `circuitfit experiment --out \(folder.url.path) --resume` reruns them")
                throw ExitCode(ProgramExit.incomplete.rawValue)
            }
        }
    }
}
