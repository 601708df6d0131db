import Foundation
import CircuitFitCore
import CircuitFitExperiment

/// Prints what an experiment backend did: the claims and where the results are, or the Slurm
/// jobs submitted (then `--wait` follows them), or the dry run's scripts. Throws when fits failed.
struct ExperimentOutcomePrinter {
    let url: URL
    let slurm: SlurmCLIOptions

    func show(_ outcome: ExperimentOutcome) throws {
        switch outcome {
        case .collected(let collected, let failures):
            print(ClaimsTable.render(collected.claims))
            print("results: \(url.path)/results.csv (\(collected.rows.count) rows), claims.json, report.html")
            if !failures.isEmpty {
                for f in failures.prefix(5) { say("error: \(f)") }
                throw CircuitFitError("\(failures.count) fit(s) failed; the results hold the others. Rerun the same command (or `circuitfit experiment --out \(url.path) --resume`) to retry them")
            }
        case .dryRun(let plan):
            printPlan(plan)
            print("dry run: nothing submitted and nothing written. \(plan.jobs.isEmpty ? "Nothing to submit: every fit is done." : "It would write and submit:")")
            for job in plan.jobs {
                print("\n==> \(url.appendingPathComponent(job.script).path)   [\(job.role.rawValue)\(job.tasks.isEmpty ? "" : ", \(job.tasks.count) task(s)")]")
                print("    sbatch " + plan.sbatchArguments(job, ids: [:], folder: url).map(JobScriptText.shellWord).joined(separator: " "))
                print(job.text, terminator: "")
            }
        case .submitted(let submission, let plan):
            printPlan(plan)
            var parts: [String] = []
            if let c = submission.circuits { parts.append("circuits job \(c.jobID) (\(c.tasks.count) task(s))") }
            if let f = submission.fits {
                parts.append("fits job \(f.jobID) (array \(compressIndices(f.tasks))\(plan.options.maxConcurrent.map { "%\($0)" } ?? ""))")
            }
            if let c = submission.collect { parts.append("collect job \(c.jobID) (afterany:\(submission.fits?.jobID ?? "?"))") }
            print("submitted to Slurm (submission \(submission.number)): " + parts.joined(separator: ", "))
            print("job scripts in \(url.path)/slurm/, logs in \(url.path)/slurm/logs/, job ids in \(url.path)/slurm/jobs.json")
            print("follow with: circuitfit status \(url.path)")
            guard slurm.wait else { return }
            let progress = try SlurmBackend(options: { $0 ?? SlurmOptions() }, executable: plan.executable, dryRun: false)
                .waitForCollect(url, submission)
            print(StatusCommand.render(progress, dir: url.path, verbose: false), terminator: "")
            if progress.count(.done) < progress.fits.count {
                throw CircuitFitError("\(progress.fits.count - progress.count(.done)) of \(progress.fits.count) fits did not finish; `circuitfit status \(url.path)` says why, `circuitfit experiment --out \(url.path) --resume` reruns them")
            }
        }
    }

    private func printPlan(_ plan: SlurmSubmissionPlan) {
        let fitTasks = plan.jobs.first { $0.role == .fits }?.tasks.count ?? 0
        print("experiment \(url.path): \(plan.fitsTotal) fits planned, \(plan.fitsDone) done, \(plan.fitsToRun) to run in \(fitTasks) array task(s) of up to \(plan.options.fitsPerTask) fit(s)\(plan.circuitsToGenerate > 0 ? "; \(plan.circuitsToGenerate) circuit(s) to generate first" : "")")
    }
}
