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

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "The paper's experiment: fits over seeds × M × λ × arms, statistics, claims and a report.",
        discussion: """
            For each seed (circuit and model initialisation), arm (plain, priors), M and λ: fit, \
            evaluate, and keep one result per fit in DIR/fits/. Then writes DIR/results.csv (one row \
            per seed, arm, M, λ), DIR/claims.json (each claim of science.md §5 with a paired \
            Wilcoxon test across seeds and holds true/false) and DIR/report.html. Run it again on \
            the same folder to resume: finished fits are kept, missing or failed ones are run.

            With --backend slurm the fits run as one Slurm job array instead (one task per fit, \
            or per --fits-per-task fits), after a circuits job and before a collect job that \
            writes the same three files; `circuitfit status DIR` follows it, --resume resubmits \
            only what is missing or failed, --dry-run prints the job scripts.

            Example (the full experiment, ~10 seeds × 8 M × 2 λ × 2 arms):
              circuitfit experiment --out exp --jobs 2
              circuitfit experiment --out small --seeds 5 --record 0,5,20 --lambda 0,1 --arms plain --iterations 2000
              circuitfit experiment --out exp --backend slurm --partition cpu --time 1:00:00 --max-concurrent 50
            """)

    @Option(help: "Experiment folder (created if needed).")
    var out: String
    @Option(help: "Number of seeds, 1…K (default 10).")
    var seeds: Int?
    @Option(help: "Recorded neuron counts M (default 0,2,5,10,20,50,100,200).")
    var record: String?
    @Option(help: "λ values (default 0,1).")
    var lambda: String?
    @Option(help: "Arms: plain, priors or both (default plain,priors).")
    var arms: String?
    @Option(help: "Use this dataset for every seed instead of generating one circuit per seed.")
    var dataset: String?
    @Flag(help: "Generate one circuit (seed 1) shared by all seeds instead of one per seed.")
    var sharedCircuit = false
    @Option(help: "JSON file with CircuitConfig fields for the generated circuits (as `generate --config`).")
    var circuitConfig: String?
    @Option(help: "Circuit size N for the generated circuits (default 200).")
    var neurons: Int?
    @Option(help: "Parallel fits (default: the number of cores). Each fit uses one BLAS thread.")
    var jobs: Int?
    @Option(help: "Where fits run: local (this machine, --jobs at a time) or slurm (one job array; see README \"Running on a cluster\"). Default local; with --resume, the backend the experiment last used.")
    var backend: String?
    @Flag(help: "Continue the experiment in --out with the plan stored there: run (or, on Slurm, resubmit) only the fits missing or failed. Plan options are ignored; --jobs and the Slurm options apply.")
    var resume = false
    @OptionGroup(title: "Slurm (--backend slurm)") var slurm: SlurmCLIOptions
    @OptionGroup var fit: FitOptions

    func run() throws {
        try reportingErrors {
            BLASThreads.set(1)
            let url = URL(fileURLWithPath: out).standardizedFileURL
            let backend = try chooseBackend(url)
            if backend == "slurm" {
                if jobs != nil {
                    throw CircuitFitError("--jobs is for the local backend; on Slurm, --cpus-per-task (with --fits-per-task) sets how many fits a task runs at once")
                }
                try runOnSlurm(url)
                return
            }
            if let option = slurm.givenOptions.first {
                throw CircuitFitError("\(option) is for --backend slurm")
            }
            let folder: ExperimentFolder
            if resume {
                folder = try ExperimentFolder.load(url)
            } else {
                folder = try ExperimentFolder.open(url, config: try experimentConfig())
            }
            if SlurmTools.find("scontrol") != nil { try refuseWhileQueued(folder) }
            try runLocally(folder, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                           commandLine: CommandLine.arguments.joined(separator: " "))
        }
    }

    /// --backend if given; with --resume the backend the folder last used; else local.
    func chooseBackend(_ url: URL) throws -> String {
        if let backend {
            guard backend == "local" || backend == "slurm" else {
                throw CircuitFitError("--backend must be local or slurm, got '\(backend)'")
            }
            return backend
        }
        if resume, (try? SlurmJobsFile.load(url)) != nil { return "slurm" }
        return "local"
    }

    /// Refuses to start fits while jobs of an earlier Slurm submission are still queued or
    /// running (they would run the same fits twice).
    func refuseWhileQueued(_ folder: ExperimentFolder) throws {
        guard try SlurmJobsFile.load(folder.url) != nil else { return }
        let progress = try folder.progress(scheduler: ScontrolScheduler(), logLines: 0)
        if !progress.activeJobs.isEmpty {
            let ids = progress.activeJobs.map { String($0.split(separator: " ")[0]) }
            throw CircuitFitError("\(folder.url.path) still has Slurm jobs queued or running: \(progress.activeJobs.joined(separator: ", ")). Wait until they end (`circuitfit status \(folder.url.path)`) or cancel them (`scancel \(ids.joined(separator: " "))`), then resume")
        }
    }

    /// `--backend slurm`: plan, write the job scripts, submit circuits → fits → collect.
    func runOnSlurm(_ url: URL) throws {
        // 1. everything that can fail without writing, first: Slurm's tools, the plan, the options
        if !slurm.dryRun { try SlurmTools.require(["sbatch", "scontrol", "scancel"], purpose: "--backend slurm") }
        let preview: ExperimentFolder
        if resume {
            preview = try ExperimentFolder.load(url)
        } else {
            preview = try ExperimentFolder.preview(url, config: try experimentConfig())
        }
        if !preview.config.dataset.isEmpty { _ = try ReachDataset.read(from: preview.datasetURL(seed: preview.config.seeds[0])) }
        let previous = try SlurmJobsFile.load(url)
        let options = try slurm.options(base: previous?.submissions.last?.options)
        try options.validate()
        if !slurm.dryRun { try refuseWhileQueued(preview) }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let commandLine = CommandLine.arguments.joined(separator: " ")
        let number = (previous?.submissions.last?.number ?? 0) + 1
        let plan = try preview.slurmPlan(options: options, executable: executable, commandLine: commandLine, number: number)
        let fitTasks = plan.jobs.first { $0.role == "fits" }?.tasks.count ?? 0
        print("experiment \(url.path): \(plan.fitsTotal) fits planned, \(plan.fitsDone) done, \(plan.fitsToRun) to run in \(fitTasks) array task(s) of up to \(options.fitsPerTask) fit(s)\(plan.circuitsToGenerate > 0 ? "; \(plan.circuitsToGenerate) circuit(s) to generate first" : "")")

        if slurm.dryRun {
            print("dry run: nothing submitted and nothing written. \(plan.jobs.isEmpty ? "Nothing to submit: every fit is done." : "It would write and submit:")")
            for job in plan.jobs {
                print("\n==> \(url.appendingPathComponent(job.script).path)   [\(job.role)\(job.tasks.isEmpty ? "" : ", \(job.tasks.count) task(s)")]")
                print("    sbatch " + plan.sbatchArguments(job, ids: [:], folder: url).map(shellQuote).joined(separator: " "))
                print(job.text, terminator: "")
            }
            return
        }

        if let limit = SlurmTools.maxArraySize(), let top = plan.jobs.flatMap(\.tasks).max(), top >= limit {
            let k = options.fitsPerTask
            let needed = (plan.fitsTotal + limit - 1) / limit
            throw CircuitFitError("the fits array would need task index \(top) but this cluster's MaxArraySize is \(limit) (indices 0…\(limit - 1)): use --fits-per-task \(max(needed, k + 1)) or more")
        }

        // 2. write: the plan, the scripts, the submissions
        let folder = resume ? preview : try ExperimentFolder.open(url, config: preview.config)
        if plan.jobs.isEmpty {
            let collected = try folder.collect(wallTimeSeconds: nil, commandLine: commandLine)
            print("nothing to submit: every fit is done. Collected \(collected.rows.count) rows into \(url.path)/results.csv, claims.json, report.html")
            return
        }
        let submission = try folder.submit(plan)
        var parts: [String] = []
        if let c = submission.circuits { parts.append("circuits job \(c.jobID) (\(c.tasks.count) task(s))") }
        if let f = submission.fits {
            parts.append("fits job \(f.jobID) (array \(compressIndices(f.tasks))\(options.maxConcurrent.map { "%\($0)" } ?? ""))")
        }
        if let c = submission.collect { parts.append("collect job \(c.jobID) (afterany:\(submission.fits?.jobID ?? "?"))") }
        print("submitted to Slurm (submission \(submission.number)): " + parts.joined(separator: ", "))
        print("job scripts in \(url.path)/slurm/, logs in \(url.path)/slurm/logs/, job ids in \(url.path)/slurm/jobs.json")
        print("follow with: circuitfit status \(url.path)")
        if slurm.wait { try waitForCollect(folder, submission) }
    }

    /// --wait: polls the collect job until it has ended, then reports like `status`.
    func waitForCollect(_ folder: ExperimentFolder, _ submission: SlurmSubmission) throws {
        guard let collect = submission.collect?.jobID else { return }
        let scheduler = ScontrolScheduler()
        let start = Date()
        while true {
            let records = try scheduler.records(job: collect)
            if records == nil || records!.allSatisfy({ !$0.isActive }) { break }
            // every 0.5 s for the first minute, then gently less often (at most every 10 s)
            Thread.sleep(forTimeInterval: min(10, max(0.5, Date().timeIntervalSince(start) / 120)))
        }
        let progress = try folder.progress(scheduler: scheduler)
        print(StatusCommand.render(progress, dir: folder.url.path, verbose: false), terminator: "")
        if progress.count(.done) < progress.fits.count {
            throw CircuitFitError("\(progress.fits.count - progress.count(.done)) of \(progress.fits.count) fits did not finish; `circuitfit status \(folder.url.path)` says why, `circuitfit experiment --out \(folder.url.path) --resume` reruns them")
        }
    }

    func experimentConfig() throws -> ExperimentConfig {
        var c = ExperimentConfig()
        if let seeds {
            guard seeds >= 1 else { throw CircuitFitError("--seeds must be ≥ 1, got \(seeds)") }
            c.seeds = (1...seeds).map(UInt64.init)
        }
        if let record { c.recordCounts = try parseIndexList(record, option: "--record") }
        if let lambda { c.lambdas = try parseNumberList(lambda, option: "--lambda") }
        if let arms {
            c.arms = try arms.split(separator: ",").map { name in
                guard let arm = ExperimentArm(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw CircuitFitError("--arms: unknown arm '\(name)' (arms: plain, priors)")
                }
                return arm
            }
        }
        if let dataset {
            c.dataset = URL(fileURLWithPath: dataset).standardizedFileURL.path
            _ = try ReachDataset.read(from: URL(fileURLWithPath: c.dataset))
        }
        c.sharedCircuit = sharedCircuit
        if let circuitConfig { c.circuit = try ConfigFile.load(c.circuit, from: URL(fileURLWithPath: circuitConfig)) }
        if let neurons { c.circuit.neurons = neurons }
        c.fit = try fit.config()
        try c.validate()
        return c
    }
}

/// Runs every unfinished fit of `folder` on this machine, `jobs` at a time, then collects.
func runLocally(_ folder: ExperimentFolder, jobs: Int, commandLine: String) throws {
    guard jobs >= 1 else { throw CircuitFitError("--jobs must be ≥ 1, got \(jobs)") }
    let start = Date()
    let log: @Sendable (String) -> Void = { say($0) }
    try folder.prepareCircuits(workers: jobs, progress: log)
    let todo = folder.unfinishedUnits
    let total = folder.config.units.count
    log("experiment \(folder.url.path): \(total) fits planned, \(total - todo.count) already done, \(todo.count) to run on \(jobs) worker(s)")
    let tracker = FitTracker(total: todo.count, label: "experiment")
    let failures = parallelMap(todo.count, workers: jobs) { i -> String? in
        do {
            try folder.run(todo[i])
            tracker.finished(todo[i].id, failed: false)
            return nil
        } catch {
            tracker.finished(todo[i].id, failed: true)
            return "\(error)"
        }
    }
    tracker.close()
    let collected = try folder.collect(wallTimeSeconds: Date().timeIntervalSince(start), commandLine: commandLine)
    print(ClaimsTable.render(collected.claims))
    print("results: \(folder.url.path)/results.csv (\(collected.rows.count) rows), claims.json, report.html")
    let failed = failures.compactMap { $0 }
    if !failed.isEmpty {
        for f in failed.prefix(5) { say("error: \(f)") }
        throw CircuitFitError("\(failed.count) of \(todo.count) fits failed; the results hold the others. Rerun the same command (or `circuitfit experiment --out \(folder.url.path) --resume`) to retry them")
    }
}

/// Counts finished fits across worker threads and shows progress with an ETA.
final class FitTracker: @unchecked Sendable {
    let lock = NSLock()
    let total: Int
    var done = 0, failed = 0
    let start = Date()
    let line: ProgressLine
    init(total: Int, label: String) {
        self.total = total
        line = ProgressLine(label: label, interval: 0)
    }
    func finished(_ id: String, failed didFail: Bool) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if didFail { failed += 1 }
        let elapsed = Date().timeIntervalSince(start)
        let eta = elapsed / Double(done) * Double(total - done)
        line.update("\(done)/\(total) fits (\(failed) failed), last \(id), \(formatDuration(elapsed)) elapsed, ETA \(formatDuration(eta))")
    }
    func close() { line.finish() }
}

/// "0,0.5,1" → [0, 0.5, 1].
func parseNumberList(_ text: String, option: String) throws -> [Double] {
    try text.split(separator: ",").map { part in
        guard let v = Double(part.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw CircuitFitError("\(option): '\(part)' is not a number (expected a comma-separated list like 0,1)")
        }
        return v
    }
}

/// The claims table printed at the end of an experiment and by `demo`: one line per claim with
/// its verdict (holds / does not hold / undecided), then every condition with its own number and p.
enum ClaimsTable {
    static func render(_ claims: [Claim]) -> String {
        var out = "claims (one-sided paired Wilcoxon signed-rank across seeds, p < \(claimSignificance); converged fits only):\n"
        out += "  claim  arm              verdict        Δ median [IQR]                 p        n\n"
        for c in claims {
            let d = c.difference.map { "\(fmtNumber($0.median)) [\(fmtNumber($0.lowerQuartile)), \(fmtNumber($0.upperQuartile))]" } ?? "—"
            let p = c.wilcoxon.map { pText($0.pValue) } ?? "—"
            let n = c.wilcoxon.map { "\($0.n)" } ?? "\(c.difference?.count ?? 0)"
            out += "  " + c.id.padding(toLength: 5, withPad: " ", startingAt: 0) + "  " + c.arm.padding(toLength: 15, withPad: " ", startingAt: 0)
                + "  " + c.state.words.padding(toLength: 13, withPad: " ", startingAt: 0)
                + "  " + d.padding(toLength: 29, withPad: " ", startingAt: 0) + "  " + p.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + n + "\n"
        }
        for c in claims {
            out += "  [\(c.id), \(c.arm)] \(c.statement)\n"
            if c.conditions.isEmpty {
                out += "      \(c.state.mark) \(c.reason)\n"
            }
            for condition in c.conditions {
                let p = condition.pValue.map { ", p = \(pText($0))" } ?? ""
                let value = condition.value.map { " (\(condition.wilcoxon != nil ? "Δ median " : "")\(fmtNumber($0)), n = \(condition.n)\(p))" } ?? ""
                out += "      \(condition.state.mark) \(condition.name): \(condition.reason)\(value)\n"
            }
            if c.fitsNotConverged > 0 { out += "      \(c.fitsNotConverged) fit(s) that did not converge left out\n" }
            if !c.numbers.isEmpty { out += "      \(c.numbers)\n" }
        }
        return out
    }

    static func pText(_ p: Double) -> String { p < 1e-3 ? String(format: "%.1e", p) : String(format: "%.4f", p) }
}

func fmtNumber(_ x: Double) -> String { abs(x) < 0.01 && x != 0 ? String(format: "%.2e", x) : String(format: "%.3f", x) }
